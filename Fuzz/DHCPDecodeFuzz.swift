/// libFuzzer target: any bytes into the DHCP decoder. A decoded message without option overload must survive an
/// encode/decode round trip unchanged; classifying its boot client must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DHCPMessage.decode(bytes) else { return 0 }
    _ = BootClient(options: message.options)
    _ = message.clientMAC
    if message.options[DHCPOptions.Code.overload] == nil {
        guard let again = try? DHCPMessage.decode(message.encode()), again == message else {
            fatalError("DHCP round trip changed the message")
        }
    }
    return 0
}
