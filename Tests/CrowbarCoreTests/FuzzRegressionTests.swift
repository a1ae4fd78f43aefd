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
}
