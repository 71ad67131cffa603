import DataPlane
import Testing
import WireGuardConfig

@Suite struct UAPIRequestReaderTests {
    static let stream = "get=1\n\nset=1\nlisten_port=51820\nreplace_peers=true\n\nget=1\n\n"

    @Test("Requests split at blank lines whatever the chunking", arguments: [1, 2, 3, 7, 64])
    func chunked(chunkSize: Int) throws {
        var reader = UAPIRequestReader()
        var requests: [UAPIRequest] = []
        let bytes = Array(Self.stream.utf8)
        var offset = 0
        while offset < bytes.count {
            reader.append(contentsOf: bytes[offset..<min(offset + chunkSize, bytes.count)])
            offset += chunkSize
            while let request = try reader.nextRequest() { requests.append(request) }
        }
        #expect(requests == [.get, .set(UAPISetRequest(deviceOperations: [.listenPort(51820), .replacePeers])), .get])
        #expect(reader.bufferedByteCount == 0)
        try reader.finish()
    }

    @Test("A partial request waits for more bytes and is reported at end of stream")
    func partial() throws {
        var reader = UAPIRequestReader()
        reader.append(contentsOf: "set=1\nlisten_port=1\n".utf8)
        #expect(try reader.nextRequest() == nil)
        #expect(throws: UAPIError.incomplete) { try reader.finish() }
    }

    @Test("A bad request is dropped with its error and the next one still parses")
    func recovers() throws {
        var reader = UAPIRequestReader()
        reader.append(contentsOf: "set=1\nnope=1\n\nget=1\n\n".utf8)
        #expect(throws: UAPIError.unknownKey(line: 2, key: "nope", scope: .device)) { try reader.nextRequest() }
        #expect(try reader.nextRequest() == .get)
    }

    @Test("A leading blank line is an empty operation, a protocol error")
    func emptyOperation() throws {
        var reader = UAPIRequestReader()
        reader.append(contentsOf: "\nget=1\n\n".utf8)
        #expect(throws: UAPIError.unknownOperation("")) { try reader.nextRequest() }
        #expect(try reader.nextRequest() == .get)
    }

    @Test("Bytes past the limit without a blank line are refused with EMSGSIZE")
    func tooLarge() {
        var reader = UAPIRequestReader(maximumRequestBytes: 32)
        reader.append(contentsOf: ("set=1\n" + String(repeating: "listen_port=1\n", count: 4)).utf8)
        #expect(throws: UAPIError.requestTooLarge(limit: 32)) { try reader.nextRequest() }
        #expect(UAPIError.requestTooLarge(limit: 32).errno == UAPIErrno.messageTooLong)
        #expect(reader.bufferedByteCount == 0)
    }

    /// A `set` of 20,000 peers with a key, endpoint, keepalive and allowed IP each, as `wg addconf` sends it.
    static func twentyThousandPeers() -> UAPISetRequest {
        UAPISetRequest(deviceOperations: [.replacePeers], peers: (0..<20_000).map { index in
            var bytes = [UInt8](repeating: 0xa5, count: 32)
            bytes[0] = UInt8(index & 0xff)
            bytes[1] = UInt8(index >> 8)
            let address = IPv4Address(10, 9, UInt8(index >> 8), UInt8(index & 0xff))
            return UAPIPeerUpdate(publicKey: PublicKey(raw: Key32(bytes)!), operations: [
                .endpoint(Endpoint(address: .v4(address), port: 51820)), .persistentKeepaliveInterval(25),
                .replaceAllowedIPs, .allowedIP(IPNetwork(.v4(address), prefixLength: 32)!),
            ])
        })
    }

    @Test("A 20,000-peer set of several MB fits the default limit and parses whole from 64 KiB chunks")
    func twentyThousandPeerSet() throws {
        let expected = Self.twentyThousandPeers()
        let bytes = Array(UAPIRequest.set(expected).serialized.utf8)
        #expect(bytes.count > 3 << 20)
        var reader = UAPIRequestReader()
        var requests: [UAPIRequest] = []
        for start in stride(from: 0, to: bytes.count, by: 65536) {
            reader.append(contentsOf: bytes[start..<min(start + 65536, bytes.count)])
            while let request = try reader.nextRequest() { requests.append(request) }
        }
        #expect(requests == [.set(expected)])
        try reader.finish()
    }

    @Test("An oversized request is refused once, the rest of it is dropped, and the next request parses",
          arguments: [1, 5, 4096])
    func oversizedIsSkipped(chunkSize: Int) throws {
        var reader = UAPIRequestReader(maximumRequestBytes: 64)
        // The oversized request's blank line falls across chunk boundaries for the small chunk sizes.
        let stream = "set=1\n" + String(repeating: "listen_port=1\n", count: 40) + "\nget=1\n\n"
        let bytes = Array(stream.utf8)
        var errors: [UAPIError] = []
        var requests: [UAPIRequest] = []
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            reader.append(contentsOf: bytes[start..<min(start + chunkSize, bytes.count)])
            while true {
                do {
                    guard let request = try reader.nextRequest() else { break }
                    requests.append(request)
                } catch {
                    errors.append(error)
                }
            }
            #expect(reader.bufferedByteCount <= 64 + chunkSize)
        }
        #expect(errors == [.requestTooLarge(limit: 64)])
        #expect(requests == [.get])
        try reader.finish()
    }
}
