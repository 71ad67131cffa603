import Benchmark
import DataPlane

/// TUN offload work per 64 KB super-packet: splitting one the kernel made into 1420-byte IP packets, and
/// coalescing 45 received 1420-byte TCP segments back into one. Neither may allocate.
func registerOffload() {
    let mtu = 1420
    let segmentPayload = mtu - 40
    Benchmark(
        "Offload split 64 KB TCPv4 super-packet into 1420-byte packets",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let superPacket = OffloadBenchmarkPackets.superPacket(payload: 65535 - 40, gsoSize: segmentPayload)
        defer { superPacket.deallocate() }
        let output = UnsafeMutableRawPointer.allocate(byteCount: 64 * mtu, alignment: 64)
        defer { output.deallocate() }
        let packet = UnsafeRawBufferPointer(superPacket)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let plan = try SegmentationPlan(parsing: packet)
            var total = 0
            for index in 0..<plan.segmentCount {
                total += plan.writeSegment(index, from: packet, to: output + index * mtu)
            }
            blackHole(total)
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Offload coalesce 45 TCPv4 1420-byte segments into one super-packet",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let count = 45
        let superPacket = OffloadBenchmarkPackets.superPacket(payload: count * segmentPayload, gsoSize: segmentPayload)
        defer { superPacket.deallocate() }
        let segments = UnsafeMutableRawPointer.allocate(byteCount: count * mtu, alignment: 64)
        defer { segments.deallocate() }
        let plan = try SegmentationPlan(parsing: UnsafeRawBufferPointer(superPacket))
        precondition(plan.segmentCount == count)
        for index in 0..<count {
            _ = plan.writeSegment(index, from: UnsafeRawBufferPointer(superPacket), to: segments + index * mtu)
        }
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535 + VirtioNetHeader.size, alignment: 64)
        defer { destination.deallocate() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let first = UnsafeRawBufferPointer(start: segments, count: mtu)
            guard var group = TCPCoalescing.start(first, into: destination).group else { fatalError("not coalescable") }
            for index in 1..<count {
                let segment = UnsafeRawBufferPointer(start: segments + index * mtu, count: mtu)
                guard TCPCoalescing.append(segment, to: &group, in: destination) else { fatalError("not appended") }
            }
            blackHole(TCPCoalescing.finish(group, in: destination))
        }
        benchmark.stopMeasurement()
    }
}

/// A virtio-net header and an IPv4 TCP super-packet as the kernel hands it to a TUN with TSO.
enum OffloadBenchmarkPackets {
    static func superPacket(payload: Int, gsoSize: Int) -> UnsafeMutableRawBufferPointer {
        let length = 40 + payload
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: VirtioNetHeader.size + length, alignment: 64)
        for index in 0..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: index &* 7) }
        VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: VirtioNetHeader.gsoTCPv4, headerLength: 40,
            gsoSize: UInt16(gsoSize), checksumStart: 20, checksumOffset: 16
        ).store(to: bytes.baseAddress!)
        let header: [UInt8] = [
            0x45, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
            10, 0, 0, 1, 10, 0, 0, 2,
            0x9c, 0x40, 0x01, 0xbb, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, 0x10, 0x01, 0xf6, 0, 0, 0, 0,
        ]
        for (index, byte) in header.enumerated() { bytes[VirtioNetHeader.size + index] = byte }
        return bytes
    }
}
