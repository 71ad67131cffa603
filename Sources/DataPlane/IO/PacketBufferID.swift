/// The index of one buffer in a ``PacketBufferPool``.
///
/// An index rather than a pointer so it fits the 16-bit buffer IDs of an io_uring provided-buffer ring and a
/// descriptor stays small and trivially copyable.
public struct PacketBufferID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The zero-based buffer index.
    public let index: UInt32

    /// The buffer with `index`.
    @inlinable public init(_ index: UInt32) { self.index = index }

    /// Marks a batch entry whose buffer was taken out of the batch; never a real buffer.
    public static let none = PacketBufferID(UInt32.max)

    /// `#index`, or `none`.
    public var description: String { self == .none ? "none" : "#\(index)" }
}
