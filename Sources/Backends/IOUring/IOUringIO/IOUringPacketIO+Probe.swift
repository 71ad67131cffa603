import CFZURing
import CFZTunDevice
import DataPlane
import Glibc

extension IOUringPacketIO {
    /// Checks whether io_uring can carry packets on this host, and with what: creates a throwaway ring, asks the
    /// kernel for every opcode the backend uses, registers a provided-buffer ring, arms a multishot recvmsg,
    /// tests `UDP_SEGMENT`/`UDP_GRO` on a socket and (as root) TUN offloads on a throwaway device.
    ///
    /// `unusableReason` names the exact cause when io_uring cannot be used (`kernel.io_uring_disabled`, a
    /// seccomp filter, an old kernel, a missing opcode); `details` list what was found.
    public static func probe() -> PacketIOProbe {
        var found = cfz_uring_probe_result()
        cfz_uring_probe(&found)
        var details: [String] = []
        if let kernel = kernelRelease() { details.append("kernel \(kernel)") }
        if found.setup_error != 0 {
            return PacketIOProbe(
                unusableReason: setupFailure(found.setup_error), offloads: [], details: details)
        }
        let opcodes: [(String, Int32)] = [
            ("RECVMSG", found.recvmsg), ("SENDMSG", found.sendmsg), ("READ", found.read), ("WRITE", found.write),
            ("TIMEOUT", found.timeout), ("TIMEOUT_REMOVE", found.timeout_remove),
            ("ASYNC_CANCEL", found.async_cancel),
        ]
        if found.probe_available == 0 {
            return PacketIOProbe(
                unusableReason: "io_uring has no opcode probe (IORING_REGISTER_PROBE, Linux 5.6): kernel too old",
                offloads: [], details: details)
        }
        let missing = opcodes.filter { $0.1 == 0 }.map(\.0)
        if !missing.isEmpty {
            return PacketIOProbe(
                unusableReason: "this kernel's io_uring lacks opcode(s) \(missing.joined(separator: ", "))",
                offloads: [], details: details)
        }
        if found.multishot_recvmsg != 0 {
            details.append("multishot recvmsg + buffer ring")
        } else if found.buffer_ring_error != 0 {
            details.append("one-shot recvmsg (no buffer ring: \(IOUringIOError.errorText(found.buffer_ring_error)))")
        } else {
            details.append("one-shot recvmsg (no multishot recvmsg)")
        }
        details.append(
            plainSendsSupported ? "sends: SEND with address (SENDMSG for GSO or a chosen source)"
                : "sends: SENDMSG (SEND with an address needs Linux 6.1)")
        var offloads: PacketOffloads = []
        let udp = cfz_udp_offload_support()
        if udp & 1 != 0 { offloads.insert(.udpGSO) }
        if udp & 2 != 0 { offloads.insert(.udpGRO) }
        details.append("UDP: GSO \(udp & 1 != 0 ? "yes" : "no"), GRO \(udp & 2 != 0 ? "yes" : "no")")
        if geteuid() == 0 {
            var name = [CChar](repeating: 0, count: Int(CFZ_INTERFACE_NAME_SIZE))
            var failedCall: UnsafePointer<CChar>? = nil
            var on: Int32 = 0
            var uso: Int32 = 0
            let fd = cfz_uring_tun_open("", 1, 0, &name, &on, &uso, &failedCall)
            if fd >= 0 {
                close(fd)
                if on != 0 {
                    offloads.insert(.tunOffload)
                    details.append("TUN: CSUM TSO4 TSO6\(uso != 0 ? " USO" : "")")
                }
            } else {
                details.append("TUN offload: not available (\(failedCall.map { String(cString: $0) } ?? "open"))")
            }
        } else {
            details.append("TUN offload: not checked (needs root)")
        }
        return PacketIOProbe(unusableReason: nil, offloads: offloads, details: details)
    }

    /// Why `io_uring_setup` failed, as precisely as the host lets us tell.
    static func setupFailure(_ error: Int32) -> String {
        switch error {
        case ENOSYS:
            return "io_uring_setup: ENOSYS: this kernel has no io_uring (older than 5.1 or built without it)"
        case EPERM:
            let disabled = readSysctl("/proc/sys/kernel/io_uring_disabled")
            switch disabled {
            case "2":
                return "io_uring_setup: EPERM: io_uring is disabled for every process (kernel.io_uring_disabled = 2)"
            case "1":
                return "io_uring_setup: EPERM: kernel.io_uring_disabled = 1 and this process is not in "
                    + "kernel.io_uring_group"
            default:
                return "io_uring_setup: EPERM although kernel.io_uring_disabled = \(disabled ?? "unknown"): "
                    + "a seccomp filter (container runtime or sandbox) refuses io_uring"
            }
        default:
            return "io_uring_setup failed: \(IOUringIOError.errorText(error)) (errno \(error))"
        }
    }

    private static func readSysctl(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: " \n")
    }

    /// Whether `IORING_OP_SEND` takes a destination address (Linux 6.1 added it), so that a datagram with no control
    /// message need not go out as a sendmsg.
    static let plainSendsSupported: Bool = {
        guard let release = kernelRelease() else { return false }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (6, 1)
    }()

    private static func kernelRelease() -> String? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        return withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}
