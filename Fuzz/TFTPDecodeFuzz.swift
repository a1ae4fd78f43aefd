/// libFuzzer target: any bytes into the TFTP decoder. A decoded packet must survive an encode/decode round trip
/// unchanged; negotiating a request's options and checking its path must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let packet = try? TFTPPacket.decode(bytes) else { return 0 }
    if case .readRequest(let file, _, let options) = packet {
        _ = TFTPPath.components(of: file)
        let negotiated = TFTPTransferOptions(negotiating: options, fileSize: size * 1000)
        var transfer = TFTPReadTransfer(options: negotiated, fileSize: size * 1000)
        _ = transfer.receiveAcknowledgement(UInt16(truncatingIfNeeded: size))
    }
    guard let again = try? TFTPPacket.decode(packet.encode()), again == packet else {
        fatalError("TFTP round trip changed the packet")
    }
    return 0
}
