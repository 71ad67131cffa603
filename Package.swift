// swift-tools-version:6.1
import PackageDescription

/// Per-ISA kernel targets compile the same `@inlinable` kernels from `CryptoKernels` with a wider
/// `-target-cpu`, so the plain release build carries an AVX2 and an AVX-512 copy next to the portable
/// one and picks among them at startup.
#if arch(x86_64)
let avx2Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
// skylake-avx512, not a newer CPU: `CPUFeatures.skylakeAVX512Flags` checks at startup every feature of this level
// that code generation may use (not RDSEED and the like, which only intrinsics emit; check-specialization proves
// the binary has none), so no CPU passes the check and then meets an instruction it lacks (names must match there).
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
// Elsewhere the x86 variants compile as portable code and report themselves unavailable at run time.
let avx2Flags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
#endif

/// A build tuned for one gateway's CPU: `FZ_TARGET_CPU=native swift build -c release --product fzctl` (or a
/// named CPU such as `znver3` or `icelake-server`) compiles the packet path for it; `fzctl backends` reports it.
/// The binary then runs only on CPUs with that instruction set.
let targetCPU = Context.environment["FZ_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let tunedCPU: [SwiftSetting] = targetCPU.map {
    [.unsafeFlags(["-target-cpu", $0], .when(configuration: .release))]
} ?? []
let buildInfoDefines: [CSetting] = targetCPU.map { [.define("CFZ_TARGET_CPU", to: "\"\($0)\"")] } ?? []

/// Cross-module optimization for the modules of the packet path (engine, crypto, driver, event loop, node
/// daemons): their generic code is serialized, so `fzctl` specializes the whole path for the concrete backends
/// it picks at startup and inlines across module boundaries (`scripts/check-specialization` proves it on the
/// binary). Release only; the CryptoKernels targets stay out, so their per-ISA code is not re-compiled for the
/// baseline CPU in the caller.
let packetPath: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
    + tunedCPU

/// The tunnel driver and the I/O backends also drop run-time exclusivity checks in release: each object runs on its
/// loop's one thread and moves every packet through batches, rings and slot tables stored in class instances, where
/// each access would be checked (in the io_uring backend about 1.5% of the loop thread receiving 1420-byte
/// datagrams, in `perf`). Debug builds, and so the sanitizer runs, keep the checks.
let loopThreadOnly: [SwiftSetting] = packetPath
    + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "firezone-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fzctl", targets: ["fzctl"]),
        .library(name: "DataPlane", targets: ["DataPlane"]),
        .library(name: "Crypto", targets: ["Crypto"]),
        .library(name: "EpollIO", targets: ["EpollIO"]),
        .library(name: "IOUringIO", targets: ["IOUringIO"]),
        .library(name: "MemoryIO", targets: ["MemoryIO"]),
        .library(name: "WireGuardConfig", targets: ["WireGuardConfig"]),
        .library(name: "ControlProtocol", targets: ["ControlProtocol"]),
        .library(name: "Portal", targets: ["Portal"]),
    ],
    // A gateway image can leave out the libraries it does not use, e.g.
    // `swift build -c release --product fzctl --disable-default-traits --traits IOUring,OpenSSL`.
    // `fzctl backends` prints the traits a build has.
    traits: [
        .trait(name: "Sodium", description: "The sodium crypto backend (links libsodium)."),
        .trait(name: "OpenSSL", description: "The openssl crypto backend (links libcrypto)."),
        .trait(name: "IOUring", description: "The io-uring packet I/O backend (links liburing)."),
        .default(enabledTraits: ["Sodium", "OpenSSL", "IOUring"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        .target(name: "DataPlane", swiftSettings: packetPath),
        .systemLibrary(
            name: "CFZSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // A C target rather than a system library: one C call per packet wraps the EVP calls (and the lock
        // around each context), so Swift never handles an EVP object. Debian's libssl-dev has the headers.
        .target(
            name: "CFZOpenSSL",
            linkerSettings: [.linkedLibrary("crypto", .when(platforms: [.linux]))]
        ),
        .target(name: "CryptoKernels"),
        .target(
            name: "CryptoKernelsAVX2",
            dependencies: ["CryptoKernels"],
            swiftSettings: avx2Flags
        ),
        .target(
            name: "CryptoKernelsAVX512",
            dependencies: ["CryptoKernels"],
            swiftSettings: avx512Flags
        ),
        .target(
            name: "Crypto",
            dependencies: [
                "DataPlane", "CryptoKernels", "CryptoKernelsAVX2", "CryptoKernelsAVX512",
                .target(name: "CFZSodium", condition: .when(traits: ["Sodium"])),
                .target(name: "CFZOpenSSL", condition: .when(traits: ["OpenSSL"])),
            ],
            swiftSettings: packetPath
        ),
        .target(name: "CFZSocketControl", path: "Sources/Backends/Support/CFZSocketControl"),
        .target(name: "CFZTunDevice", path: "Sources/Backends/Support/CFZTunDevice"),
        .target(
            name: "CFZEpoll", dependencies: ["CFZSocketControl", "CFZTunDevice"],
            path: "Sources/Backends/Epoll/CFZEpoll"
        ),
        .target(name: "CFZLoopSupport", path: "Sources/Backends/Support/CFZLoopSupport"),
        .target(
            name: "PacketLoopSupport", dependencies: ["DataPlane", "CFZLoopSupport", "CFZSocketControl"],
            path: "Sources/Backends/Support/PacketLoopSupport"
        ),
        .target(
            name: "EpollIO",
            dependencies: ["DataPlane", "CFZEpoll", "CFZSocketControl", "CFZTunDevice", "PacketLoopSupport"],
            path: "Sources/Backends/Epoll/EpollIO",
            swiftSettings: loopThreadOnly
        ),
        .target(
            name: "CFZURing", dependencies: ["CFZSocketControl", "CFZTunDevice"],
            path: "Sources/Backends/IOUring/CFZURing",
            linkerSettings: [.linkedLibrary("uring", .when(platforms: [.linux]))]
        ),
        .target(
            name: "IOUringIO",
            dependencies: ["DataPlane", "CFZURing", "CFZSocketControl", "CFZTunDevice", "PacketLoopSupport"],
            path: "Sources/Backends/IOUring/IOUringIO",
            swiftSettings: loopThreadOnly
        ),
        .target(name: "MemoryIO", dependencies: ["DataPlane"], path: "Sources/Backends/Memory"),
        .target(name: "WireGuardConfig", dependencies: ["DataPlane"]),
        .target(name: "Locks"),
        // rtnetlink requests in batches: 10,000 peers' routes in one round trip per few hundred, not one `ip` each.
        .target(name: "CFZNetlink", path: "Sources/HostSetup/CFZNetlink"),
        .target(
            name: "HostSetup", dependencies: ["DataPlane", "CFZNetlink", "WireGuardConfig"],
            path: "Sources/HostSetup/HostSetup"
        ),
        .target(name: "ControlProtocol", dependencies: ["DataPlane", "WireGuardConfig"]),
        .target(name: "Portal", dependencies: ["ControlProtocol", "DataPlane", "WireGuardConfig"]),
        .target(
            name: "Tunnel", dependencies: ["DataPlane", "WireGuardConfig", "Locks", "PacketLoopSupport"],
            swiftSettings: loopThreadOnly
        ),
        .target(
            name: "PortalServer",
            dependencies: [
                "Locks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(
            name: "PortalClient",
            dependencies: [
                "Locks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(
            name: "NodeAgent",
            dependencies: [
                "ControlProtocol", "DataPlane", "HostSetup", "Locks", "PortalClient", "Tunnel", "MetricsExport",
                "WireGuardConfig", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: packetPath
        ),
        .target(
            name: "PortalService",
            dependencies: [
                "ControlProtocol", "Locks", "Portal", "PortalServer", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Prometheus metrics of a running interface: counters read from the loop on each scrape, served over HTTP.
        .target(
            name: "MetricsExport",
            dependencies: [
                "DataPlane", "Tunnel", "Locks", "WireGuardConfig",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(name: "CFZBuildInfo", cSettings: buildInfoDefines),
        .target(name: "LogHandlers", dependencies: ["Locks", .product(name: "Logging", package: "swift-log")]),
        .target(name: "BarChart"),
        .executableTarget(
            name: "fzctl",
            dependencies: [
                "DataPlane", "Crypto", "LogHandlers", "EpollIO", "CFZSocketControl", "Tunnel",
                .target(name: "IOUringIO", condition: .when(traits: ["IOUring"])),
                "WireGuardConfig", "HostSetup",
                "PortalClient", "ControlProtocol", "NodeAgent", "Portal", "PortalService", "BarChart", "MetricsExport",
                "CFZBuildInfo", "PacketLoopSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DataPlaneTests", dependencies: ["DataPlane", "Crypto"]),
        .testTarget(name: "EpollIOTests", dependencies: ["EpollIO", "DataPlane"]),
        .testTarget(name: "PacketIOTests", dependencies: ["EpollIO", "IOUringIO", "DataPlane"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "DataPlane", "CryptoKernels"]),
        .testTarget(
            name: "LogHandlersTests",
            dependencies: ["LogHandlers", "Locks", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "HostSetupTests", dependencies: ["HostSetup", "DataPlane"]),
        .testTarget(name: "MetricsExportTests", dependencies: ["MetricsExport", "Tunnel", "DataPlane", "Locks"]),
        .testTarget(name: "FzctlTests", dependencies: ["fzctl", "PortalServer", "Locks", "BarChart"]),
        .testTarget(
            name: "TunnelTests", dependencies: ["Tunnel", "WireGuardConfig", "MemoryIO", "DataPlane", "Crypto", "Locks"]
        ),
        .testTarget(name: "PortalTests", dependencies: ["Portal", "ControlProtocol", "DataPlane", "WireGuardConfig"]),
        .testTarget(
            name: "PortalTransportTests",
            dependencies: [
                "PortalServer", "PortalClient", "Locks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "WireGuardConfigTests", dependencies: ["WireGuardConfig", "DataPlane"]),
        // Its own target: the randomized model test runs hundreds of cases and should not slow the other suites.
        .testTarget(
            name: "ZeroTrustModelTests",
            dependencies: ["DataPlane", "Crypto", "Portal", "ControlProtocol", "WireGuardConfig"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
