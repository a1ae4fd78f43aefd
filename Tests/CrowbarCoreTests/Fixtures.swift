@testable import CrowbarCore
import Foundation

/// The repository's shipped barclamp files, and small barclamps written in tests.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func shippedBarclamps() throws -> [Barclamp] {
        let folder = repositoryRoot.appendingPathComponent("barclamps")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }.sorted().map { file in
            try BarclampParser.parse(String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8), file: file)
        }
    }

    static func shippedCatalog() throws -> BarclampCatalog { try BarclampCatalog(shippedBarclamps()) }

    /// A minimal barclamp with the given name, order and requirements.
    static func barclamp(_ name: String, order: Int = 10, requires: [String] = [], roles: [Role]? = nil) -> Barclamp {
        Barclamp(
            name: name, display: name, description: "", order: order, requires: requires,
            roles: roles ?? [Role(name: "\(name)-server", priority: 10, min: 1, max: 1, recipe: "\(name)/server")])
    }
}
