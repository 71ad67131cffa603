import Crypto
import DataPlane
import Testing

/// Every backend this host runs must agree byte for byte and reject any altered bit.
@Suite struct CrossBackendTests {
    @Test("For every length 0...4096 with random key, counter and AD, all backends produce identical output")
    func identicalOutputAndMutualOpen() {
        var random = TestRandom(seed: 0xC0FFEE)
        #expect(runnableBackends.count >= 2)
        for length in 0...4096 {
            let key = random.bytes(32)
            let counter = random.next()
            let ad = random.bytes(random.below(64))
            let plaintext = random.bytes(length)
            let reference = seal(SodiumBackend.self, key: key, counter: counter, plaintext: plaintext, ad: ad)
            for backend in runnableBackends {
                let sealed = seal(backend, key: key, counter: counter, plaintext: plaintext, ad: ad)
                if sealed.ciphertext != reference.ciphertext || sealed.tag != reference.tag {
                    Issue.record("\(backend.name) differs from sodium at length \(length)")
                    return
                }
                let opened = open(backend, key: key, counter: counter, ciphertext: reference.ciphertext,
                                  tag: reference.tag, ad: ad)
                if !opened.ok || opened.buffer != plaintext {
                    Issue.record("\(backend.name) failed to open sodium's output at length \(length)")
                    return
                }
            }
        }
    }

    @Test("A flipped bit in ciphertext, tag or AD is rejected, and the buffer never holds plaintext")
    func tamperingIsRejected() {
        var random = TestRandom(seed: 42)
        for trial in 0..<600 {
            let length = trial < 100 ? trial : random.below(4097)
            let key = random.bytes(32)
            let counter = random.next()
            let ad = random.bytes(1 + random.below(40))
            let plaintext = random.bytes(length)
            let sealed = seal(SodiumBackend.self, key: key, counter: counter, plaintext: plaintext, ad: ad)
            var ciphertext = sealed.ciphertext
            var tag = sealed.tag
            var badAD = ad
            switch random.below(3) {
            case 0 where length > 0:
                ciphertext[random.below(length)] ^= UInt8(1) << UInt8(random.below(8))
            case 1:
                badAD[random.below(badAD.count)] ^= UInt8(1) << UInt8(random.below(8))
            default:
                tag[random.below(16)] ^= UInt8(1) << UInt8(random.below(8))
            }
            for backend in runnableBackends {
                let opened = open(backend, key: key, counter: counter, ciphertext: ciphertext, tag: tag, ad: badAD)
                #expect(!opened.ok, "\(backend.name) accepted a tampered message (length \(length))")
                #expect(opened.buffer == ciphertext || opened.buffer.allSatisfy { $0 == 0 },
                        "\(backend.name) left something other than ciphertext or zeroes after a failed open")
            }
        }
    }

    @Test("A different counter (nonce) does not open")
    func wrongCounterIsRejected() {
        var random = TestRandom(seed: 7)
        let key = random.bytes(32)
        let plaintext = random.bytes(100)
        let sealed = seal(SodiumBackend.self, key: key, counter: 5, plaintext: plaintext, ad: [])
        for backend in runnableBackends {
            let wrong = open(backend, key: key, counter: 6, ciphertext: sealed.ciphertext, tag: sealed.tag, ad: [])
            let right = open(backend, key: key, counter: 5, ciphertext: sealed.ciphertext, tag: sealed.tag, ad: [])
            #expect(!wrong.ok && right.ok, "\(backend.name)")
        }
    }

    @Test("XChaCha20-Poly1305 agrees across backends for random inputs")
    func xchachaAgrees() throws {
        var random = TestRandom(seed: 99)
        for length in stride(from: 0, through: 300, by: 7) {
            let key = random.bytes(32)
            let nonce = try #require(ExtendedNonce(random.bytes(24)))
            let ad = random.bytes(random.below(32))
            let plaintext = random.bytes(length)
            let reference = xSeal(SodiumBackend.self, key: key, nonce: nonce, plaintext: plaintext, ad: ad)
            for backend in runnableBackends {
                let sealed = xSeal(backend, key: key, nonce: nonce, plaintext: plaintext, ad: ad)
                #expect(sealed.0 == reference.0 && sealed.1 == reference.1, "\(backend.name) at \(length)")
            }
        }
    }

    @Test("X25519 agrees across backends for random keys, and both sides derive the same secret")
    func x25519Agrees() throws {
        var random = TestRandom(seed: 2025)
        for _ in 0..<40 {
            let a = PrivateKey(raw: key32(random.bytes(32)))
            let b = PrivateKey(raw: key32(random.bytes(32)))
            let publicA = SodiumBackend.publicKey(for: a)
            let publicB = SodiumBackend.publicKey(for: b)
            let reference = try SodiumBackend.sharedSecret(privateKey: a, publicKey: publicB)
            for backend in runnableBackends {
                let agrees = agreeX25519(backend, a: a, b: b, publicA: publicA, publicB: publicB, secret: reference)
                #expect(agrees, "\(backend.name)")
            }
        }
    }

    @Test("X25519 refuses a low-order public key in every backend")
    func lowOrderPointIsRefused() {
        let zero = PublicKey(raw: Key32(bytes: SIMD32()))
        let one = PublicKey(raw: key32([1] + [UInt8](repeating: 0, count: 31)))
        let key = PrivateKey(raw: key32([UInt8](repeating: 0x55, count: 32)))
        for backend in runnableBackends {
            let refusesZero = refuses(backend, key: key, point: zero)
            let refusesOne = refuses(backend, key: key, point: one)
            #expect(refusesZero && refusesOne, "\(backend.name)")
        }
    }
}

func agreeX25519<B: CryptoBackend>(_ backend: B.Type, a: PrivateKey, b: PrivateKey, publicA: PublicKey,
                                   publicB: PublicKey, secret: SharedSecret) -> Bool
{
    guard B.publicKey(for: a) == publicA, B.publicKey(for: b) == publicB else { return false }
    guard let ab = try? B.sharedSecret(privateKey: a, publicKey: publicB),
          let ba = try? B.sharedSecret(privateKey: b, publicKey: publicA) else { return false }
    return ab == secret && ba == secret
}

func refuses<B: CryptoBackend>(_ backend: B.Type, key: PrivateKey, point: PublicKey) -> Bool {
    do {
        _ = try B.sharedSecret(privateKey: key, publicKey: point)
        return false
    } catch {
        return error == .lowOrderPoint
    }
}
