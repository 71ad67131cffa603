import Crypto
import DataPlane
import Dispatch
import Synchronization
import Testing

/// The `openssl` backend against libsodium and the pure-Swift backend, and its per-key EVP contexts.
@Suite struct OpenSSLBackendTests {
    @Test("libcrypto's ChaCha20-Poly1305 passes the RFC 8439 self-test here, so the openssl backend is available")
    func isAvailable() {
        #expect(openSSLAvailability == .available, "install libssl-dev (scripts/setup does): \(openSSLAvailability)")
    }

    @Test("For every length 0...4096, with and without AD, openssl seals byte for byte as sodium and swift do",
          .enabled(if: openSSLAvailability.isAvailable))
    func agreesWithSodiumAndSwiftOnEveryLength() throws {
        let swift = try #require(runnableKernelSets.last.map { kernelBackend($0) })
        let others: [any CryptoBackend.Type] = [SodiumBackend.self, swift]
        var random = TestRandom(seed: 0x0551)
        for length in 0...4096 {
            let key = random.bytes(32)
            let counter = random.next()
            let plaintext = random.bytes(length)
            for ad in [[], random.bytes(1 + random.below(64))] {
                let ours = seal(OpenSSLBackend.self, key: key, counter: counter, plaintext: plaintext, ad: ad)
                let sodium = seal(SodiumBackend.self, key: key, counter: counter, plaintext: plaintext, ad: ad)
                let swiftSealed = seal(swift, key: key, counter: counter, plaintext: plaintext, ad: ad)
                guard ours == sodium, ours == swiftSealed else {
                    Issue.record("openssl differs at length \(length), AD \(ad.count) bytes")
                    return
                }
                let opened = open(OpenSSLBackend.self, key: key, counter: counter, ciphertext: sodium.ciphertext,
                                  tag: sodium.tag, ad: ad)
                let byOthers = others.map {
                    open($0, key: key, counter: counter, ciphertext: ours.ciphertext, tag: ours.tag, ad: ad)
                }
                guard opened.ok, opened.buffer == plaintext,
                      byOthers.allSatisfy({ $0.ok && $0.buffer == plaintext }) else {
                    Issue.record("openssl and the others do not open each other's output at length \(length)")
                    return
                }
            }
        }
    }

    @Test("One cipher seals and opens a stream of packets, forgeries between them, exactly as fresh sodium does",
          .enabled(if: openSSLAvailability.isAvailable))
    func reusedContextsMatchSodiumAndRestoreCiphertext() {
        var random = TestRandom(seed: 0xE7)
        let key = random.bytes(32)
        let cipher = OpenSSLChaChaPoly(key: SymmetricKey(raw: key32(key)))
        for counter in UInt64(0)..<400 {
            let length = counter < 40 ? Int(counter) : random.below(1501)
            let ad = random.below(3) == 0 ? [] : random.bytes(random.below(48))
            let plaintext = random.bytes(length)
            let expected = seal(SodiumBackend.self, key: key, counter: counter, plaintext: plaintext, ad: ad)
            let (data, tag) = sealWith(cipher, counter: counter, plaintext: plaintext, ad: ad)
            #expect(data == expected.ciphertext && tag == expected.tag, "packet \(counter)")
            // A forged tag, or a flipped ciphertext bit, fails and leaves exactly the ciphertext it was given.
            var forgedTag = tag
            forgedTag[random.below(16)] ^= 1 << UInt8(random.below(8))
            var forgedData = data
            if length > 0 { forgedData[random.below(length)] ^= 1 << UInt8(random.below(8)) }
            for (candidate, candidateTag) in [(data, forgedTag), (forgedData, length > 0 ? tag : forgedTag)] {
                let (after, ok) = openWith(cipher, counter: counter, ciphertext: candidate, tag: candidateTag, ad: ad)
                #expect(!ok && after == candidate, "forgery accepted or buffer changed at packet \(counter)")
            }
            let (opened, ok) = openWith(cipher, counter: counter, ciphertext: data, tag: tag, ad: ad)
            #expect(ok && opened == plaintext, "packet \(counter) did not open after the forgeries")
        }
    }

    @Test("Seals and opens through one cipher from four threads at once match sodium's (each context is locked)",
          .enabled(if: openSSLAvailability.isAvailable))
    func concurrentSealsThroughOneCipher() {
        var random = TestRandom(seed: 4)
        let key = random.bytes(32)
        let cipher = OpenSSLChaChaPoly(key: SymmetricKey(raw: key32(key)))
        let plaintext = random.bytes(1420)
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<250 {
                let counter = UInt64(thread * 1000 + round)
                let (data, tag) = sealWith(cipher, counter: counter, plaintext: plaintext, ad: [])
                let expected = seal(SodiumBackend.self, key: key, counter: counter, plaintext: plaintext, ad: [])
                let (opened, ok) = openWith(cipher, counter: counter, ciphertext: data, tag: tag, ad: [])
                if data != expected.ciphertext || tag != expected.tag || !ok || opened != plaintext {
                    mismatches.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }
}

/// Seals with an existing cipher (its contexts reused); returns ciphertext and tag.
func sealWith<C: AEADCipher>(_ cipher: C, counter: UInt64, plaintext: [UInt8], ad: [UInt8]) -> ([UInt8], [UInt8]) {
    var data = plaintext
    var tag = [UInt8](repeating: 0, count: 16)
    data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeMutableBytes {
                cipher.seal(counter: counter, buffer: buffer, additionalData: adBuffer, tag: $0.baseAddress!)
            }
        }
    }
    return (data, tag)
}

/// Opens with an existing cipher (its contexts reused); returns the buffer afterwards and whether it opened.
func openWith<C: AEADCipher>(_ cipher: C, counter: UInt64, ciphertext: [UInt8], tag: [UInt8], ad: [UInt8])
    -> ([UInt8], Bool)
{
    var data = ciphertext
    let ok = data.withUnsafeMutableBytes { buffer in
        ad.withUnsafeBytes { adBuffer in
            tag.withUnsafeBytes { tagBuffer in
                (try? cipher.open(counter: counter, buffer: buffer, additionalData: adBuffer,
                                  tag: tagBuffer.baseAddress!)) != nil
            }
        }
    }
    return (data, ok)
}
