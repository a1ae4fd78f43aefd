import CrowbarCore
import FuzzChecks

/// libFuzzer target: any text into the barclamp parser. It must parse or refuse with a ``DefinitionError`` that names
/// the file and a line of it; a parsed barclamp must have a name and roles with names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let barclamp = try BarclampParser.parse(text, file: "fuzz.yml")
        if barclamp.name.isEmpty || barclamp.roles.contains(where: { $0.name.isEmpty }) {
            fatalError("a barclamp or role without a name was accepted")
        }
    } catch {
        requireUsableLocation(of: error, in: text, file: "fuzz.yml")
    }
    return 0
}
