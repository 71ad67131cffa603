import DataPlane
import FuzzSupport

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(ReplayWindowSeeds.make)
    return 0
}

/// The input is a sequence of counters, each a step from the highest one so far (forward a little or a
/// lot, back within or past the window) or an absolute value, given to `ReplayWindow` and to a model that
/// remembers every counter: both must agree on `wouldAccept` and `accept` for each.
///
/// The datagram target cannot send the thousands of packets it takes to move this window by its size;
/// here one input can.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    var window = ReplayWindow()
    var model = ReplayModel()
    var steps = 0
    while !input.isAtEnd, steps < 512 {
        steps += 1
        let counter = model.nextCounter(&input)
        let expected = model.accepts(counter)
        fuzzCheck(window.wouldAccept(counter) == expected, "wouldAccept(\(counter)) != \(expected), \(model)")
        fuzzCheck(window.accept(counter) == expected, "accept(\(counter)) != \(expected), \(model)")
        if expected { model.record(counter) }
    }
    return 0
}

/// RFC 6479's contract without its bitmap: a counter is accepted once if it is newer than the highest
/// or at most `windowSize` behind it.
struct ReplayModel: CustomStringConvertible {
    var highest: UInt64?
    var seen: Set<UInt64> = []

    func accepts(_ counter: UInt64) -> Bool {
        guard let highest, counter <= highest else { return true }
        return highest - counter <= ReplayWindow.windowSize && !seen.contains(counter)
    }

    mutating func record(_ counter: UInt64) {
        seen.insert(counter)
        highest = max(highest ?? 0, counter)
        // Counters far behind can never be accepted again; forgetting them keeps the model small.
        if seen.count > 8192, let highest { seen = seen.filter { highest - $0 <= ReplayWindow.windowSize } }
    }

    /// The next counter: a step relative to the highest so far, picked by the input.
    func nextCounter(_ input: inout FuzzInput) -> UInt64 {
        let base = highest ?? 0
        let window = ReplayWindow.windowSize
        switch input.choice(8) {
        case 0: return base &+ UInt64(input.byte())
        case 1: return base &+ UInt64(input.uint16())
        case 2: return base &+ (UInt64(input.byte()) << 12)
        case 3: return base &- UInt64(input.byte())
        case 4: return base &- (window &- 64 &+ UInt64(input.byte()))
        case 5: return base &- UInt64(input.uint16() % 8192)
        case 6: return input.uint64()
        default: return UInt64.max &- UInt64(input.byte())
        }
    }

    var description: String { "highest \(highest.map(String.init) ?? "none"), \(seen.count) seen" }
}
