@testable import CrowbarCore
import Foundation
import Testing

@Suite("Batch files")
struct BatchFileTests {
    @Test func shippedLabCloudParsesAndNamesOnlyShippedBarclampsAndRoles() throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("docs/examples/lab-cloud.yml").path
        let batch = try BatchFileParser.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        let catalog = try Fixtures.shippedCatalog()
        #expect(batch.nodes.map(\.alias) == ["controller", "compute1", "compute2"])
        for entry in batch.proposals {
            let barclamp = try #require(catalog[entry.barclamp], "unknown barclamp \(entry.barclamp)")
            for role in entry.elements.keys {
                #expect(barclamp.roles.contains { $0.name == role }, "\(entry.barclamp) has no role \(role)")
            }
        }
        let names = ["controller": "n1", "compute1": "n2", "compute2": "n3"]
        let nova = try #require(batch.proposals.first { $0.barclamp == "nova" })
        let elements = try batch.resolvedElements(of: nova) { names[$0.alias] }
        #expect(elements["nova-compute-qemu"] == ["n2", "n3"])
        #expect(elements["nova-controller"] == ["n1"])
    }

    @Test func problemsNameFileLineAndKey() {
        func error(_ yaml: String) -> String {
            do {
                _ = try BatchFileParser.parse(yaml, file: "cloud.yml")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(error("proposals:\n  - barclamp: keystone\n    atributes: {}\n") == "cloud.yml:3:5: proposals.0.atributes: unknown key (known keys: attributes, barclamp, deployment, name)")
        #expect(error("nodes:\n  - alias: a\n    mac: nope\nproposals: []\n").hasPrefix("cloud.yml:2:5: nodes.0.mac: 'nope' is not a MAC address"))
        #expect(error("nodes:\n  - alias: a\n    mac: 52:54:00:00:00:01\n    name: n1\nproposals: []\n")
            == "cloud.yml:2:5: nodes.0: give exactly one of mac or name")
        #expect(error("proposals:\n  - barclamp: nova\n    deployment:\n      elements:\n        nova-controller: n1\n")
            == "cloud.yml:5:26: proposals.0.deployment.elements.nova-controller: expected a list of nodes")
        #expect(error("proposals:\n  - barclamp: nova\n  - barclamp: nova\n").contains("proposal nova/default is listed twice"))
        #expect(error("proposals: [\n").hasPrefix("cloud.yml:2:1: malformed YAML"))
    }

    @Test func unknownAliasAndUnmatchedNodeAreRefused() throws {
        let batch = try BatchFileParser.parse("""
            nodes:
              - alias: controller
                mac: "52:54:00:00:00:01"
            proposals:
              - barclamp: keystone
                deployment:
                  elements:
                    keystone-server: ["@@control@@"]
              - barclamp: glance
                deployment:
                  elements:
                    glance-server: ["@@controller@@", "n7"]
            """, file: "cloud.yml")
        #expect(throws: DefinitionError.self) { try batch.resolvedElements(of: batch.proposals[0]) { _ in "n1" } }
        #expect { try batch.resolvedElements(of: batch.proposals[1]) { _ in nil } } throws: {
            "\($0)" == "cloud.yml:2:5: nodes: no node matches alias 'controller'"
        }
        #expect(try batch.resolvedElements(of: batch.proposals[1]) { _ in "n1" } == ["glance-server": ["n1", "n7"]])
    }

    @Test func objectAttributesBecomeLeafEditsOtherValuesReplaceWhole() throws {
        let keystone = try #require(try Fixtures.shippedCatalog()["keystone"])
        let entry = BatchFile.ProposalEntry(
            barclamp: "keystone",
            attributes: ["db": .map(["user": .string("ks")]), "token_expiration": .integer(7200), "api": .map(["public_port": .integer(5001)])],
            location: SourceLocation(file: "cloud.yml", line: 1))
        let edits = entry.attributeEdits(schema: keystone).map { "\($0.path)=\($0.value.displayText)" }
        #expect(edits == ["api.public_port=5001", "db.user=ks", "token_expiration=7200"])
    }

    @Test func yamlRoundTripsThroughTheParser() throws {
        let batch = BatchFile(
            nodes: [
                BatchFile.NodeAlias(alias: "n1", identity: .mac(MACAddress("52:54:00:77:00:01")!), location: SourceLocation(file: "x", line: 1)),
                BatchFile.NodeAlias(alias: "n2", identity: .name("n2"), location: SourceLocation(file: "x", line: 1)),
            ],
            proposals: [
                BatchFile.ProposalEntry(
                    barclamp: "dns", name: "default",
                    attributes: [
                        "domain": .string("lab.example"), "ttl": .integer(60), "forwarders": .list([]),
                        "records": .map(["api": .map(["type": .string("A"), "values": .list([.string("10.0.0.5")])])]),
                        "ratio": .number(1.5), "flag": .boolean(false), "empty": .null,
                    ],
                    elements: ["dns-server": ["@@n1@@"], "dns-client": ["@@n2@@", "n3"]], location: SourceLocation(file: "x", line: 1))
            ])
        let text = try batch.yaml()
        let again = try BatchFileParser.parse(text, file: "export.yml")
        #expect(again.nodes.map(\.identity) == batch.nodes.map(\.identity))
        #expect(again.proposals.first?.attributes == batch.proposals.first?.attributes)
        #expect(again.proposals.first?.elements == batch.proposals.first?.elements)
    }
}
