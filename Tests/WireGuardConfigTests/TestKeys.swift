import DataPlane

/// Fixed keys in both encodings; the hex forms were computed independently (Python's base64 module).
enum TestKeys {
    static let interfacePrivate = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
    static let interfacePrivateHex = "c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669"
    static let peerA = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
    static let peerAHex = "c53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f038"
    static let peerB = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
    static let peerBHex = "4eb32f4a83f88d842563a448cc181bb2c42a637bf12363e2fb2ef594e5965d7d"
    static let preshared = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA="
    static let presharedHex = "80deb906420acb578213da4fd7075cf11394b641cb1763df02a61dc98073e840"
    static let zeroHex = String(repeating: "0", count: 64)

    static func key(_ base64: String) -> Key32 {
        try! Key32(base64: base64)
    }
}
