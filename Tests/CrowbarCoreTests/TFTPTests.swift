import CrowbarCore
import Testing

@Suite("TFTP codec, options and transfers")
struct TFTPTests {
    @Test("a read request with options round-trips; malformed packets are refused")
    func codec() throws {
        let request = TFTPPacket.readRequest(file: "pxelinux.0", mode: "octet", options: [TFTPOption(name: "blksize", value: "1468"), TFTPOption(name: "tsize", value: "0")])
        #expect(try TFTPPacket.decode(request.encode()) == request)
        #expect(try TFTPPacket.decode([0, 4, 0, 7]) == .acknowledgement(block: 7))
        #expect(try TFTPPacket.decode([0, 5, 0, 1] + Array("nope".utf8) + [0]) == .error(.fileNotFound, message: "nope"))
        #expect(try TFTPPacket.decode([0, 3, 0, 1, 9, 9]) == .data(block: 1, payload: [9, 9]))
        func code(_ bytes: [UInt8]) -> BootCodecError.Code? {
            do { _ = try TFTPPacket.decode(bytes); return nil } catch { return error.code }
        }
        #expect(code([0]) == .truncated)
        #expect(code([0, 9, 0, 0]) == .unknownOpcode)
        #expect(code([0, 1] + Array("file".utf8)) == .badField)
        #expect(code([0, 1, 0, 0x6f, 0]) == .badField)
        #expect(code([0, 1] + Array("f".utf8) + [0] + Array("octet".utf8) + [0, 0x61, 0]) == .badField)
        #expect(code([0, 4, 0]) == .badField)
        #expect(code([0, 4, 0, 1, 2]) == .badField)
    }

    @Test("options are negotiated within their RFC ranges; unknown ones are not acknowledged")
    func negotiation() {
        let options = TFTPTransferOptions(
            negotiating: [
                TFTPOption(name: "BLKSIZE", value: "1468"), TFTPOption(name: "tsize", value: "0"),
                TFTPOption(name: "windowsize", value: "500"), TFTPOption(name: "timeout", value: "0"),
                TFTPOption(name: "multicast", value: "1"),
            ], fileSize: 4096)
        #expect(options.blockSize == 1468)
        #expect(options.windowSize == TFTPTransferOptions.maximumWindowSize)
        #expect(options.timeout == 1)
        #expect(options.acknowledged == [
            TFTPOption(name: "blksize", value: "1468"), TFTPOption(name: "tsize", value: "4096"),
            TFTPOption(name: "windowsize", value: "64"),
        ])
        #expect(TFTPTransferOptions(negotiating: [TFTPOption(name: "blksize", value: "100000")], fileSize: 1).blockSize == 65464)
        #expect(TFTPTransferOptions(negotiating: [], fileSize: 1).acknowledged.isEmpty)
        #expect(TFTPTransferOptions(negotiating: [TFTPOption(name: "timeout", value: "200")], fileSize: 1).acknowledged.isEmpty,
                "a timeout above 10 s is not acknowledged")
    }

    @Test("lock-step transfer: a file of exactly two blocks ends with an empty third block")
    func lockStep() {
        var transfer = TFTPReadTransfer(options: TFTPTransferOptions(), fileSize: 1024)
        #expect(transfer.lastBlock == 3)
        #expect(transfer.start() == .sendBlocks(1...1))
        #expect(transfer.receiveAcknowledgement(1) == .sendBlocks(2...2))
        #expect(transfer.receiveAcknowledgement(1) == .wait)
        #expect(transfer.receiveAcknowledgement(2) == .sendBlocks(3...3))
        #expect(transfer.byteRange(of: 3).isEmpty)
        #expect(transfer.receiveAcknowledgement(3) == .finished)
    }

    @Test("windowed transfer after an OACK; a partial ACK slides the window; timeouts retransmit then give up")
    func windows() {
        let options = TFTPTransferOptions(negotiating: [TFTPOption(name: "windowsize", value: "4")], fileSize: 512 * 10)
        var transfer = TFTPReadTransfer(options: options, fileSize: 512 * 10)
        #expect(transfer.start() == .sendOptionAcknowledgement([TFTPOption(name: "windowsize", value: "4")]))
        #expect(transfer.receiveAcknowledgement(1) == .wait)
        #expect(transfer.receiveAcknowledgement(0) == .sendBlocks(1...4))
        #expect(transfer.receiveAcknowledgement(2) == .sendBlocks(3...6))
        #expect(transfer.receiveAcknowledgement(9) == .wait)
        #expect(transfer.timeout() == .sendBlocks(3...6))
        #expect(transfer.receiveAcknowledgement(6) == .sendBlocks(7...10))
        #expect(transfer.receiveAcknowledgement(10) == .sendBlocks(11...11))
        for _ in 1...5 { #expect(transfer.timeout() == .sendBlocks(11...11)) }
        if case .abandon = transfer.timeout() {} else { Issue.record("the sixth timeout in a row should abandon the transfer") }
    }

    @Test("a client that never answers is given up at its first timeout, which is at most 2 s")
    func unconfirmedClient() {
        let options = TFTPTransferOptions(negotiating: [TFTPOption(name: "timeout", value: "10")], fileSize: 4096)
        var silent = TFTPReadTransfer(options: options, fileSize: 4096)
        #expect(silent.currentTimeout == 2)
        if case .abandon = silent.timeout() {} else { Issue.record("an unconfirmed client must not get retransmits") }
        var answering = TFTPReadTransfer(options: options, fileSize: 4096)
        _ = answering.receiveAcknowledgement(0)
        #expect(answering.heardFromClient && answering.currentTimeout == 10)
        #expect(answering.timeout() != .abandon("no answer to the first packet"))
    }

    @Test("block numbers roll over from 65535 to 0 on the wire")
    func rollover() {
        var transfer = TFTPReadTransfer(options: TFTPTransferOptions(), fileSize: 512 * 65_537)
        for block in 1...65_535 { _ = transfer.receiveAcknowledgement(UInt16(block)) }
        #expect(transfer.acknowledged == 65_535)
        #expect(transfer.receiveAcknowledgement(0) == .sendBlocks(65_537...65_537))
        #expect(transfer.acknowledged == 65_536)
        #expect(transfer.byteRange(of: 65_537) == 512 * 65_536..<512 * 65_537)
    }

    @Test("only relative names without .. stay inside the root")
    func paths() {
        #expect(TFTPPath.components(of: "pxelinux.cfg/default") == ["pxelinux.cfg", "default"])
        #expect(TFTPPath.components(of: "./a//b") == ["a", "b"])
        #expect(TFTPPath.components(of: "/etc/passwd") == nil)
        #expect(TFTPPath.components(of: "../etc/passwd") == nil)
        #expect(TFTPPath.components(of: "a/../../b") == nil)
        #expect(TFTPPath.components(of: "a\\..\\b") == nil)
        #expect(TFTPPath.components(of: "") == nil)
        #expect(TFTPPath.components(of: ".") == nil)
    }
}
