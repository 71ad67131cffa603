import Crypto
import DataPlane
import Testing

/// An independent, step-by-step rendering of the WireGuard paper's handshake (section 5.4), written in the
/// test with the shared primitives only, so the engine's messages are checked against the paper rather
/// than against itself. The initial chaining key and hash are boringtun's published constants.
@Suite("WireGuard reference handshake")
struct WireGuardReferenceTests {
    /// `HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")`, as boringtun hard-codes it.
    static let initialChainKey = Key32([
        96, 226, 109, 174, 243, 39, 239, 192, 46, 195, 53, 226, 160, 37, 210, 208, 22, 235, 66, 6, 248,
        114, 119, 245, 45, 56, 209, 152, 139, 120, 205, 54,
    ] as [UInt8])!
    /// `HASH(C_i || "WireGuard v1 zx2c4 Jason@zx2c4.com")`, as boringtun hard-codes it.
    static let initialHash = Key32([
        34, 17, 179, 97, 8, 26, 197, 102, 105, 18, 67, 219, 69, 138, 213, 50, 45, 156, 108, 102, 34,
        147, 232, 183, 14, 225, 156, 101, 186, 7, 158, 243,
    ] as [UInt8])!

    static func hash(_ parts: [[UInt8]]) -> Key32 {
        var hasher = BLAKE2s()
        for part in parts { part.withUnsafeBytes { hasher.update($0) } }
        return hasher.finalize()
    }

    static func aead(_ key: Key32, _ plaintext: [UInt8], ad: Key32, counter: UInt64 = 0) -> [UInt8] {
        let cipher = SodiumBackend.Cipher(key: SymmetricKey(raw: key))
        var data = plaintext
        var tag = [UInt8](repeating: 0, count: 16)
        data.withUnsafeMutableBytes { buffer in
            ad.array.withUnsafeBytes { adBytes in
                tag.withUnsafeMutableBytes {
                    cipher.seal(counter: counter, buffer: buffer, additionalData: adBytes, tag: $0.baseAddress!)
                }
            }
        }
        return data + tag
    }

    static func open(_ key: Key32, _ sealed: [UInt8], ad: [UInt8], counter: UInt64 = 0) -> [UInt8]? {
        let cipher = SodiumBackend.Cipher(key: SymmetricKey(raw: key))
        var data = Array(sealed.dropLast(16))
        let tag = Array(sealed.suffix(16))
        let ok = data.withUnsafeMutableBytes { buffer in
            ad.withUnsafeBytes { adBytes in
                tag.withUnsafeBytes { tagBytes in
                    (try? cipher.open(counter: counter, buffer: buffer, additionalData: adBytes,
                                      tag: tagBytes.baseAddress!)) != nil
                }
            }
        }
        return ok ? data : nil
    }

    static func mac(_ key: Key32, _ data: ArraySlice<UInt8>) -> [UInt8] {
        let value = Array(data).withUnsafeBytes { BLAKE2s.mac16(key: key, data: $0) }
        return (0..<16).map { value[$0] }
    }

    static func dh(_ privateKey: PrivateKey, _ publicKey: PublicKey) -> Key32 {
        try! SodiumBackend.sharedSecret(privateKey: privateKey, publicKey: publicKey).raw
    }

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    static let empty: [UInt8] = []

    @Test("The engine's initiation decrypts step by step as the paper specifies")
    func initiationFollowsThePaper() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let message = pair.drainA()[0].bytes
        #expect(Array(message[0..<4]) == [1, 0, 0, 0])
        let bPrivate = pair.bKey
        var h = Self.hash([Self.initialHash.array, pair.bPublic.raw.array])
        let ephemeral = Array(message[8..<40])
        var c = ephemeral.withUnsafeBytes { WireGuardKDF.kdf1(key: Self.initialChainKey, input: $0) }
        h = Self.hash([h.array, ephemeral])
        var k: Key32
        (c, k) = WireGuardKDF.kdf2(key: c, input: Self.dh(bPrivate, PublicKey(raw: Key32(ephemeral)!)))
        let staticPlain = Self.open(k, Array(message[40..<88]), ad: h.array)
        #expect(staticPlain == pair.aPublic.raw.array)
        h = Self.hash([h.array, Array(message[40..<88])])
        (c, k) = WireGuardKDF.kdf2(key: c, input: Self.dh(bPrivate, pair.aPublic))
        let timestamp = Self.open(k, Array(message[88..<116]), ad: h.array)
        var expected = [UInt8](repeating: 0, count: 12)
        expected.withUnsafeMutableBytes { pair.now.wallClock.whitenedTAI64N.store(into: $0) }
        #expect(timestamp == expected)
        let mac1Key = Self.hash([Array("mac1----".utf8), pair.bPublic.raw.array])
        #expect(Self.mac(mac1Key, message[0..<116]) == Array(message[116..<132]))
        #expect(message[132..<148].allSatisfy { $0 == 0 }, "no cookie: MAC2 is zero")
    }

    @Test("A hand-built initiation and transport packets interoperate with the engine as responder")
    func referenceInitiator() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        let psk = PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A)))
        let initiatorStatic = pair.aKey
        let initiatorPublic = pair.aPublic
        let responderPublic = pair.bPublic
        let ephemeralPrivate = privateKey(seed: 77)
        let ephemeralPublic = SodiumBackend.publicKey(for: ephemeralPrivate)
        let senderIndex: UInt32 = 0x1234_5678

        // Initiation (paper 5.4.2).
        var c = Self.initialChainKey
        var h = Self.hash([Self.initialHash.array, responderPublic.raw.array])
        c = WireGuardKDF.kdf1(key: c, input: ephemeralPublic.raw)
        h = Self.hash([h.array, ephemeralPublic.raw.array])
        var k: Key32
        (c, k) = WireGuardKDF.kdf2(key: c, input: Self.dh(ephemeralPrivate, responderPublic))
        let encryptedStatic = Self.aead(k, initiatorPublic.raw.array, ad: h)
        h = Self.hash([h.array, encryptedStatic])
        (c, k) = WireGuardKDF.kdf2(key: c, input: Self.dh(initiatorStatic, responderPublic))
        var stamp = [UInt8](repeating: 0, count: 12)
        stamp.withUnsafeMutableBytes { TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 0).store(into: $0) }
        let encryptedTimestamp = Self.aead(k, stamp, ad: h)
        h = Self.hash([h.array, encryptedTimestamp])
        var initiation = [1, 0, 0, 0] + Self.le32(senderIndex) + ephemeralPublic.raw.array + encryptedStatic
            + encryptedTimestamp
        let mac1Key = Self.hash([Array("mac1----".utf8), responderPublic.raw.array])
        initiation += Self.mac(mac1Key, initiation[...]) + [UInt8](repeating: 0, count: 16)
        #expect(initiation.count == 148)
        #expect(pair.deliverToB(initiation).0 == .handshakeProcessed)

        // Response (paper 5.4.3), consumed by the reference initiator.
        let response = pair.drainB()[0].bytes
        #expect(response.count == 92)
        #expect(Array(response[0..<4]) == [2, 0, 0, 0])
        #expect(Array(response[8..<12]) == Self.le32(senderIndex))
        let responderIndex = Array(response[4..<8])
        let responderEphemeral = PublicKey(raw: Key32(Array(response[12..<44]))!)
        c = WireGuardKDF.kdf1(key: c, input: responderEphemeral.raw)
        h = Self.hash([h.array, responderEphemeral.raw.array])
        c = WireGuardKDF.kdf1(key: c, input: Self.dh(ephemeralPrivate, responderEphemeral))
        c = WireGuardKDF.kdf1(key: c, input: Self.dh(initiatorStatic, responderEphemeral))
        let (mixed, tau, key) = WireGuardKDF.kdf3(key: c, input: psk.raw)
        c = mixed
        h = Self.hash([h.array, tau.array])
        #expect(Self.open(key, Array(response[44..<60]), ad: h.array) == [])
        let initiatorMAC1Key = Self.hash([Array("mac1----".utf8), initiatorPublic.raw.array])
        #expect(Self.mac(initiatorMAC1Key, response[0..<60]) == Array(response[60..<76]))

        // Transport (paper 5.4.5-5.4.6): T_send = first KDF2 output for the initiator.
        let (sendKey, receiveKey) = Self.empty.withUnsafeBytes { WireGuardKDF.kdf2(key: c, input: $0) }
        let inner = pair.packetAtoB(Array("reference".utf8))
        let padded = inner + [UInt8](repeating: 0, count: (16 - inner.count % 16) % 16)
        let transport = [4, 0, 0, 0] + responderIndex + [UInt8](repeating: 0, count: 8)
            + Self.sealNoAD(sendKey, padded, counter: 0)
        let (result, delivered) = pair.deliverToB(transport)
        #expect(result.isPacket)
        #expect(delivered == inner)

        // The engine's answer decrypts with the reference receive key.
        let (_, reply) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        let bytes = reply!
        #expect(Array(bytes[4..<8]) == Self.le32(senderIndex))
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 0, 0, 0, 0, 0], "first counter is 0")
        let opened = Self.open(receiveKey, Array(bytes[16...]), ad: [], counter: 0)
        #expect(opened.map { Array($0.prefix(pair.packetBtoA().count)) } == pair.packetBtoA())
        #expect(opened.map { $0.count % 16 } == 0)
    }

    static func sealNoAD(_ key: Key32, _ plaintext: [UInt8], counter: UInt64) -> [UInt8] {
        let cipher = SodiumBackend.Cipher(key: SymmetricKey(raw: key))
        var data = plaintext
        var tag = [UInt8](repeating: 0, count: 16)
        data.withUnsafeMutableBytes { buffer in
            tag.withUnsafeMutableBytes {
                cipher.seal(counter: counter, buffer: buffer,
                            additionalData: UnsafeRawBufferPointer(start: nil, count: 0), tag: $0.baseAddress!)
            }
        }
        return data + tag
    }
}
