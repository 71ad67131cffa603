/// What a submission was for, kept in its `user_data` so its completion can be routed: a kind in the top
/// byte and a value (a socket, slot or buffer index, or a generation) below it.
struct CompletionTag: Equatable {
    enum Kind: UInt8 {
        /// A multishot recvmsg; value: socket index.
        case multishotReceive = 1
        /// A one-shot recvmsg; value: receive slot.
        case oneShotReceive
        /// A sendmsg or TUN write; value: send slot.
        case send
        /// A TUN read; value: pool buffer index.
        case tunRead
        /// The deadline timer; value: its generation.
        case timeout
        /// A read of the loop's wake eventfd; value: the loop's generation.
        case wake
        /// A read of the loop's stop eventfd; value: the loop's generation.
        case stop
        /// A cancellation or timer removal; nothing to route.
        case control
    }

    let kind: Kind
    let value: UInt64

    @inline(__always)
    init(_ kind: Kind, _ value: UInt64) {
        self.kind = kind
        self.value = value
    }

    /// Decodes `user_data`; nil for a value no submission used.
    @inline(__always)
    init?(userData: UInt64) {
        guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: userData >> 56)) else { return nil }
        self.kind = kind
        value = userData & 0x00FF_FFFF_FFFF_FFFF
    }

    @inline(__always)
    var userData: UInt64 { UInt64(kind.rawValue) << 56 | (value & 0x00FF_FFFF_FFFF_FFFF) }
}
