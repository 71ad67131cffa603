import Glibc

/// `code` as an operator reads it in an error line: the C library's text and the number.
func errnoText(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
