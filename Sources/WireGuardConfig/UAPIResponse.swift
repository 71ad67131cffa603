/// The status line that ends every UAPI response.
public enum UAPIResponse {
    /// `errno=0` and a blank line on success; otherwise `errno=-N` and a blank line.
    ///
    /// The value is negated as wireguard-go does because `wg(8)` reads it with `fscanf("errno=%d")` after
    /// a `set` and reports `strerror(-N)`: a positive number would print "Unknown error -22" instead of
    /// "Invalid argument".
    public static func status(for error: UAPIError?) -> String {
        guard let error else { return "errno=0\n\n" }
        return "errno=\(-Int64(error.errno))\n\n"
    }
}
