import CrowbarCore
import FuzzChecks

/// libFuzzer target: any text into the batch-file parser. It must parse or refuse with a ``DefinitionError`` that
/// names the file and a line of it; a parsed file's proposals must all name a barclamp.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let batch = try BatchFileParser.parse(text, file: "fuzz.yml")
        if batch.proposals.contains(where: { $0.barclamp.isEmpty }) { fatalError("a proposal without a barclamp was accepted") }
    } catch {
        requireUsableLocation(of: error, in: text, file: "fuzz.yml")
    }
    return 0
}
