/// A bounded queue of small packets in storage allocated once, each tagged with a peer.
///
/// ICMP errors a node makes itself (a Gateway's "prohibited" into a Client's tunnel, a Client's local
/// answer to its own TUN device) wait here until the driver polls. Their number is bounded so no sender
/// can grow memory, and slots are reused so making one does not allocate.
struct PacketRing {
    let slotSize: Int
    let capacity: Int
    private var storage: [UInt8]
    private var lengths: [Int]
    private var peers: [PeerID]
    private var head = 0
    private(set) var count = 0
    /// Packets refused because the ring was full.
    private(set) var overflows: UInt64 = 0

    init(capacity: Int, slotSize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        storage = [UInt8](repeating: 0, count: capacity * slotSize)
        lengths = [Int](repeating: 0, count: capacity)
        peers = [PeerID](repeating: PeerID(index: 0), count: capacity)
    }

    var isEmpty: Bool { count == 0 }

    /// Lets `write` fill the next free slot (at most `slotSize` bytes) and keeps it if `write` returns a length.
    mutating func append(peer: PeerID, _ write: (UnsafeMutableRawBufferPointer) -> Int?) {
        guard count < capacity else {
            overflows &+= 1
            return
        }
        let slot = (head + count) % capacity
        let written = storage.withUnsafeMutableBytes { bytes in
            write(UnsafeMutableRawBufferPointer(rebasing: bytes[(slot * slotSize)..<((slot + 1) * slotSize)]))
        }
        guard let written, written > 0 else { return }
        lengths[slot] = written
        peers[slot] = peer
        count += 1
    }

    /// Hands the oldest packet to `read` and removes it.
    mutating func removeFirst<Result>(_ read: (PeerID, UnsafeRawBufferPointer) -> Result) -> Result? {
        guard count > 0 else { return nil }
        let slot = head
        head = (head + 1) % capacity
        count -= 1
        let length = lengths[slot]
        return storage.withUnsafeBytes { bytes in
            read(peers[slot], UnsafeRawBufferPointer(rebasing: bytes[(slot * slotSize)..<(slot * slotSize + length)]))
        }
    }

    mutating func removeAll() {
        head = 0
        count = 0
    }
}
