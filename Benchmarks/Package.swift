// swift-tools-version:6.1
import PackageDescription

/// Benchmarks live in their own package so the main build does not depend on the benchmark tooling.
/// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
let package = Package(
    name: "crowbar-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crowbar", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CrowbarBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CrowbarCore", package: "crowbar"),
                .product(name: "CrowbarStore", package: "crowbar"),
                .product(name: "CrowbarControl", package: "crowbar"),
            ],
            path: "Benchmarks/CrowbarBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
