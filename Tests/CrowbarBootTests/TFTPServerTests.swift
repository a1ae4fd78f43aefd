import CrowbarBoot
import Foundation
import Logging
import Testing

private let clientsAvailable = installed("tftp") && installed("atftp")

/// crowbard's TFTP server in this process on loopback, fetched from by tftp-hpa and atftp.
@Suite("TFTP server against real clients", .serialized, .enabled(if: clientsAvailable, "needs tftp-hpa and atftp"))
struct TFTPServerTests {
    let root: URL
    let scratch: URL
    let port = 20_000 + Int(getpid() % 20_000)
    let content: Data

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-tftp-\(UUID().uuidString)")
        root = folder.appendingPathComponent("root")
        scratch = folder.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        // 3 MB plus a partial block of varied bytes (more than 65535 blocks would be slow in lock-step; rollover is
        // unit-tested).
        var state = UInt64(getpid()) | 1
        let words = (0..<(3 << 17)).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        content = words.withUnsafeBytes { Data($0) } + Data(repeating: 7, count: 777)
        try content.write(to: root.appendingPathComponent("sub/image.bin"))
        try Data().write(to: root.appendingPathComponent("empty"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: "/etc/hostname")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("inside").path, withDestinationPath: "sub/image.bin")
    }

    /// Runs `body` against a server on `port`, given its counters and its task (cancelled after `body` in any case).
    func withServer(_ body: (BootCounters, Task<Void, any Error>) async throws -> Void) async throws {
        let counters = BootCounters()
        let server = TFTPServer(root: root.path, host: "127.0.0.1", port: port, counters: counters, logger: Logger(label: "test-tftp"))
        let task = Task { try await server.run() }
        defer {
            task.cancel()
            try? FileManager.default.removeItem(at: root.deletingLastPathComponent())
        }
        try await Task.sleep(for: .milliseconds(200))
        try await body(counters, task)
    }

    /// Waits (at most 2 s) for `counter` to reach `value`: the client is done when the last block arrives, the
    /// server when the last ACK does.
    func settled(_ counters: BootCounters, _ counter: String, _ value: Int) async throws -> Int {
        for _ in 0..<40 where counters[counter] != value { try await Task.sleep(for: .milliseconds(50)) }
        return counters[counter]
    }

    func fetched(_ name: String) throws -> Data { try Data(contentsOf: scratch.appendingPathComponent(name)) }

    @Test("tftp-hpa fetches a multi-megabyte file in lock-step and an empty one; a symlink inside the root is followed")
    func tftpHPA() async throws {
        try await withServer { counters, _ in
            let out = scratch.appendingPathComponent("hpa.bin").path
            try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", "sub/image.bin", out])
            #expect(try fetched("hpa.bin") == content)
            try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", "empty", scratch.appendingPathComponent("empty").path])
            #expect(try fetched("empty").isEmpty)
            try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", "inside", scratch.appendingPathComponent("inside").path])
            #expect(try fetched("inside") == content)
            #expect(try await settled(counters, "tftp.transfers.finished", 3) == 3)
        }
    }

    @Test("atftp negotiates blksize and tsize, and windowsize (RFC 7440)", arguments: [
        ["blksize 1468"], ["blksize 1468", "tsize 0"], ["blksize 1468", "windowsize 8"], ["windowsize 16"],
    ])
    func atftpOptions(options: [String]) async throws {
        try await withServer { counters, _ in
            let name = "atftp-\(options.joined().replacingOccurrences(of: " ", with: ""))"
            let arguments = options.flatMap { ["--option", $0] } + ["-g", "-r", "sub/image.bin", "-l", scratch.appendingPathComponent(name).path, "127.0.0.1", String(port)]
            let result = try await command("atftp", ["--trace"] + arguments)
            #expect(try fetched(name) == content, "\(result.output)")
            #expect(result.output.contains("received OACK"), "\(result.output)")
            for option in options {
                let optionName = String(option.split(separator: " ")[0])
                #expect(counters["tftp.options.\(optionName)"] == 1, "\(optionName) was not acknowledged")
            }
            #expect(try await settled(counters, "tftp.transfers.finished", 1) == 1)
        }
    }

    @Test("'..', absolute paths and symlinks out of the root are refused with a TFTP error and counted")
    func confinement() async throws {
        try await withServer { counters, _ in
            for name in ["../scratch/x", "sub/../../x", "/etc/passwd", "escape", "missing"] {
                let out = scratch.appendingPathComponent("refused").path
                let result = try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", name, out], check: false)
                #expect(result.output.lowercased().contains("error"), "\(name): \(result.output)")
                let got = (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data()
                #expect(got.isEmpty, "\(name) must not be served")
            }
            #expect(counters["tftp.refused.outside-root"] == 4)
            #expect(counters["tftp.refused.not-found"] == 1)
            #expect(counters["tftp.transfers.finished"] == 0)
        }
    }

    /// Read requests whose source is forged never answer: one sender gets at most 8 transfers at once, each silent
    /// one gets its first packet only and frees its slot within 2 s; then real clients are served again.
    @Test("forged read requests hold no slot for long and get no retransmits; one source gets 8 transfers at once")
    func forgedRequests() async throws {
        try await withServer { counters, _ in
            let script = """
                import socket, sys, time
                port = int(sys.argv[1])
                sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(9)]
                for s in sockets:
                    s.bind(("127.0.0.1", 0))
                    s.settimeout(0.2)
                    s.sendto(b"\\x00\\x01sub/image.bin\\x00octet\\x00timeout\\x0010\\x00", ("127.0.0.1", port))
                time.sleep(4)
                for s in sockets:
                    packets = []
                    while True:
                        try:
                            packets.append(s.recvfrom(70000)[0])
                        except socket.timeout:
                            break
                    print(len(packets), [p[4:-1].decode() for p in packets if p[:2] == b"\\x00\\x05"])
                """
            let result = try await command("python3", ["-c", script, String(port)])
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.filter { $0 == "1 []" }.count == 8, "each silent client got its first packet only: \(lines)")
            #expect(lines.contains("1 ['too many transfers from 127.0.0.1, retry later']"), "\(lines)")
            #expect(try await settled(counters, "tftp.transfers.abandoned", 8) == 8, "the slots were freed")
            #expect(counters["tftp.refused.busy-source"] == 1)
            _ = try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", "sub/image.bin", scratch.appendingPathComponent("after").path])
            #expect(try fetched("after") == content, "a real client is served once they are gone")
        }
    }

    /// A packet from another port gets "unknown transfer ID" and changes nothing; a transfer waiting for its client
    /// ends when the server stops, well within its 10 s timeout.
    @Test("a stranger gets 'unknown transfer ID' while the transfer goes on; stopping the server ends a waiting transfer")
    func strangerAndStop() async throws {
        try await withServer { counters, server in
            let script = """
                import socket, sys
                port = int(sys.argv[1])
                def udp():
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind(("127.0.0.1", 0))
                    s.settimeout(2)
                    return s
                client, stranger = udp(), udp()
                client.sendto(b"\\x00\\x01sub/image.bin\\x00octet\\x00blksize\\x00512\\x00timeout\\x0010\\x00", ("127.0.0.1", port))
                oack, transfer = client.recvfrom(70000)
                client.sendto(b"\\x00\\x04\\x00\\x00", transfer)
                first = client.recvfrom(70000)[0]
                stranger.sendto(b"\\x00\\x04\\x00\\x01", transfer)
                error = stranger.recvfrom(70000)[0]
                print("stranger", error[:4].hex(), error[4:-1].decode())
                client.sendto(b"\\x00\\x04\\x00\\x01", transfer)
                second = client.recvfrom(70000)[0]
                print("client", first[:4].hex(), len(first), second[:4].hex(), len(second))
                """
            let result = try await command("python3", ["-c", script, String(port)])
            #expect(result.output.contains("stranger 00050005 unknown transfer ID"), "\(result.output)")
            #expect(result.output.contains("client 00030001 516 00030002 516"), "the stranger's ACK moved nothing: \(result.output)")
            let stopping = ContinuousClock.now
            server.cancel()
            _ = await server.result
            #expect(ContinuousClock.now - stopping < .seconds(2), "the server stopped while its transfer waited for an ACK")
            #expect(counters["tftp.transfers.abandoned"] == 1)
        }
    }

    @Test("malformed packets and write requests are dropped or refused, and counted")
    func malformed() async throws {
        try await withServer { counters, _ in
            try await command("bash", ["-c", "printf 'x' > /dev/udp/127.0.0.1/\(port); printf '\\x00\\x09zz' > /dev/udp/127.0.0.1/\(port)"])
            let result = try await command("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "put", "/etc/hostname", "upload"], check: false)
            #expect(result.output.lowercased().contains("error"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(counters["tftp.malformed.truncated"] == 1)
            #expect(counters["tftp.malformed.unknown-opcode"] == 1)
            #expect(counters["tftp.refused.not-a-read"] >= 1)
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("upload").path))
        }
    }
}
