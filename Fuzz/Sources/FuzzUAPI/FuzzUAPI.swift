import DataPlane
import FuzzSupport
import WireGuardConfig

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(UAPISeeds.make)
    return 0
}

/// Input: one byte picking the reader's size limit, one byte seeding the chunk sizes, then the byte
/// stream a UAPI client sends. The stream goes through `UAPIRequestReader` in chunks, the way a socket
/// delivers it, and must come out as the same requests as from one whole read; each body also goes
/// straight to `UAPISetRequest.parse`. Every request that parses must serialize back to text that parses
/// to the same request.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    let limits = [UAPIRequestReader.defaultMaximumRequestBytes, 16, 64, 300, 4096]
    let limit = limits[input.choice(limits.count)]
    var chunkRandom = SeededRandom(seed: UInt64(input.byte()) | 0x100)
    let stream = input.rest()

    let whole = readAll(stream, limit: limit, chunk: { stream.count })
    let chunked = readAll(stream, limit: limit, chunk: { Int(chunkRandom.next() % 17) + 1 })
    // Oversized requests included: the reader promises the same answers however the bytes arrive.
    fuzzCheck(whole.results == chunked.results, "chunked reads frame the stream differently")
    checkSetParser(stream)
    return 0
}

/// What a reader made of a stream: each request or error in order.
struct ReadResults {
    var results: [Result<UAPIRequest, UAPIError>] = []
}

/// Feeds `stream` to a reader `chunk()` bytes at a time, taking requests out after each read as the
/// server does, and checks each one.
func readAll(_ stream: [UInt8], limit: Int, chunk: () -> Int) -> ReadResults {
    var reader = UAPIRequestReader(maximumRequestBytes: limit)
    var output = ReadResults()
    var offset = 0
    while offset < stream.count {
        let end = min(stream.count, offset + chunk())
        reader.append(contentsOf: stream[offset..<end])
        offset = end
        while true {
            do throws(UAPIError) {
                guard let request = try reader.nextRequest() else { break }
                checkRoundTrip(request)
                output.results.append(.success(request))
            } catch {
                fuzzCheck(error.errno > 0, "errno \(error.errno) for \(error)")
                output.results.append(.failure(error))
            }
        }
        // With no complete request left, what the reader holds is bounded by the limit.
        fuzzCheck(reader.bufferedByteCount <= limit, "reader holds \(reader.bufferedByteCount) bytes, limit \(limit)")
    }
    do throws(UAPIError) {
        try reader.finish()
        fuzzCheck(reader.bufferedByteCount == 0, "finish accepted a partial request")
    } catch {
        // A partial request is left, or the rest of an oversized one was still being dropped.
        fuzzCheck(error == .incomplete, "finish threw \(error)")
    }
    return output
}

/// A parsed request must serialize to text that parses to the same request.
func checkRoundTrip(_ request: UAPIRequest) {
    let text = request.serialized
    fuzzCheck(text.hasSuffix("\n\n"), "serialized request does not end with a blank line")
    do throws(UAPIError) {
        let again = try UAPIRequest.parse(Array(text.utf8))
        fuzzCheck(again == request, "\(text.debugDescription) parses to a different request")
    } catch {
        fuzzCheck(false, "serialized request \(text.debugDescription) is refused: \(error)")
    }
    guard case .set(let set) = request else { return }
    for update in set.peers {
        for operation in update.operations {
            if case .allowedIP(let network) = operation {
                fuzzCheck(network.contains(network.address), "allowed IP \(network) is not masked")
            }
        }
    }
}

/// The lines after `set=1` straight into `UAPISetRequest.parse`, as the server's request parser does.
func checkSetParser(_ stream: [UInt8]) {
    let lines = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        .prefix { !$0.isEmpty }
        .map { Substring(String(decoding: $0, as: UTF8.self)) }
    do throws(UAPIError) {
        let request = try UAPISetRequest.parse(lines: Array(lines))
        checkRoundTrip(.set(request))
    } catch {
        switch error {
        case .malformedLine(let line, _), .unknownKey(let line, _, _), .invalidValue(let line, _, _, _):
            fuzzCheck(line >= 2 && line < lines.count + 2, "error at request line \(line) of \(lines.count + 1)")
        default:
            fuzzCheck(false, "UAPISetRequest.parse threw \(error)")
        }
    }
}
