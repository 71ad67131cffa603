/// The receive-side anti-replay filter of one keypair: a sliding bitmap of recently seen counters
/// (RFC 6479's scheme, as the kernel uses it).
///
/// The ring holds 4096 bits; the newest 64-bit word may be partly ahead of the highest counter, so the
/// guaranteed window is 4096 - 64 = 4032 counters, above the 2048 the spec requires. A counter is
/// accepted once if it is newer than the highest seen or inside the window and not yet marked.
public struct ReplayWindow: Sendable {
    /// Counters behind the highest seen that can still be accepted.
    public static let windowSize: UInt64 = UInt64(wordCount * 64 - 64)
    @usableFromInline static let wordCount = 64

    @usableFromInline var bitmap: [UInt64]
    /// The highest counter accepted so far (0 before any).
    @usableFromInline var highest: UInt64 = 0
    /// False until the first counter is accepted.
    @usableFromInline var started = false

    /// An empty window; allocates its ring once, when the keypair is made.
    public init() {
        bitmap = [UInt64](repeating: 0, count: Self.wordCount)
    }

    /// Whether `counter` would be accepted now, without marking it: a cheap check before decrypting.
    @inlinable
    public func wouldAccept(_ counter: UInt64) -> Bool {
        if !started || counter > highest { return true }
        if highest - counter > Self.windowSize { return false }
        let word = Int(truncatingIfNeeded: (counter >> 6) & UInt64(Self.wordCount - 1))
        return bitmap[word] & (1 << (counter & 63)) == 0
    }

    /// Marks `counter` as seen if it is acceptable; returns false for replays and counters too old.
    @inlinable
    public mutating func accept(_ counter: UInt64) -> Bool {
        let mask = UInt64(Self.wordCount - 1)
        if !started || counter > highest {
            let newWord = counter >> 6
            if !started {
                for index in 0..<Self.wordCount { bitmap[index] = 0 }
            } else {
                let currentWord = highest >> 6
                let advance = min(newWord - currentWord, UInt64(Self.wordCount))
                var step: UInt64 = 1
                while step <= advance {
                    bitmap[Int(truncatingIfNeeded: (currentWord &+ step) & mask)] = 0
                    step += 1
                }
            }
            highest = counter
            started = true
        } else if highest - counter > Self.windowSize {
            return false
        }
        let word = Int(truncatingIfNeeded: (counter >> 6) & mask)
        let bit: UInt64 = 1 << (counter & 63)
        if bitmap[word] & bit != 0 { return false }
        bitmap[word] |= bit
        return true
    }
}
