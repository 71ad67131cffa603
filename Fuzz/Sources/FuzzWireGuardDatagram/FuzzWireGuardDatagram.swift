import Crypto
import DataPlane
import FuzzSupport

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(DatagramSeeds.make)
    return 0
}

/// One input is one program for two `WireGuardDevice`s: a header byte picks the configuration and
/// whether a real handshake completes first, then opcodes send packets, deliver, mutate, replay or drop
/// datagrams in flight, craft handshake messages with a correct MAC1 (and MAC2 once a cookie was
/// captured), advance the clock and reconfigure (see `DatagramScenario`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    runScenario(fuzzBackend, input: &input)
    return 0
}

/// The pure-Swift backend with the kernel variant production would pick here: the code that ships.
/// Ciphertexts are the same for every variant, so inputs reproduce on any host.
let fuzzBackend: any CryptoBackend.Type = {
    do {
        return try CryptoRegistry.resolve("swift").backend
    } catch {
        fatalError("no swift crypto backend: \(error)")
    }
}()

func runScenario<B: CryptoBackend>(_ backend: B.Type, input: inout FuzzInput) {
    let scenario = DatagramScenario<B>(header: &input)
    scenario.run(&input)
}
