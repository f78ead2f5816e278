// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "leafwatch",
    products: [
        .executable(name: "leafwatch", targets: ["leafwatch"])
    ],
    targets: [
        .target(name: "CInotify"),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "LeafwatchCore"),
        .target(
            name: "LeafwatchSystem",
            dependencies: ["LeafwatchCore", "CInotify", "CSystemd", "CZlib"]
        ),
        .executableTarget(
            name: "leafwatch",
            dependencies: ["LeafwatchCore", "LeafwatchSystem"]
        ),
        .testTarget(
            name: "LeafwatchCoreTests",
            dependencies: ["LeafwatchCore"]
        ),
        .testTarget(
            name: "LeafwatchSystemTests",
            dependencies: ["LeafwatchSystem", "LeafwatchCore"]
        ),
    ]
)
