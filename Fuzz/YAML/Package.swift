// swift-tools-version: 6.0
// libFuzzer targets for the YAML parsers, built with `swift build --sanitize=fuzzer --sanitize=address` by Fuzz/run.sh
// (a package of its own: its executables have no main, libFuzzer brings it).
import Foundation
import PackageDescription

/// The crowbar package two folders up; SwiftPM names a path dependency after its folder, whatever the clone is called.
let crowbar = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let core = Target.Dependency.product(name: "CrowbarCore", package: crowbar.lastPathComponent.lowercased())

let package = Package(
    name: "CrowbarFuzzYAML",
    dependencies: [.package(path: crowbar.path)],
    targets: [.target(name: "FuzzChecks", dependencies: [core])] + ["FuzzBatchFile", "FuzzBarclamp"].map { name in
        .executableTarget(name: name, dependencies: [core, "FuzzChecks"], swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
