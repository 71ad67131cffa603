import Crypto
import DataPlane
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(ZeroTrustPacketSeeds.make)
    return 0
}

/// The first byte picks what the rest is. Even: one IP packet for the zero-trust parsers (`PacketFlow`,
/// `ICMPProhibited.build` and `prohibitedDestination`), checked by `checkParsers`. Odd: a program for a
/// Client and Gateway pair (`ZeroTrustProgram`) whose packets, aimed at the Resources or raw, go through
/// every packet path of both nodes; each packet also goes through `checkParsers`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    if data[0] & 1 == 0 {
        checkParsers(Array(rest))
    } else {
        var input = FuzzInput(rest)
        runProgram(fuzzBackend, input: &input)
    }
    return 0
}

/// The pure-Swift backend production would pick here, as in the datagram target.
let fuzzBackend: any CryptoBackend.Type = {
    do {
        return try CryptoRegistry.resolve("swift").backend
    } catch {
        fatalError("no swift crypto backend: \(error)")
    }
}()

func runProgram<B: CryptoBackend>(_ backend: B.Type, input: inout FuzzInput) {
    var program = ZeroTrustProgram<B>(header: &input)
    program.run(&input)
    if tracing {
        print("client: \(program.pair.client.counters)")
        print("gateway: \(program.pair.gateway.counters), authorizations \(program.pair.gateway.authorizations)")
    }
}

/// `FZ_FUZZ_TRACE=1` prints both nodes' packet counters after a program, to see which paths an input reached.
let tracing = getenv("FZ_FUZZ_TRACE") != nil
