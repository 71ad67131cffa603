/// Why an IP address or a CIDR prefix such as `10.0.0.1/24` was refused.
///
/// Config files and UAPI requests share the same address syntax, so they share one error whose
/// description says what a valid value looks like.
public enum AddressParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing between two commas, or an empty value.
    case empty
    /// Neither a dotted-quad IPv4 nor an RFC 4291 IPv6 address.
    case invalidAddress(String)
    /// The part after `/` is not a decimal number.
    case invalidPrefixLength(String)
    /// The prefix length exceeds the family's width (32 for IPv4, 128 for IPv6).
    case prefixTooLong(Int, maximum: Int)
    /// An IPv6 address with a `%zone` suffix, which a WireGuard prefix cannot carry.
    case scopedAddress(String)

    public var description: String {
        switch self {
        case .empty:
            return "an empty entry; remove the stray comma or write an address such as 10.0.0.1/32"
        case .invalidAddress(let text):
            return "'\(DisplayText.echo(text))' is not an IP address; write IPv4 as 10.0.0.1 and IPv6 as fd00::1"
        case .invalidPrefixLength(let text):
            return "'\(DisplayText.echo(text))' is not a prefix length; "
                + "write a decimal number after '/', e.g. 10.0.0.0/24"
        case .prefixTooLong(let length, let maximum):
            return "prefix length /\(length) is too long; this address family allows at most /\(maximum)"
        case .scopedAddress(let text):
            return "'\(DisplayText.echo(text))' has a %zone suffix; scoped IPv6 addresses are not supported here"
        }
    }
}
