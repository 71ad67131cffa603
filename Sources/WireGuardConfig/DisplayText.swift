/// Text from a file or a command line made safe to echo in a one-line error message.
///
/// An offending value is shown so the operator recognizes it, but it may hold control bytes (which a
/// terminal would act on, or which would break the message over several lines) and may be megabytes
/// long. `escaped` writes control and other invisible characters as `\n`, `\t`, `\u{1B}`, ...; `echo`
/// also shortens the text to a few dozen characters with an ellipsis.
public enum DisplayText {
    /// How many characters of an offending value messages show.
    public static let echoLimit = 64

    /// `text` escaped and cut to `limit` characters, with `…` when something was left out.
    public static func echo(_ text: some StringProtocol, limit: Int = echoLimit) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let piece = escape(scalar)
            if count + piece.count > limit {
                return result + "…"
            }
            result += piece
            count += piece.count
        }
        return result
    }

    /// `text` with control and invisible characters escaped, at full length (for whole messages).
    public static func escaped(_ text: some StringProtocol) -> String {
        var result = ""
        for scalar in text.unicodeScalars { result += escape(scalar) }
        return result
    }

    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default: break
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            return "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default:
            return String(scalar)
        }
    }
}
