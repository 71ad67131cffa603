/// Packets for a Resource that waits for its flow: at most ``capacity``, byte-identical duplicates
/// dropped, the oldest overwritten when full (SPEC "Client" 2).
///
/// Only reached while a flow is pending, never on the steady data path, so copying into arrays is fine;
/// the capacity bounds what one Resource can hold.
struct PendingFlow {
    static let capacity = 128

    private(set) var packets: [[UInt8]] = []
    private var oldest = 0

    /// Buffers a copy of `packet`; returns false if it was a duplicate, and how many were pushed out.
    mutating func buffer(_ packet: UnsafeRawBufferPointer) -> (stored: Bool, overwritten: Int) {
        if packets.contains(where: { $0.count == packet.count && $0.elementsEqual(packet) }) {
            return (false, 0)
        }
        let copy = [UInt8](packet)
        guard packets.count == Self.capacity else {
            packets.append(copy)
            return (true, 0)
        }
        packets[oldest] = copy
        oldest = (oldest + 1) % Self.capacity
        return (true, 1)
    }

    /// The packets oldest first, emptying the buffer.
    mutating func takeAll() -> [[UInt8]] {
        let ordered = Array(packets[oldest...] + packets[..<oldest])
        packets.removeAll()
        oldest = 0
        return ordered
    }

    var count: Int { packets.count }
}
