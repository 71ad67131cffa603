/// One data-path worker's share of an interface run by several (`fzctl up --threads N`).
///
/// Every worker's device holds the whole configuration, but each peer lives on one worker, its home: only
/// there does it handshake, hold sessions and run timers, so a flow's packets stay in order and the packet
/// path takes no lock. The home follows from the public key alone, so every worker agrees without talking.
/// Session indices a worker hands out carry its number in their low byte, which is what the kernel's
/// `SO_REUSEPORT` steering program reads to deliver a session's datagrams to its worker. Whatever still
/// arrives at the wrong worker (an initiation, a packet the TUN queue or the kernel's hash put elsewhere)
/// is reported as `handOff` and passed to the home worker by the driver.
public struct WorkerShard: Sendable, Equatable, CustomStringConvertible {
    /// This worker, `0..<workers`.
    public let worker: Int
    /// How many workers share the interface (1...255: a session index's low byte names the worker).
    public let workers: Int
    /// The seed every worker derives its cookie secrets from, so a cookie from one holds at all (a peer under
    /// load retries from a new index, which may land on another worker); nil: each device's own secret.
    public let cookieSeed: Key32?

    /// The most workers one interface can have: the steering program reads one byte of the index.
    public static let maximumWorkers = 255

    /// Worker `worker` of `workers`; `cookieSeed` must be the same random value for every worker of the
    /// interface (nil leaves each its own cookie secret, fine where no peer is ever under load).
    public init(worker: Int, workers: Int, cookieSeed: Key32? = nil) {
        precondition((1...Self.maximumWorkers).contains(workers) && (0..<workers).contains(worker),
                     "worker \(worker) of \(workers) is out of range")
        self.worker = worker
        self.workers = workers
        self.cookieSeed = cookieSeed
    }

    /// The worker a peer lives on: its public key's first eight bytes modulo the worker count (keys are
    /// uniformly random, so peers spread evenly).
    @inlinable
    public func home(of key: PublicKey) -> Int {
        var word: UInt64 = 0
        for index in 0..<8 { word |= UInt64(key.raw.bytes[index]) << (8 * UInt64(index)) }
        return Int(word % UInt64(workers))
    }

    /// The worker that handed out a session index.
    @inlinable
    public func worker(ofIndex index: UInt32) -> Int {
        Int(index & 0xFF) % workers
    }

    /// `candidate` with its low byte changed so that it names this worker (the rest stays random).
    @inlinable
    public func claim(_ candidate: UInt32) -> UInt32 {
        let low = Int(candidate & 0xFF)
        var byte = low - low % workers + worker
        if byte > 0xFF { byte -= workers }
        return (candidate & ~0xFF) | UInt32(byte)
    }

    public var description: String { "worker \(worker) of \(workers)" }
}
