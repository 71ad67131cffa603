/// The responder side of the cookie mechanism: MAC1 checking, the rotating secret, MAC2 checking and
/// cookie replies (WireGuard paper section 5.4.7).
struct CookieChecker {
    /// `HASH("mac1----" || our public key)`.
    let mac1Key: Key32
    /// `HASH("cookie--" || our public key)`: encrypts cookies we hand out.
    let cookieKey: Key32
    var secret = Key32(bytes: .zero)
    var secretBirth: MonotonicInstant?
    /// Shared by the workers of one interface: each lifetime-long epoch's secret is derived from it, so a
    /// cookie one worker hands out holds at every other (a peer's retry lands on any of them). Nil: a random
    /// secret of this checker's own.
    let sharedSeed: Key32?
    var secretEpoch: UInt64?

    init(publicKey: PublicKey, sharedSeed: Key32? = nil) {
        mac1Key = Noise.labeledKey(Noise.labelMAC1, publicKey)
        cookieKey = Noise.labeledKey(Noise.labelCookie, publicKey)
        self.sharedSeed = sharedSeed
    }

    /// Whether `message` carries a correct MAC1 at `mac1Offset` (computed over everything before it).
    func checkMAC1(_ message: UnsafeRawBufferPointer, mac1Offset: Int) -> Bool {
        let expected = BLAKE2s.mac16(key: mac1Key, data: UnsafeRawBufferPointer(rebasing: message[..<mac1Offset]))
        let actual = message.baseAddress!.loadUnaligned(fromByteOffset: mac1Offset, as: SIMD16<UInt8>.self)
        return Noise.equal(expected, actual)
    }

    /// `MAC(R_m, A_m)`: the cookie for `source` under the current secret, rotating it when stale.
    mutating func cookie(for source: Endpoint, now: MonotonicInstant, lifetime: Duration,
                         random: inout some RandomNumberGenerator) -> SIMD16<UInt8> {
        if let sharedSeed {
            let (seconds, attoseconds) = lifetime.components
            let span = max(1, UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
            let epoch = now.nanoseconds / span
            if secretEpoch != epoch {
                var input = epoch.littleEndian
                secret = withUnsafeBytes(of: &input) { BLAKE2s.hash(sharedSeed, $0) }
                secretEpoch = epoch
            }
        } else if secretBirth.map({ now.hasElapsed(lifetime, since: $0) }) ?? true {
            secret = Key32(bytes: randomBytes32(&random))
            secretBirth = now
        }
        var input = (UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &input) { buffer in
            let count = source.storeCookieInput(to: buffer.baseAddress!)
            return BLAKE2s.mac16(key: secret, data: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Whether `message` carries a MAC2 made with the cookie `source` would have now.
    mutating func checkMAC2(_ message: UnsafeRawBufferPointer, mac2Offset: Int, source: Endpoint,
                            now: MonotonicInstant, lifetime: Duration,
                            random: inout some RandomNumberGenerator) -> Bool {
        let cookie = cookie(for: source, now: now, lifetime: lifetime, random: &random)
        let expected = BLAKE2s.mac16(key: cookie, data: UnsafeRawBufferPointer(rebasing: message[..<mac2Offset]))
        let actual = message.baseAddress!.loadUnaligned(fromByteOffset: mac2Offset, as: SIMD16<UInt8>.self)
        return Noise.equal(expected, actual)
    }

    /// Builds the 64-byte cookie reply to `message` (a handshake whose MAC1 is at `mac1Offset`).
    mutating func makeReply<Backend: CryptoBackend>(
        _ backend: Backend.Type, to message: UnsafeRawBufferPointer, mac1Offset: Int, source: Endpoint,
        now: MonotonicInstant, lifetime: Duration, random: inout some RandomNumberGenerator
    ) -> [UInt8] {
        let cookie = cookie(for: source, now: now, lifetime: lifetime, random: &random)
        var reply = [UInt8](repeating: 0, count: CookieReplyLayout.size)
        let senderIndex = message.baseAddress!.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        reply.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            WireGuardMessageType.cookieReply.store(to: base)
            base.storeBytes(of: senderIndex, toByteOffset: CookieReplyLayout.receiverIndex, as: UInt32.self)
            let nonceBytes = randomBytes32(&random)
            for lane in 0..<CookieReplyLayout.nonceSize {
                base.storeBytes(of: nonceBytes[lane], toByteOffset: CookieReplyLayout.nonce + lane, as: UInt8.self)
            }
            base.storeBytes(of: cookie, toByteOffset: CookieReplyLayout.encryptedCookie, as: SIMD16<UInt8>.self)
            let nonce = ExtendedNonce(loadingFrom: base + CookieReplyLayout.nonce)
            let mac1 = UnsafeRawBufferPointer(rebasing: message[mac1Offset..<(mac1Offset + 16)])
            Backend.xSeal(key: SymmetricKey(raw: cookieKey), nonce: nonce,
                          buffer: UnsafeMutableRawBufferPointer(start: base + CookieReplyLayout.encryptedCookie,
                                                                count: 16),
                          additionalData: mac1, tag: base + CookieReplyLayout.encryptedCookie + 16)
        }
        return reply
    }
}

/// The initiator side of the cookie mechanism for one peer: MAC1/MAC2 on the messages we send, and the
/// cookie the peer gave us.
struct CookieGenerator {
    /// `HASH("mac1----" || peer public key)`.
    let mac1Key: Key32
    /// `HASH("cookie--" || peer public key)`: decrypts the peer's cookie replies.
    let cookieKey: Key32
    /// MAC1 of the last handshake message we sent: the additional data of the cookie reply.
    var lastMAC1: SIMD16<UInt8>?
    var cookie: SIMD16<UInt8>?
    var cookieBirth: MonotonicInstant?

    init(peerPublicKey: PublicKey) {
        mac1Key = Noise.labeledKey(Noise.labelMAC1, peerPublicKey)
        cookieKey = Noise.labeledKey(Noise.labelCookie, peerPublicKey)
    }

    /// Writes MAC1 and, with a fresh cookie, MAC2 (zeros otherwise) into an outgoing handshake message.
    mutating func stamp(_ message: UnsafeMutableRawBufferPointer, mac1Offset: Int, now: MonotonicInstant,
                        cookieLifetime: Duration) {
        let base = message.baseAddress!
        let mac1 = BLAKE2s.mac16(key: mac1Key, data: UnsafeRawBufferPointer(rebasing: message[..<mac1Offset]))
        base.storeBytes(of: mac1, toByteOffset: mac1Offset, as: SIMD16<UInt8>.self)
        lastMAC1 = mac1
        let mac2Offset = mac1Offset + 16
        var mac2 = SIMD16<UInt8>()
        if let cookie, let birth = cookieBirth, !now.hasElapsed(cookieLifetime, since: birth) {
            mac2 = BLAKE2s.mac16(key: cookie, data: UnsafeRawBufferPointer(rebasing: message[..<mac2Offset]))
        }
        base.storeBytes(of: mac2, toByteOffset: mac2Offset, as: SIMD16<UInt8>.self)
    }

    /// Decrypts a cookie reply sent in answer to our last message and keeps the cookie.
    mutating func consumeReply<Backend: CryptoBackend>(
        _ backend: Backend.Type, _ reply: UnsafeRawBufferPointer, now: MonotonicInstant
    ) -> Bool {
        guard let lastMAC1 else { return false }
        let base = reply.baseAddress!
        let nonce = ExtendedNonce(loadingFrom: base + CookieReplyLayout.nonce)
        var sealed = base.loadUnaligned(fromByteOffset: CookieReplyLayout.encryptedCookie, as: SIMD16<UInt8>.self)
        let opened = withUnsafeMutableBytes(of: &sealed) { buffer in
            withUnsafeBytes(of: lastMAC1) { ad in
                do {
                    try Backend.xOpen(key: SymmetricKey(raw: cookieKey), nonce: nonce, buffer: buffer,
                                      additionalData: ad, tag: base + CookieReplyLayout.encryptedCookie + 16)
                    return true
                } catch {
                    return false
                }
            }
        }
        guard opened else { return false }
        cookie = sealed
        cookieBirth = now
        // One reply per message we sent: a captured reply replayed later must not refresh the cookie.
        self.lastMAC1 = nil
        return true
    }
}

/// 32 random bytes from `random`.
func randomBytes32(_ random: inout some RandomNumberGenerator) -> SIMD32<UInt8> {
    var words = SIMD4<UInt64>(random.next(), random.next(), random.next(), random.next())
    return withUnsafeBytes(of: &words) { $0.loadUnaligned(as: SIMD32<UInt8>.self) }
}
