@testable import CrowbarCore
import Testing

@Suite struct BarclampParserTests {
    let valid = """
        name: demo
        display: Demo
        order: 42
        requires: [base]
        transitions: [readying]
        roles:
          - name: demo-server
            priority: 1
            min: 1
            max: 1
          - name: demo-client
            conflicts: [demo-server]
        attributes:
          port:
            type: integer
            default: 8080
            description: Listen port.
          password:
            type: string
            secret: true
          engine:
            type: string
            choices: [a, b]
            default: a
          nested:
            type: object
            properties:
              enabled: {type: boolean, default: true}
              names: {type: list, items: {type: string}, default: [x, y]}
        """

    func parse(_ yaml: String) throws(DefinitionError) -> Barclamp { try BarclampParser.parse(yaml, file: "demo.yml") }

    func expectError(_ yaml: String, line: Int?, key: String, messageContains fragment: String) {
        do {
            _ = try parse(yaml)
            Issue.record("expected a definition error")
        } catch {
            #expect(error.location.file == "demo.yml")
            if let line { #expect(error.location.line == line, "\(error)") }
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func parsesEveryKey() throws {
        let barclamp = try parse(valid)
        #expect(barclamp.name == "demo")
        #expect(barclamp.order == 42)
        #expect(barclamp.requires == ["base"])
        #expect(barclamp.transitions == [.readying])
        #expect(barclamp.roles.map(\.name) == ["demo-server", "demo-client"])
        #expect(barclamp.roles[0].max == 1)
        #expect(barclamp.roles[1].priority == 20)
        #expect(barclamp.roles[1].recipe == "demo/demo-client")
        #expect(barclamp.attributes["password"]?.secret == true)
        #expect(barclamp.schema.effectiveDefault?.value(at: ["nested", "names"]) == .list([.string("x"), .string("y")]))
        #expect(barclamp.schema.effectiveDefault?.value(at: ["port"]) == .integer(8080))
    }

    @Test func malformedYAMLNamesFileAndLine() {
        expectError("name: demo\nroles: [\n  - name: x\n", line: nil, key: "", messageContains: "malformed YAML")
    }

    @Test func unknownKeyIsRefusedAtItsLine() {
        expectError(valid.replacingOccurrences(of: "order: 42", with: "order: 42\nrun_order: 3"), line: 4, key: "run_order", messageContains: "unknown key")
    }

    @Test func unknownRoleKeyIsRefused() {
        expectError(valid.replacingOccurrences(of: "    priority: 1\n", with: "    priority: 1\n    prio: 2\n"), line: 9, key: "roles.0.prio", messageContains: "unknown key")
    }

    @Test func wrongTypeNamesTheKey() {
        expectError(valid.replacingOccurrences(of: "order: 42", with: "order: high"), line: 3, key: "order", messageContains: "integer")
    }

    @Test func defaultOfTheWrongTypeIsRefused() {
        expectError(valid.replacingOccurrences(of: "default: 8080", with: "default: eighty"), line: 16, key: "attributes.port.default", messageContains: "expected integer")
    }

    @Test func defaultOutsideChoicesIsRefused() {
        expectError(valid.replacingOccurrences(of: "default: a\n", with: "default: c\n"), line: 24, key: "attributes.engine.default", messageContains: "one of a, b")
    }

    @Test func patternsMustBeRegularExpressionsOnStringsAndDefaultsMustMatch() {
        expectError(valid.replacingOccurrences(of: "choices: [a, b]", with: "pattern: '[a-'"), line: 23, key: "attributes.engine.pattern", messageContains: "not a regular expression")
        expectError(valid.replacingOccurrences(of: "default: 8080", with: "default: 8080\n    pattern: '[0-9]+'"), line: 17, key: "attributes.port.pattern", messageContains: "only string attributes")
        expectError(valid.replacingOccurrences(of: "choices: [a, b]", with: "pattern: '[b-z]+'"), line: 24, key: "attributes.engine.default", messageContains: "'a' does not match [b-z]+")
    }

    @Test func duplicateRoleIsRefused() {
        expectError(valid.replacingOccurrences(of: "name: demo-client", with: "name: demo-server"), line: 11, key: "roles.1.name", messageContains: "duplicate role")
    }

    @Test func duplicateYAMLKeyIsRefused() {
        expectError(valid.replacingOccurrences(of: "display: Demo", with: "display: Demo\nname: other"), line: nil, key: "name", messageContains: "duplicate key")
    }

    @Test func unknownAttributeTypeIsRefused() {
        expectError(valid.replacingOccurrences(of: "type: integer", with: "type: port"), line: 15, key: "attributes.port.type", messageContains: "unknown type")
    }

    @Test func secretMustBeAString() {
        expectError(valid.replacingOccurrences(of: "default: 8080", with: "default: 8080\n    secret: true"), line: 17, key: "attributes.port.secret", messageContains: "only string")
    }

    @Test func missingRolesIsRefused() {
        expectError("name: demo\norder: 1\n", line: 1, key: "roles", messageContains: "required")
    }

    @Test func unknownTransitionStateIsRefused() {
        expectError(valid.replacingOccurrences(of: "[readying]", with: "[booting]"), line: 5, key: "transitions.0", messageContains: "not a node state")
    }

    @Test func badNameIsRefused() {
        expectError(valid.replacingOccurrences(of: "name: demo\n", with: "name: Demo Barclamp\n"), line: 1, key: "name", messageContains: "lowercase")
    }

    @Test func requiresOfAMissingBarclampNamesFileLineAndKey() throws {
        let demo = try parse(valid)
        do {
            _ = try BarclampCatalog([demo])
            Issue.record("expected an error")
        } catch {
            #expect(error.location.file == "demo.yml")
            #expect(error.location.line == 4)
            #expect(error.key == "requires.0")
            #expect(error.message.contains("unknown barclamp 'base'"))
        }
    }

    @Test func dependencyCycleIsNamed() throws {
        let a = try BarclampParser.parse("name: a\nrequires: [b]\nroles: [{name: ra}]\n", file: "a.yml")
        let b = try BarclampParser.parse("name: b\nrequires: [c]\nroles: [{name: rb}]\n", file: "b.yml")
        let c = try BarclampParser.parse("name: c\nrequires: [a]\nroles: [{name: rc}]\n", file: "c.yml")
        do {
            _ = try BarclampCatalog([a, b, c])
            Issue.record("expected a cycle error")
        } catch {
            #expect(error.message == "dependency cycle: a → b → c → a")
            #expect(error.location.file == "a.yml")
            #expect(error.location.line == 2)
        }
    }

    @Test func conflictWithUnknownRoleIsRefused() throws {
        let a = try BarclampParser.parse("name: a\nroles:\n  - name: ra\n    conflicts: [nope]\n", file: "a.yml")
        #expect(throws: DefinitionError.self) { try BarclampCatalog([a]) }
    }

    @Test func duplicateBarclampNameIsRefused() throws {
        let a = try BarclampParser.parse("name: a\nroles: [{name: ra}]\n", file: "a.yml")
        let again = try BarclampParser.parse("name: a\nroles: [{name: rb}]\n", file: "a2.yml")
        #expect(throws: DefinitionError.self) { try BarclampCatalog([a, again]) }
    }

    @Test func roleOfTwoBarclampsIsRefusedAtItsLine() throws {
        let a = try BarclampParser.parse("name: a\nroles: [{name: shared}]\n", file: "a.yml")
        let b = try BarclampParser.parse("name: b\nroles:\n  - name: own\n  - name: shared\n", file: "b.yml")
        do {
            _ = try BarclampCatalog([a, b])
            Issue.record("expected an error")
        } catch {
            #expect(error.location.file == "b.yml")
            #expect(error.location.line == 4)
            #expect(error.key == "roles.1.name")
            #expect(error.message == "role 'shared' is already a role of barclamp 'a'")
        }
    }

    @Test func shippedBarclampsLoadInCrowbarRunOrder() throws {
        let catalog = try Fixtures.shippedCatalog()
        #expect(catalog.names == [
            "provisioner", "network", "ntp", "dns", "database", "rabbitmq", "memcached", "keystone", "ceph", "glance",
            "placement", "cinder", "neutron", "nova", "horizon", "verification", "tempest",
        ])
        #expect(catalog["ceph"]?.attributes["cluster_secret"]?.secret == true)
        #expect(catalog["tempest"]?.attributes["exclusions"] != nil)
        #expect(catalog["keystone"]?.attributes["admin_password"]?.secret == true)
        #expect(catalog["database"]?.attributes["bind_address"] != nil)
        #expect(catalog["neutron"]?.attributes["tenant_network_type"] != nil)
        #expect(catalog["nova"]?.roles.map(\.name).contains("nova-compute-qemu") == true)
    }
}
