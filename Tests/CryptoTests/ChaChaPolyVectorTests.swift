import Crypto
import DataPlane
import Testing

/// RFC 8439 and XChaCha20-Poly1305 draft vectors, for every kernel variant this host runs, libsodium and OpenSSL.
@Suite struct ChaChaPolyVectorTests {
    static let sunscreen = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
            .utf8)
    static let key2_8_2 = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")

    @Test("RFC 8439 section 2.8.2: every Swift kernel variant seals and opens the published vector")
    func rfc8439Section2_8_2() {
        let nonce = hex("070000004041424344454647")
        let ad = hex("50515253c0c1c2c3c4c5c6c7")
        let expected = hex("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
            1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            """)
        let expectedTag = hex("1ae10b594f09e26a7e902ecbd0600691")
        #expect(!runnableKernelSets.isEmpty)
        for kernels in runnableKernelSets {
            let (ciphertext, tag) = kernelSeal(kernels, key: Self.key2_8_2, nonce: nonce, plaintext: Self.sunscreen,
                                               ad: ad)
            #expect(ciphertext == expected, "variant \(kernels.variant)")
            #expect(tag == expectedTag, "variant \(kernels.variant)")
            let (plaintext, ok) = kernelOpen(kernels, key: Self.key2_8_2, nonce: nonce, ciphertext: expected,
                                             tag: expectedTag, ad: ad)
            #expect(ok && plaintext == Self.sunscreen, "variant \(kernels.variant)")
        }
    }

    /// RFC 8439 appendix A.5. Its nonce is 4 zero bytes and then 01 02 ... 08, so it is also WireGuard's
    /// transport nonce for counter 0x0807060504030201.
    enum AppendixA5 {
        static let key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
        static let nonce = hex("000000000102030405060708")
        static let counter: UInt64 = 0x0807_0605_0403_0201
        static let ad = hex("f33388860000000000004e91")
        static let ciphertext = hex("""
            64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0
            bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855
            9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9
            9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a
            0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130
            305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b
            """)
        static let tag = hex("eead9d67890cbb22392336fea1851f38")
        static let plaintext = Array((
            "Internet-Drafts are draft documents valid for a maximum of six months and may be updated, "
                + "replaced, or obsoleted by other documents at any time. It is inappropriate to use Internet-Drafts "
                + "as reference material or to cite them other than as /\u{201C}work in progress./\u{201D}"
        ).utf8)
    }

    @Test("RFC 8439 appendix A.5: every Swift kernel variant decrypts the published ciphertext")
    func rfc8439AppendixA5() {
        typealias V = AppendixA5
        for kernels in runnableKernelSets {
            let (plaintext, ok) = kernelOpen(kernels, key: V.key, nonce: V.nonce, ciphertext: V.ciphertext,
                                             tag: V.tag, ad: V.ad)
            #expect(ok, "variant \(kernels.variant)")
            #expect(plaintext == V.plaintext, "variant \(kernels.variant)")
        }
    }

    @Test("RFC 8439 appendix A.5 through every backend's transport cipher (libsodium, OpenSSL, Swift)")
    func rfc8439AppendixA5TransportForm() {
        typealias V = AppendixA5
        #expect(runnableBackends.count >= 3)
        for backend in runnableBackends {
            let opened = open(backend, key: V.key, counter: V.counter, ciphertext: V.ciphertext, tag: V.tag,
                              ad: V.ad)
            #expect(opened.ok && opened.buffer == V.plaintext, "backend \(backend.name)")
            let sealed = seal(backend, key: V.key, counter: V.counter, plaintext: V.plaintext, ad: V.ad)
            #expect(sealed.ciphertext == V.ciphertext && sealed.tag == V.tag, "backend \(backend.name)")
        }
    }

    @Test("An empty message with no additional data still gets the published tag")
    func emptyMessage() {
        let key = hex("80ba3192c803ce965ea371d5ff073cf0f43b6a2ab576b208426e11409c09b9b0")
        let nonce = hex("4da5bf8dfd5852c1ea12379d")
        for kernels in runnableKernelSets {
            let (ciphertext, tag) = kernelSeal(kernels, key: key, nonce: nonce, plaintext: [], ad: [])
            #expect(ciphertext.isEmpty)
            #expect(tag == hex("76acb342cf3166a5b63c0c0ea1383c8d"), "variant \(kernels.variant)")
        }
    }

    @Test("XChaCha20-Poly1305 draft vector (A.3.1) for libsodium, OpenSSL and every Swift variant")
    func xchachaDraftVector() throws {
        let nonce = try #require(ExtendedNonce(hex("404142434445464748494a4b4c4d4e4f5051525354555657")))
        let ad = hex("50515253c0c1c2c3c4c5c6c7")
        let expected = hex("""
            bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39
            ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
            21f9664c97637da9768812f615c68b13b52e
            """)
        let expectedTag = hex("c0875924c1c7987947deafd8780acf49")
        for backend in runnableBackends {
            let (ciphertext, tag) = xSeal(backend, key: Self.key2_8_2, nonce: nonce, plaintext: Self.sunscreen, ad: ad)
            #expect(ciphertext == expected, "backend \(backend.name)")
            #expect(tag == expectedTag, "backend \(backend.name)")
            let (plaintext, ok) = xOpen(backend, key: Self.key2_8_2, nonce: nonce, ciphertext: expected,
                                        tag: expectedTag, ad: ad)
            #expect(ok && plaintext == Self.sunscreen, "backend \(backend.name)")
            var badTag = expectedTag
            badTag[0] ^= 1
            let forged = xOpen(backend, key: Self.key2_8_2, nonce: nonce, ciphertext: expected, tag: badTag, ad: ad)
            #expect(!forged.ok, "backend \(backend.name)")
        }
    }
}

func xSeal<B: CryptoBackend>(_ backend: B.Type, key: [UInt8], nonce: ExtendedNonce, plaintext: [UInt8], ad: [UInt8])
    -> ([UInt8], [UInt8])
{
    var data = plaintext
    var tag = [UInt8](repeating: 0, count: 16)
    data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeMutableBytes {
                B.xSeal(key: SymmetricKey(raw: key32(key)), nonce: nonce, buffer: buffer, additionalData: adBuffer,
                        tag: $0.baseAddress!)
            }
        }
    }
    return (data, tag)
}

func xOpen<B: CryptoBackend>(_ backend: B.Type, key: [UInt8], nonce: ExtendedNonce, ciphertext: [UInt8],
                             tag: [UInt8], ad: [UInt8]) -> (buffer: [UInt8], ok: Bool)
{
    var data = ciphertext
    let ok = data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeBytes { tagBuffer in
                do {
                    try B.xOpen(key: SymmetricKey(raw: key32(key)), nonce: nonce, buffer: buffer,
                                additionalData: adBuffer, tag: tagBuffer.baseAddress!)
                    return true
                } catch {
                    return false
                }
            }
        }
    }
    return (data, ok)
}
