/// Cuts UAPI requests out of a byte stream at their terminating blank lines.
///
/// A socket delivers bytes in arbitrary chunks and `wg` may send several requests on one connection;
/// append what arrives and take requests out until `nextRequest()` returns nil. The buffer is bounded
/// so a client that never sends the blank line cannot grow it without limit: a request over the limit
/// is reported once (EMSGSIZE) and the rest of it, up to its blank line, is dropped as it arrives, so
/// the server can answer and keep reading instead of cutting the client off mid-upload.
public struct UAPIRequestReader: Sendable {
    /// 64 MiB: a `set` of 20,000 peers with keys, endpoints and a few allowed IPs each is about 5 MB.
    public static let defaultMaximumRequestBytes = 64 << 20

    /// The most bytes one request may take, blank line included.
    public let maximumRequestBytes: Int
    var buffer: [UInt8] = []
    /// How far `buffer` has been searched for the end of a request.
    var scanned = 0
    /// True while the rest of an oversized request is being dropped.
    var discarding = false
    /// Whether the last byte dropped while discarding was a newline (a blank line may span two chunks).
    var discardedNewline = false

    /// A reader refusing requests longer than `maximumRequestBytes`.
    public init(maximumRequestBytes: Int = Self.defaultMaximumRequestBytes) {
        self.maximumRequestBytes = maximumRequestBytes
    }

    /// Bytes received but not yet returned as a request.
    public var bufferedByteCount: Int { buffer.count }

    /// Adds bytes read from the socket.
    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or nil until more bytes arrive.
    ///
    /// A malformed request throws with its errno and is dropped from the buffer, so the caller can
    /// answer `errno=N` and keep reading (or close the connection, as wireguard-go does for unknown
    /// operations). An oversized one throws `requestTooLarge` as soon as the limit is passed; its
    /// remaining bytes are then dropped until its blank line, and the next request parses normally.
    public mutating func nextRequest() throws(UAPIError) -> UAPIRequest? {
        let newline = UInt8(ascii: "\n")
        if discarding {
            var index = 0
            while index < buffer.count {
                let previousIsNewline = index == 0 ? discardedNewline : buffer[index - 1] == newline
                if buffer[index] == newline && previousIsNewline { break }
                index += 1
            }
            guard index < buffer.count else {
                discardedNewline = buffer.last.map { $0 == newline } ?? discardedNewline
                buffer.removeAll(keepingCapacity: true)
                return nil
            }
            buffer.removeSubrange(...index)
            discarding = false
            scanned = 0
        }
        var index = scanned
        while index < buffer.count {
            // A request ends at an empty line: a newline at the start or right after another newline.
            if buffer[index] == newline, index == 0 || buffer[index - 1] == newline {
                let request = buffer[...index]
                buffer.removeSubrange(...index)
                scanned = 0
                // The same answer whether the request arrived in one chunk or many.
                guard request.count <= maximumRequestBytes else {
                    throw .requestTooLarge(limit: maximumRequestBytes)
                }
                return try UAPIRequest.parse(request)
            }
            index += 1
        }
        scanned = buffer.count
        if buffer.count > maximumRequestBytes {
            discarding = true
            discardedNewline = buffer.last == newline
            buffer.removeAll()
            scanned = 0
            throw .requestTooLarge(limit: maximumRequestBytes)
        }
        return nil
    }

    /// Call at end of stream: throws `incomplete` if a partial request is left over.
    public func finish() throws(UAPIError) {
        guard buffer.isEmpty && !discarding else { throw .incomplete }
    }
}
