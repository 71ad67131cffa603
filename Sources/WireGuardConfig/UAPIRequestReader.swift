/// Cuts UAPI requests out of a byte stream at their terminating blank lines.
///
/// A socket delivers bytes in arbitrary chunks and `wg` may send several requests on one connection;
/// append what arrives and take requests out until `nextRequest()` returns nil. The buffer is bounded
/// so a client that never sends the blank line cannot grow it without limit.
public struct UAPIRequestReader: Sendable {
    /// The most bytes one request may take, blank line included.
    public let maximumRequestBytes: Int
    var buffer: [UInt8] = []
    /// How far `buffer` has been searched for the end of a request.
    var scanned = 0

    /// A reader refusing requests longer than `maximumRequestBytes` (1 MiB holds thousands of peers).
    public init(maximumRequestBytes: Int = 1 << 20) {
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
    /// operations).
    public mutating func nextRequest() throws(UAPIError) -> UAPIRequest? {
        let newline = UInt8(ascii: "\n")
        var index = scanned
        while index < buffer.count {
            // A request ends at an empty line: a newline at the start or right after another newline.
            if buffer[index] == newline, index == 0 || buffer[index - 1] == newline {
                let request = buffer[...index]
                buffer.removeSubrange(...index)
                scanned = 0
                return try UAPIRequest.parse(request)
            }
            index += 1
        }
        scanned = buffer.count
        if buffer.count > maximumRequestBytes {
            buffer.removeAll()
            scanned = 0
            throw .requestTooLarge(limit: maximumRequestBytes)
        }
        return nil
    }

    /// Call at end of stream: throws `incomplete` if a partial request is left over.
    public func finish() throws(UAPIError) {
        guard buffer.isEmpty else { throw .incomplete }
    }
}
