import CrowbarCore
import Testing

@Suite struct DaemonSettingsFileTests {
    let file = "/etc/crowbar/crowbard.yml"

    func refusal(_ yaml: String) -> String? {
        do {
            try DaemonSettingsFile.check(yaml, file: file)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theShippedFileAndCommentsAlonePass() throws {
        let shipped = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("iso/package/crowbard.yml"), encoding: .utf8)
        #expect(refusal(shipped) == nil)
        #expect(refusal("# every line a comment\n# boot-address: 10.0.0.1\n\n") == nil)
        #expect(refusal("dhcp-relay: [10.0.0.2, 10.0.1.2]\ndhcp-new-clients-per-second: 12.5\ntls: false\nboot-http-port: 8091\n") == nil)
    }

    @Test func aTypoOrAValueOfTheWrongKindNamesFileLineAndKey() {
        #expect(refusal("listen: 127.0.0.1:3000\nboot-adress: 10.0.0.1\n")?.hasPrefix("\(file):2:") == true)
        #expect(refusal("listen: 127.0.0.1:3000\nboot-adress: 10.0.0.1\n")?.contains("boot-adress: unknown key") == true)
        #expect(refusal("ssh-threads: many\n")?.contains("ssh-threads: expected an integer") == true)
        #expect(refusal("tls: maybe\n")?.contains("tls: expected true or false") == true)
        #expect(refusal("dhcp-new-clients-per-second: fast\n")?.contains("expected a number") == true)
        #expect(refusal("- listen\n")?.contains("expected a mapping") == true)
        #expect(refusal("listen: [127.0.0.1\n")?.contains("malformed YAML") == true)
    }
}
