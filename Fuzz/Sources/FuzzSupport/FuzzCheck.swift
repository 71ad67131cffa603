/// Stops the process with a message when a property the target checks does not hold.
///
/// `precondition` is compiled out under `-Ounchecked` and says nothing about which property failed in a
/// crash report; this always traps and prints the message first, so libFuzzer saves the input and the
/// log says what went wrong.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz property violated: \(message())", file: file, line: line) }
}
