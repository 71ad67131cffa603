import ControlProtocol
import Crypto
import DataPlane
import FuzzSupport
import Portal

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(ControlMessageSeeds.make)
    return 0
}

/// The input is up to 16 lines, each one text frame from the portal or a node (`ControlMessageScenario`).
/// Every line goes through `ControlMessage.decode`; what decodes must re-encode to text that decodes to an
/// equal message, and is then delivered to a portal (from a joined Client and a joined Gateway) and, as
/// the portal's word, to a Gateway and a Client node. The portal's answers and the nodes' events are
/// relayed between them until quiet, so a fuzzed `create_flow` runs a whole flow set-up.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 15, omittingEmptySubsequences: true)
    let messages = lines.compactMap { decodeAndCheck(String(decoding: $0, as: UTF8.self)) }
    guard !messages.isEmpty else { return 0 }
    runScenario(fuzzBackend, messages)
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

func runScenario<B: CryptoBackend>(_ backend: B.Type, _ messages: [ControlMessage]) {
    let scenario = ControlMessageScenario<B>()
    for message in messages { scenario.deliver(message) }
    scenario.finish()
}

/// Decodes `text`; a message must survive `encoded()` -> `decode` unchanged, and its encoding is stable.
func decodeAndCheck(_ text: String) -> ControlMessage? {
    let message: ControlMessage
    do throws(ControlMessageError) {
        message = try ControlMessage.decode(text)
    } catch {
        fuzzCheck(!error.description.isEmpty, "an error without a message")
        return nil
    }
    checkRoundTrip(message)
    return message
}

/// `message` encodes to text that decodes to `message` and encodes the same again.
func checkRoundTrip(_ message: ControlMessage) {
    let encoded = message.encoded()
    do throws(ControlMessageError) {
        let again = try ControlMessage.decode(encoded)
        fuzzCheck(again == message, "\(encoded) decodes to \(again), not \(message)")
        fuzzCheck(again.encoded() == encoded, "the encoding of \(message) is not stable")
    } catch {
        fuzzCheck(false, "the encoding \(encoded) of \(message) does not decode: \(error)")
    }
    fuzzCheck(message.auditFields["message_type"] == message.eventName, "audit fields without the event name")
}
