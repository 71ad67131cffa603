// swift-tools-version:6.1
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its directory, which differs between checkouts.
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

/// The libFuzzer targets live in their own package so the main build and `swift test` never see them.
/// Build and run them with `scripts/fuzz` (see the README). It builds with `--sanitize fuzzer` (so SwiftPM
/// links libFuzzer's `main` instead of a Swift one) plus `-Xswiftc -sanitize=fuzzer,address`: swiftc keeps
/// only the last `-sanitize=` it is given, so the two `--sanitize` options alone would leave the code without
/// coverage instrumentation. The flags apply to the root package's modules too. Each target defines
/// `LLVMFuzzerTestOneInput` and is compiled with `-parse-as-library`, so it has no `main` of its own.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "DataPlane", package: rootPackage)] + dependencies,
        path: "Sources/\(name)",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "firezone-swift-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "DataPlane", package: rootPackage)],
            path: "Sources/FuzzSupport"
        ),
        fuzzTarget("FuzzWireGuardDatagram", [.product(name: "Crypto", package: rootPackage)]),
        fuzzTarget("FuzzIPPacket", [.product(name: "WireGuardConfig", package: rootPackage)]),
        fuzzTarget("FuzzConfigFile", [.product(name: "WireGuardConfig", package: rootPackage)]),
        fuzzTarget("FuzzUAPI", [.product(name: "WireGuardConfig", package: rootPackage)]),
        fuzzTarget("FuzzReplayWindow", []),
        fuzzTarget("FuzzControlMessage", [
            .product(name: "ControlProtocol", package: rootPackage), .product(name: "Portal", package: rootPackage),
            .product(name: "Crypto", package: rootPackage),
        ]),
        fuzzTarget("FuzzPolicyFile", [
            .product(name: "ControlProtocol", package: rootPackage), .product(name: "Portal", package: rootPackage),
        ]),
        fuzzTarget("FuzzZeroTrustPacket", [.product(name: "Crypto", package: rootPackage)]),
    ],
    swiftLanguageModes: [.v6]
)
