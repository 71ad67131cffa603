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
}
