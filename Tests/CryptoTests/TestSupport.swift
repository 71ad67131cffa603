import Crypto
import DataPlane

/// Hex decoding for test vectors; whitespace is ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func value(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}

/// A small deterministic generator (xorshift64*), so a failing case can be reproduced from its seed.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Every machine-code variant of the Swift kernels that this host can run.
let runnableKernelSets: [any ChaChaPolyKernelSet.Type] = {
    let all: [any ChaChaPolyKernelSet.Type] = [PortableKernelSet.self, AVX2KernelSet.self, AVX512KernelSet.self]
    return all.filter { $0.availability.isAvailable }
}()

/// Whether libcrypto's ChaCha20-Poly1305 runs here; `OpenSSLBackendTests` fails, with the reason, when it does not.
let openSSLAvailability: BackendAvailability =
    CryptoRegistry.all.first { $0.name == "openssl" }?.availability ?? .unavailable(reason: "not registered")

/// Every crypto backend this host can run, Swift variants included.
let runnableBackends: [any CryptoBackend.Type] = {
    var backends: [any CryptoBackend.Type] = [SodiumBackend.self]
    if openSSLAvailability.isAvailable { backends.append(OpenSSLBackend.self) }
    return backends + runnableKernelSets.map { kernelBackend($0) }
}()

func kernelBackend<K: ChaChaPolyKernelSet>(_ kernels: K.Type) -> any CryptoBackend.Type {
    SwiftCryptoBackend<K>.self
}

func key32(_ bytes: [UInt8]) -> Key32 { Key32(bytes)! }

/// Seals `plaintext` with a backend's transport cipher; returns ciphertext and tag.
func seal<B: CryptoBackend>(_ backend: B.Type, key: [UInt8], counter: UInt64, plaintext: [UInt8], ad: [UInt8])
    -> (ciphertext: [UInt8], tag: [UInt8])
{
    let cipher = B.Cipher(key: SymmetricKey(raw: key32(key)))
    var data = plaintext
    var tag = [UInt8](repeating: 0, count: 16)
    data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeMutableBytes { cipher.seal(counter: counter, buffer: buffer, additionalData: adBuffer,
                                                     tag: $0.baseAddress!) }
        }
    }
    return (data, tag)
}

/// Opens with a backend's transport cipher; returns the buffer afterwards and whether it opened.
func open<B: CryptoBackend>(_ backend: B.Type, key: [UInt8], counter: UInt64, ciphertext: [UInt8], tag: [UInt8],
                            ad: [UInt8]) -> (buffer: [UInt8], ok: Bool)
{
    let cipher = B.Cipher(key: SymmetricKey(raw: key32(key)))
    var data = ciphertext
    let ok = data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeBytes { tagBuffer in
                do {
                    try cipher.open(counter: counter, buffer: buffer, additionalData: adBuffer,
                                    tag: tagBuffer.baseAddress!)
                    return true
                } catch {
                    return false
                }
            }
        }
    }
    return (data, ok)
}

/// Seals with a kernel set directly, with a full 96-bit nonce (RFC vectors use arbitrary nonces).
func kernelSeal<K: ChaChaPolyKernelSet>(_ kernels: K.Type, key: [UInt8], nonce: [UInt8], plaintext: [UInt8],
                                        ad: [UInt8]) -> ([UInt8], [UInt8])
{
    var data = plaintext
    var tag = [UInt8](repeating: 0, count: 16)
    let count = data.count
    data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeMutableBytes {
                K.seal(key: key32(key).littleEndianWords, nonce: nonceWords(nonce), data: buffer.baseAddress,
                       count: count, additionalData: adBuffer, tag: $0.baseAddress!)
            }
        }
    }
    return (data, tag)
}

func kernelOpen<K: ChaChaPolyKernelSet>(_ kernels: K.Type, key: [UInt8], nonce: [UInt8], ciphertext: [UInt8],
                                        tag: [UInt8], ad: [UInt8]) -> ([UInt8], Bool)
{
    var data = ciphertext
    let count = data.count
    let ok = data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeBytes {
                K.open(key: key32(key).littleEndianWords, nonce: nonceWords(nonce), data: buffer.baseAddress,
                       count: count, additionalData: adBuffer, tag: $0.baseAddress!)
            }
        }
    }
    return (data, ok)
}

func nonceWords(_ nonce: [UInt8]) -> SIMD4<UInt32> {
    precondition(nonce.count == 12)
    func word(_ i: Int) -> UInt32 {
        UInt32(nonce[4 * i]) | UInt32(nonce[4 * i + 1]) << 8 | UInt32(nonce[4 * i + 2]) << 16
            | UInt32(nonce[4 * i + 3]) << 24
    }
    return SIMD4(word(0), word(1), word(2), 0)
}
