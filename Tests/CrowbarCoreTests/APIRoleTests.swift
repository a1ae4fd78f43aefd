import CrowbarCore
import Testing

@Suite("API roles")
struct APIRoleTests {
    @Test func eachRequestNeedsTheLeastRoleThatMayDoIt() {
        #expect(APIRole.required(method: "GET", path: "/api/v1/nodes", secrets: false) == .reader)
        #expect(APIRole.required(method: "GET", path: "/api/v1/runs/3/log", secrets: false) == .reader)
        #expect(APIRole.required(method: "GET", path: "/api/v1/proposals/keystone/default", secrets: true) == .operator)
        #expect(APIRole.required(method: "POST", path: "/api/v1/proposals/keystone/default/commit", secrets: false) == .operator)
        #expect(APIRole.required(method: "POST", path: "/api/v1/nodes/d1/power", secrets: false) == .operator)
        #expect(APIRole.required(method: "DELETE", path: "/api/v1/nodes/d1", secrets: false) == .operator)
        #expect(APIRole.required(method: "GET", path: "/api/v1/tokens", secrets: false) == .admin)
        #expect(APIRole.required(method: "DELETE", path: "/api/v1/tokens/ci", secrets: false) == .admin)
        #expect(APIRole.reader < .operator && APIRole.operator < .admin)
    }
}
