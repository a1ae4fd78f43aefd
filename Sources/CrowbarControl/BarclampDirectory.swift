import CrowbarCore
import Foundation

/// Reads every `*.yml` in a folder of barclamp definitions into a checked catalog.
public enum BarclampDirectory {
    public static func load(_ path: String) throws -> BarclampCatalog {
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".yml") }.sorted()
        var barclamps: [Barclamp] = []
        for file in files {
            let url = folder.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            barclamps.append(try BarclampParser.parse(text, file: url.path))
        }
        return try BarclampCatalog(barclamps)
    }
}
