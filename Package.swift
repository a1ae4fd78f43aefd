// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "crowbar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "crowbard", targets: ["crowbard"]),
        .executable(name: "crowbar", targets: ["crowbar"]),
        .library(name: "CrowbarCore", targets: ["CrowbarCore"]),
        .library(name: "CrowbarStore", targets: ["CrowbarStore"]),
        .library(name: "CrowbarControl", targets: ["CrowbarControl"]),
        .library(name: "CrowbarAPI", targets: ["CrowbarAPI"]),
        .library(name: "CrowbarClient", targets: ["CrowbarClient"]),
        .library(name: "CrowbarSSH", targets: ["CrowbarSSH"]),
        .library(name: "CrowbarOrchestrator", targets: ["CrowbarOrchestrator"]),
        .library(name: "CrowbarBoot", targets: ["CrowbarBoot"]),
        .library(name: "CrowbarPower", targets: ["CrowbarPower"]),
        .library(name: "CrowbarTUI", targets: ["CrowbarTUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "CrowbarCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarStore",
            dependencies: ["CrowbarCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarControl",
            dependencies: [
                "CrowbarCore", "CrowbarStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarAPI",
            dependencies: [
                "CrowbarControl", "CrowbarCore", "CrowbarStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2", providers: [.apt(["libssh2-1-dev"])]),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        .target(
            name: "CrowbarSSH",
            dependencies: [
                "CLibSSH2", "CrowbarCore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarOrchestrator",
            dependencies: [
                "CrowbarCore", "CrowbarStore", "CrowbarSSH",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarBoot",
            dependencies: [
                "CrowbarCore", "CrowbarStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarPower",
            dependencies: [
                "CrowbarCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CrowbarLab",
            dependencies: ["CrowbarCore", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strict
        ),
        // The terminal UI's view models: state, keys and screens as text, without a terminal.
        .target(name: "CrowbarTUI", dependencies: ["CrowbarCore"], swiftSettings: strict),
        .target(
            name: "CrowbarClient",
            dependencies: [
                "CrowbarCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "crowbard",
            dependencies: [
                "CrowbarAPI", "CrowbarBoot", "CrowbarControl", "CrowbarStore", "CrowbarCore", "CrowbarOrchestrator", "CrowbarPower", "CrowbarSSH",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "crowbar",
            dependencies: [
                "CNcurses", "CrowbarClient", "CrowbarCore", "CrowbarLab", "CrowbarTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrowbarCoreTests",
            dependencies: ["CrowbarCore", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrowbarSSHTests",
            dependencies: ["CrowbarSSH", "CrowbarCore", "CrowbarOrchestrator", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrowbarBootTests",
            dependencies: [
                "CrowbarBoot", "CrowbarCore", "CrowbarStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CrowbarStoreTests", dependencies: ["CrowbarStore", "CrowbarCore"], swiftSettings: strict),
        .testTarget(name: "CrowbarTUITests", dependencies: ["CrowbarTUI", "CrowbarCore"], swiftSettings: strict),
        .testTarget(
            name: "CrowbarOrchestratorTests",
            dependencies: [
                "CrowbarOrchestrator", "CrowbarControl", "CrowbarStore", "CrowbarSSH", "CrowbarCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CrowbarControlTests", dependencies: ["CrowbarControl", "CrowbarStore", "CrowbarCore"], swiftSettings: strict),
        .testTarget(
            name: "CrowbarAPITests",
            dependencies: [
                "CrowbarAPI", "CrowbarControl", "CrowbarStore", "CrowbarCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrowbarPowerTests",
            dependencies: [
                "CrowbarPower", "CrowbarControl", "CrowbarStore", "CrowbarCore", "CrowbarLab",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrowbarIntegrationTests",
            dependencies: ["CrowbarCore", "CrowbarClient", "CrowbarLab", "crowbard", "crowbar"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
