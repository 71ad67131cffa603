/// The peers whose timers may come due, earliest first: a binary min-heap of (deadline, peer).
///
/// With 10,000 peers a scan of every peer on each wake-up cost about 0.9 ms; the heap makes a wake-up cost
/// O(log n) per peer that is actually due. A peer keeps one invariant: while any of its deadlines is armed,
/// the heap holds an entry for it no later than the earliest one (``PeerState/scheduledAt`` names that entry).
/// Arming a deadline earlier than that pushes a new entry (PeerState's `didSet`s); clearing or postponing one
/// pushes nothing, and the entry left behind is found stale when it reaches the top and is dropped or
/// re-pushed at the peer's real next deadline. Removed peers' entries are dropped the same way, and the
/// heap is rebuilt from the live peers when stale entries outnumber them, so it never outgrows them by much.
final class TimerSchedule<Backend: CryptoBackend> {
    typealias Peer = PeerState<Backend>

    struct Entry {
        var deadline: MonotonicInstant
        var peer: Peer
    }

    private(set) var heap: [Entry] = []

    /// Records that `peer` may be due at `deadline`.
    func push(_ deadline: MonotonicInstant, _ peer: Peer) {
        peer.scheduledAt = deadline
        heap.append(Entry(deadline: deadline, peer: peer))
        siftUp(heap.count - 1)
    }

    /// Drops stale entries from the top until it is a live peer's real next deadline, and returns it.
    ///
    /// An entry is stale when its peer was removed, when a newer, earlier entry replaced it, or when the
    /// deadline it stood for was cleared or postponed (then the peer's real next deadline is pushed).
    func earliest() -> MonotonicInstant? {
        while let top = heap.first {
            let peer = top.peer
            if !peer.isRemoved && peer.scheduledAt == top.deadline {
                let real = peer.nextDeadline
                if real == top.deadline { return top.deadline }
                popFirst()
                peer.scheduledAt = nil
                if let real { push(real, peer) }
            } else {
                popFirst()
            }
        }
        return nil
    }

    /// Removes and returns the next peer due at `now`; its entry is gone and `scheduledAt` cleared, so the
    /// caller runs its timers and then calls ``reschedule(_:)``.
    func popDue(now: MonotonicInstant) -> Peer? {
        while let deadline = earliest(), deadline <= now {
            let peer = heap[0].peer
            popFirst()
            peer.scheduledAt = nil
            return peer
        }
        return nil
    }

    /// After a peer's timers ran: makes sure its next deadline, if any, has an entry.
    func reschedule(_ peer: Peer) {
        guard !peer.isRemoved, let next = peer.nextDeadline else { return }
        if let scheduled = peer.scheduledAt, scheduled <= next { return }
        push(next, peer)
    }

    /// Rebuilds the heap from `peers` when stale entries dominate (a burst of peers added and removed).
    func compact(livePeers: Int, peers: some Sequence<Peer>) {
        guard heap.count > 2 * livePeers + 64 else { return }
        heap.removeAll(keepingCapacity: true)
        for peer in peers {
            peer.scheduledAt = nil
            if let next = peer.nextDeadline { push(next, peer) }
        }
    }

    private func popFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private func siftUp(_ start: Int) {
        var child = start
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry.deadline < heap[parent].deadline else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    private func siftDown(_ start: Int) {
        var parent = start
        let entry = heap[parent]
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count && heap[child + 1].deadline < heap[child].deadline { child += 1 }
            guard heap[child].deadline < entry.deadline else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = entry
    }
}
