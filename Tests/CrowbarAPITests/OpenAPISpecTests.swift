import CrowbarAPI
import Foundation
import Testing
import Yams

/// Keeps docs/openapi.yaml true: every route the router serves is documented, and nothing else.
@Suite struct OpenAPISpecTests {
    @Test func everyRouteIsInTheSpecAndViceVersa() throws {
        let specURL = APIHarness.repositoryRoot.appendingPathComponent("docs/openapi.yaml")
        let spec = try #require(try Yams.load(yaml: String(contentsOf: specURL, encoding: .utf8)) as? [String: Any])
        #expect((spec["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(spec["paths"] as? [String: Any])
        let methods: Set = ["get", "post", "put", "patch", "delete"]
        let documented = Set(paths.flatMap { path, operations in
            ((operations as? [String: Any]) ?? [:]).keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        })
        let served = Set(try APIHarness().router().routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(served.count > 20)
        #expect(served.subtracting(documented).sorted() == [], "routes missing from docs/openapi.yaml")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the router does not serve")
    }
}
