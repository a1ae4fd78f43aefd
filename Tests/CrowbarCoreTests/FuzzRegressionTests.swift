import CrowbarCore
import Foundation
import Testing

/// Inputs kept from fuzzing (Fuzz/run.sh) and hand-made awkward packets: each must decode or be refused with a
/// reason, and whatever decodes must survive a round trip.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func inputs(_ target: String) throws -> [(String, [UInt8])] {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/fuzz/\(target)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            ($0, Array(try Data(contentsOf: folder.appendingPathComponent($0))))
        }
    }

    @Test func dhcpInputs() throws {
        let inputs = try Self.inputs("dhcp")
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            guard let message = try? DHCPMessage.decode(bytes) else { continue }
            if message.options[DHCPOptions.Code.overload] == nil {
                #expect(try DHCPMessage.decode(message.encode()) == message, "\(name)")
            }
        }
        #expect((try? DHCPMessage.decode(inputs.first { $0.0 == "overload-without-end" }!.1)) == nil)
    }

    @Test func tftpInputs() throws {
        let inputs = try Self.inputs("tftp")
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            guard let packet = try? TFTPPacket.decode(bytes) else { continue }
            #expect(try TFTPPacket.decode(packet.encode()) == packet, "\(name)")
            if case .readRequest(_, _, let options) = packet {
                let negotiated = TFTPTransferOptions(negotiating: options, fileSize: 10)
                #expect((1...TFTPTransferOptions.maximumWindowSize).contains(negotiated.windowSize), "\(name)")
                #expect((8...TFTPTransferOptions.maximumBlockSize).contains(negotiated.blockSize), "\(name)")
            }
        }
    }

    /// Lines as YAML counts them: `\r`, `\n`, `\r\n` and the Unicode line breaks all end one.
    static func yamlLineCount(_ text: String) -> Int { text.reduce(1) { $1.isNewline ? $0 + 1 : $0 } }

    /// Each kept batch or barclamp input parses, or is refused with a definition error that points into it.
    @Test(arguments: ["batch", "barclamp"])
    func yamlInputs(_ target: String) throws {
        let inputs = try Self.inputs(target)
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                if target == "batch" { _ = try BatchFileParser.parse(text, file: name) } else { _ = try BarclampParser.parse(text, file: name) }
            } catch {
                #expect(error.location.file == name)
                #expect((1...Self.yamlLineCount(text) + 1).contains(error.location.line), "\(error)")
            }
        }
    }

    /// A few lines of aliases inside aliases would expand to a billion values (out of memory under the fuzzer before
    /// the limit): refused at once, through the API's batch parser and the barclamp parser alike.
    @Test func aliasesInsideAliasesAreRefusedBeforeTheyExpand() throws {
        for target in ["batch", "barclamp"] {
            let text = String(decoding: try #require(try Self.inputs(target).first { $0.0 == "aliases-inside-aliases" }).1, as: UTF8.self)
            let started = ContinuousClock.now
            #expect {
                if target == "batch" { _ = try BatchFileParser.parse(text, file: "a.yml") } else { _ = try BarclampParser.parse(text, file: "a.yml") }
            } throws: { "\($0)" == "a.yml:1:1: the document holds more than 50000 values once its aliases are expanded" }
            #expect(ContinuousClock.now - started < .seconds(10), "counted, not expanded: well under a second on an idle machine")
        }
    }
}
