/// Why `fzctl demo` could not run or did not show what it promised; one line each, saying what to do.
enum DemoError: Error, CustomStringConvertible {
    /// Namespaces, TUN devices and nftables need root.
    case needsRoot
    /// A tool the demo runs is missing: its name and the Debian package that has it.
    case missingTool(String, package: String)
    /// No /dev/net/tun: the kernel (or the container) offers no TUN devices.
    case noTunDevice
    /// Building the namespaces or starting a node failed.
    case setup(String)
    /// Some steps ran but did not behave; their titles.
    case stepsFailed([String])

    var description: String {
        switch self {
        case .needsRoot:
            return "fzctl demo needs root: it creates network namespaces, TUN devices and nftables rules "
                + "(run it with sudo)"
        case .missingTool(let tool, let package):
            return "fzctl demo needs `\(tool)`: install the \(package) package (apt-get install \(package))"
        case .noTunDevice:
            return "fzctl demo needs /dev/net/tun (load the tun module, or give the container the device)"
        case .setup(let reason):
            return "fzctl demo could not set up: \(reason)"
        case .stepsFailed(let titles):
            return "fzctl demo: \(titles.count) step(s) did not behave: \(titles.joined(separator: "; "))"
        }
    }
}
