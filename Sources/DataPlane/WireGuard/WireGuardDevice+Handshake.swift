extension WireGuardDevice {
    /// Processes one datagram from the network, received from `source` at the local end `local`.
    ///
    /// `message` is exactly the datagram; transport data is decrypted in place and the result names the
    /// range holding the IP packet. Anything malformed or unauthenticated is counted and dropped. `local`,
    /// when the driver knows it, is kept with the peer's endpoint once the datagram is authenticated, and
    /// replies to the peer are sent from it.
    public func handleDatagram(
        _ message: UnsafeMutableRawBufferPointer, from source: Endpoint, to local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult {
        let local = local.flatMap { $0.address.isUnspecified ? nil : $0 }
        guard let type = WireGuardMessageType(of: UnsafeRawBufferPointer(message)) else {
            return drop(.malformedMessage)
        }
        switch type {
        case .transportData:
            return handleTransportData(message, source: source, local: local, now: now)
        case .handshakeInitiation:
            guard message.count == HandshakeInitiationLayout.size else { return drop(.malformedMessage) }
            return handleInitiation(UnsafeRawBufferPointer(message), source: source, local: local, now: now)
        case .handshakeResponse:
            guard message.count == HandshakeResponseLayout.size else { return drop(.malformedMessage) }
            return handleResponse(UnsafeRawBufferPointer(message), source: source, local: local, now: now)
        case .cookieReply:
            guard message.count == CookieReplyLayout.size else { return drop(.malformedMessage) }
            return handleCookieReply(UnsafeRawBufferPointer(message), now: now)
        }
    }

    // MARK: - Admission (MAC1, load, MAC2)

    /// Checks MAC1, and under load MAC2 (answering with a cookie reply when it is missing); returns the
    /// drop reason or nil when the message may be processed.
    func admitHandshake(
        _ message: UnsafeRawBufferPointer, mac1Offset: Int, source: Endpoint, local: LocalSource?,
        now: MonotonicInstant
    ) -> WireGuardDropReason? {
        guard var checker = cookieChecker else { return .invalidMAC1 }
        defer { cookieChecker = checker }
        guard checker.checkMAC1(message, mac1Offset: mac1Offset) else { return .invalidMAC1 }
        if turnTime != now {
            turnTime = now
            handshakesThisTurn = 0
        }
        handshakesThisTurn += 1
        if handshakesThisTurn >= configuration.handshakeBacklogThreshold {
            underLoadUntil = now + configuration.underLoadHoldTime
        }
        let backlogged = underLoadUntil.map { now < $0 } ?? false
        let underLoad = isUnderLoadOverride || backlogged || !rateLimiter.hasToken(now: now)
        if !underLoad {
            _ = rateLimiter.tryConsume(now: now)
            return nil
        }
        if checker.checkMAC2(message, mac2Offset: mac1Offset + 16, source: source, now: now,
                             lifetime: configuration.cookieSecretLifetime, random: &random) {
            // A cookie proves the address, not good intent: each source still gets only a few per second.
            return sourceRateLimiter.tryConsume(source.address, now: now) ? nil : .rateLimited
        }
        // With the backlog full the initiation is still refused, but unanswered: no memory per stranger.
        if hasRoomForCookieReply {
            let reply = checker.makeReply(Backend.self, to: message, mac1Offset: mac1Offset, source: source, now: now,
                                          lifetime: configuration.cookieSecretLifetime, random: &random)
            enqueueCookieReply(reply, to: source, from: local)
        }
        return .cookieRequired
    }

    // MARK: - Initiation (responder side)

    func handleInitiation(
        _ message: UnsafeRawBufferPointer, source: Endpoint, local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult
    {
        if let reason = admitHandshake(message, mac1Offset: HandshakeInitiationLayout.mac1, source: source,
                                       local: local,
                                       now: now.monotonic) {
            return drop(reason)
        }
        guard let privateKey else { return drop(.handshakeAuthenticationFailed) }
        let base = message.baseAddress!
        let remoteEphemeral = PublicKey(raw: Key32(loadingFrom: base + HandshakeInitiationLayout.ephemeral))
        var chainingKey = WireGuardKDF.kdf1(key: Noise.initialChainingKey, input: remoteEphemeral.raw)
        var hash = Noise.mixHash(responderInitialHash, remoteEphemeral.raw)
        guard let ephemeralStatic = try? Backend.sharedSecret(privateKey: privateKey, publicKey: remoteEphemeral)
        else { return drop(.handshakeAuthenticationFailed) }
        var key: Key32
        (chainingKey, key) = WireGuardKDF.kdf2(key: chainingKey, input: ephemeralStatic.raw)

        // Decrypt the initiator's static key and timestamp from copies: the hash covers the ciphertext.
        var scratch = (SIMD32<UInt8>(), SIMD32<UInt8>())
        var failure = WireGuardDropReason.handshakeAuthenticationFailed
        // Its replay state and sessions live on its home worker, which checks the whole message again.
        var home: Int?
        let opened: (PublicKey, TAI64N, Peer)? = withUnsafeMutableBytes(of: &scratch) { copy in
            let staticOffset = HandshakeInitiationLayout.encryptedStatic
            copy.baseAddress!.copyMemory(from: base + staticOffset, byteCount: 48)
            guard (try? Noise.open(Backend.self, key: key, data: copy.baseAddress!, count: 32, hash: hash)) != nil
            else { return nil }
            hash = Noise.mixHash(hash, base + staticOffset, count: 48)
            let initiatorStatic = PublicKey(raw: Key32(loadingFrom: copy.baseAddress!))
            guard let peer = peers[initiatorStatic] else {
                failure = .unknownPeer
                return nil
            }
            guard peer.home == worker else {
                home = peer.home
                return nil
            }
            guard let staticShared = peer.staticShared else {
                failure = .unknownPeer
                return nil
            }
            (chainingKey, key) = WireGuardKDF.kdf2(key: chainingKey, input: staticShared)
            let timestampOffset = HandshakeInitiationLayout.encryptedTimestamp
            copy.baseAddress!.copyMemory(from: base + timestampOffset, byteCount: 28)
            guard (try? Noise.open(Backend.self, key: key, data: copy.baseAddress!, count: 12, hash: hash)) != nil
            else { return nil }
            hash = Noise.mixHash(hash, base + timestampOffset, count: 28)
            return (initiatorStatic, TAI64N(loadingFrom: copy.baseAddress!), peer)
        }
        if let home { return .handOff(worker: home) }
        guard let (initiatorStatic, timestamp, peer) = opened else { return drop(failure) }
        if let latest = peer.latestTimestamp, timestamp <= latest { return drop(.replayedTimestamp) }
        if let last = peer.lastInitiationConsumed,
           !now.monotonic.hasElapsed(configuration.minimumInitiationInterval, since: last) {
            return drop(.initiationFlood)
        }
        peer.latestTimestamp = timestamp
        peer.lastInitiationConsumed = now.monotonic
        peer.endpoint = source
        peer.localSource = local
        peer.receivedBytes &+= UInt64(message.count)
        let remoteIndex = base.loadUnaligned(fromByteOffset: HandshakeInitiationLayout.senderIndex, as: UInt32.self)
        handshakes.initiationsReceived &+= 1
        sendResponse(to: peer, initiatorStatic: initiatorStatic, remoteEphemeral: remoteEphemeral,
                     remoteIndex: UInt32(littleEndian: remoteIndex), chainingKey: chainingKey, hash: hash, now: now)
        return .handshakeProcessed
    }

    /// Builds and queues the response, and installs the new keypair as `next` (unconfirmed).
    func sendResponse(to peer: Peer, initiatorStatic: PublicKey, remoteEphemeral: PublicKey, remoteIndex: UInt32,
                      chainingKey initialChainingKey: Key32, hash initialHash: Key32, now: WireGuardTime) {
        let ephemeral = PrivateKey(raw: Key32(bytes: randomBytes32(&random))).clamped
        let ephemeralPublic = Backend.publicKey(for: ephemeral)
        guard let ephemeralEphemeral = try? Backend.sharedSecret(privateKey: ephemeral, publicKey: remoteEphemeral),
              let ephemeralStatic = try? Backend.sharedSecret(privateKey: ephemeral, publicKey: initiatorStatic)
        else {
            drops.record(.handshakeAuthenticationFailed)
            return
        }
        let localIndex = newLocalIndex()
        var chainingKey = WireGuardKDF.kdf1(key: initialChainingKey, input: ephemeralPublic.raw)
        var hash = Noise.mixHash(initialHash, ephemeralPublic.raw)
        chainingKey = WireGuardKDF.kdf1(key: chainingKey, input: ephemeralEphemeral.raw)
        chainingKey = WireGuardKDF.kdf1(key: chainingKey, input: ephemeralStatic.raw)
        let (mixedKey, tau, key) = WireGuardKDF.kdf3(key: chainingKey, input: peer.presharedKey.raw)
        chainingKey = mixedKey
        hash = Noise.mixHash(hash, tau)

        var response = [UInt8](repeating: 0, count: HandshakeResponseLayout.size)
        response.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            WireGuardMessageType.handshakeResponse.store(to: base)
            base.storeBytes(of: localIndex.littleEndian, toByteOffset: HandshakeResponseLayout.senderIndex,
                            as: UInt32.self)
            base.storeBytes(of: remoteIndex.littleEndian, toByteOffset: HandshakeResponseLayout.receiverIndex,
                            as: UInt32.self)
            base.storeBytes(of: ephemeralPublic.raw.bytes, toByteOffset: HandshakeResponseLayout.ephemeral,
                            as: SIMD32<UInt8>.self)
            let emptyOffset = HandshakeResponseLayout.encryptedNothing
            Noise.seal(Backend.self, key: key, data: base + emptyOffset, count: 0, hash: hash)
            hash = Noise.mixHash(hash, base + emptyOffset, count: 16)
            peer.cookies.stamp(out, mac1Offset: HandshakeResponseLayout.mac1, now: now.monotonic,
                               cookieLifetime: configuration.cookieLifetime)
        }
        let (receiveKey, sendKey) = WireGuardKDF.kdf2(key: chainingKey, input: UnsafeRawBufferPointer(start: nil,
                                                                                                      count: 0))
        let keypair = Keypair<Backend.Cipher>(sendKey: sendKey, receiveKey: receiveKey, localIndex: localIndex,
                                              remoteIndex: remoteIndex, isInitiator: false,
                                              createdAt: now.monotonic)
        // As responder the keypair waits in `next` until the initiator's first data confirms it.
        retire(peer.next)
        retire(peer.previous)
        peer.previous = nil
        peer.next = keypair
        indices[localIndex] = .keypair(peer, keypair)
        peer.zeroKeysDeadline = now.monotonic + configuration.rejectAfterTime * 3
        peer.sentBytes &+= UInt64(response.count)
        handshakes.responsesSent &+= 1
        enqueue(.message(response, peer.endpoint!, peer.localSource, peer))
    }

    // MARK: - Initiation (initiator side)

    /// Starts a handshake unless one is in progress or the last initiation is younger than REKEY_TIMEOUT.
    func startHandshake(_ peer: Peer, now: WireGuardTime) {
        guard peer.retransmitDeadline == nil else { return }
        if let last = peer.lastInitiationSent, !now.monotonic.hasElapsed(configuration.rekeyTimeout, since: last) {
            return
        }
        peer.handshakeStarted = now.monotonic
        sendInitiation(peer, now: now)
    }

    /// Builds and queues a fresh initiation and arms the retransmission timer.
    func sendInitiation(_ peer: Peer, now: WireGuardTime) {
        guard privateKey != nil, let publicKey, let staticShared = peer.staticShared, let endpoint = peer.endpoint
        else { return }
        let ephemeral = PrivateKey(raw: Key32(bytes: randomBytes32(&random))).clamped
        let ephemeralPublic = Backend.publicKey(for: ephemeral)
        guard let ephemeralStatic = try? Backend.sharedSecret(privateKey: ephemeral, publicKey: peer.publicKey)
        else { return }
        if let old = peer.handshake { indices[old.localIndex] = nil }
        let localIndex = newLocalIndex()

        var chainingKey = WireGuardKDF.kdf1(key: Noise.initialChainingKey, input: ephemeralPublic.raw)
        var hash = Noise.mixHash(Noise.mixHash(Noise.initialHash, peer.publicKey.raw), ephemeralPublic.raw)
        var key: Key32
        (chainingKey, key) = WireGuardKDF.kdf2(key: chainingKey, input: ephemeralStatic.raw)

        var initiation = [UInt8](repeating: 0, count: HandshakeInitiationLayout.size)
        initiation.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            WireGuardMessageType.handshakeInitiation.store(to: base)
            base.storeBytes(of: localIndex.littleEndian, toByteOffset: HandshakeInitiationLayout.senderIndex,
                            as: UInt32.self)
            base.storeBytes(of: ephemeralPublic.raw.bytes, toByteOffset: HandshakeInitiationLayout.ephemeral,
                            as: SIMD32<UInt8>.self)
            let staticOffset = HandshakeInitiationLayout.encryptedStatic
            base.storeBytes(of: publicKey.raw.bytes, toByteOffset: staticOffset, as: SIMD32<UInt8>.self)
            Noise.seal(Backend.self, key: key, data: base + staticOffset, count: 32, hash: hash)
            hash = Noise.mixHash(hash, base + staticOffset, count: 48)
            (chainingKey, key) = WireGuardKDF.kdf2(key: chainingKey, input: staticShared)
            let timestampOffset = HandshakeInitiationLayout.encryptedTimestamp
            nextTimestamp(for: peer, now: now.wallClock).store(to: base + timestampOffset)
            Noise.seal(Backend.self, key: key, data: base + timestampOffset, count: 12, hash: hash)
            hash = Noise.mixHash(hash, base + timestampOffset, count: 28)
            peer.cookies.stamp(out, mac1Offset: HandshakeInitiationLayout.mac1, now: now.monotonic,
                               cookieLifetime: configuration.cookieLifetime)
        }
        peer.handshake = InitiatorHandshake(localIndex: localIndex, chainingKey: chainingKey, hash: hash,
                                            ephemeral: ephemeral)
        indices[localIndex] = .handshake(peer)
        peer.lastInitiationSent = now.monotonic
        peer.sentBytes &+= UInt64(initiation.count)
        handshakes.initiationsSent &+= 1
        peer.keepaliveDeadline = nil
        armPersistentKeepalive(peer, now: now.monotonic)
        peer.retransmitDeadline = now.monotonic + configuration.rekeyTimeout + jitter()
        enqueue(.message(initiation, endpoint, peer.localSource, peer))
    }

    /// The timestamp for a new initiation: the wall clock, whitened, but always after the last one sent to
    /// this peer. The peer accepts only ever newer stamps, so a clock stepped back (NTP, a bad RTC) must not
    /// make our initiations look like replays until the clock catches up.
    func nextTimestamp(for peer: Peer, now: WallClockTime) -> TAI64N {
        var stamp = now.whitenedTAI64N
        if let last = peer.lastTimestampSent, stamp <= last {
            stamp = last.advanced(byNanoseconds: TAI64N.whiteningGranule)
        }
        peer.lastTimestampSent = stamp
        return stamp
    }

    /// A random delay in 0...rekeyTimeoutJitter.
    func jitter() -> Duration {
        let bound = configuration.rekeyTimeoutJitter.wireGuardNanoseconds
        guard bound > 0 else { return .zero }
        return .nanoseconds(Int64(random.next() % (bound + 1)))
    }

    // MARK: - Response (initiator side)

    func handleResponse(
        _ message: UnsafeRawBufferPointer, source: Endpoint, local: LocalSource?, now: WireGuardTime
    )
        -> WireGuardInboundResult
    {
        let base = message.baseAddress!
        let receiver = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: HandshakeResponseLayout.receiverIndex,
                                                               as: UInt32.self))
        // Another worker's handshake: its worker admits and answers it.
        if let shard, shard.worker(ofIndex: receiver) != worker {
            return .handOff(worker: shard.worker(ofIndex: receiver))
        }
        if let reason = admitHandshake(message, mac1Offset: HandshakeResponseLayout.mac1, source: source,
                                       local: local,
                                       now: now.monotonic) {
            return drop(reason)
        }
        guard case .handshake(let peer) = indices[receiver], let handshake = peer.handshake,
              handshake.localIndex == receiver else { return drop(.unknownReceiverIndex) }
        guard let privateKey else { return drop(.handshakeAuthenticationFailed) }
        let remoteEphemeral = PublicKey(raw: Key32(loadingFrom: base + HandshakeResponseLayout.ephemeral))
        guard let ephemeralEphemeral = try? Backend.sharedSecret(privateKey: handshake.ephemeral,
                                                                 publicKey: remoteEphemeral),
              let staticEphemeral = try? Backend.sharedSecret(privateKey: privateKey, publicKey: remoteEphemeral)
        else { return drop(.handshakeAuthenticationFailed) }
        var chainingKey = WireGuardKDF.kdf1(key: handshake.chainingKey, input: remoteEphemeral.raw)
        var hash = Noise.mixHash(handshake.hash, remoteEphemeral.raw)
        chainingKey = WireGuardKDF.kdf1(key: chainingKey, input: ephemeralEphemeral.raw)
        chainingKey = WireGuardKDF.kdf1(key: chainingKey, input: staticEphemeral.raw)
        let (mixedKey, tau, key) = WireGuardKDF.kdf3(key: chainingKey, input: peer.presharedKey.raw)
        chainingKey = mixedKey
        hash = Noise.mixHash(hash, tau)
        var tag = base.loadUnaligned(fromByteOffset: HandshakeResponseLayout.encryptedNothing, as: SIMD16<UInt8>.self)
        let authentic = withUnsafeMutableBytes(of: &tag) { copy in
            (try? Noise.open(Backend.self, key: key, data: copy.baseAddress!, count: 0, hash: hash)) != nil
        }
        guard authentic else { return drop(.handshakeAuthenticationFailed) }
        let (sendKey, receiveKey) = WireGuardKDF.kdf2(key: chainingKey, input: UnsafeRawBufferPointer(start: nil,
                                                                                                      count: 0))
        let remoteIndex = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: HandshakeResponseLayout.senderIndex,
                                                                  as: UInt32.self))
        let keypair = Keypair<Backend.Cipher>(sendKey: sendKey, receiveKey: receiveKey, localIndex: receiver,
                                              remoteIndex: remoteIndex, isInitiator: true, createdAt: now.monotonic)
        peer.handshake = nil
        handshakes.responsesReceived &+= 1
        indices[receiver] = .keypair(peer, keypair)
        // As initiator the keypair is confirmed: it becomes current at once (the kernel's rotation).
        if let pending = peer.next {
            peer.next = nil
            retire(peer.previous)
            retire(peer.current)
            peer.previous = pending
        } else {
            retire(peer.previous)
            peer.previous = peer.current
        }
        peer.current = keypair
        peer.endpoint = source
        peer.localSource = local
        peer.receivedBytes &+= UInt64(message.count)
        peer.lastHandshake = now.wallClock
        peer.retransmitDeadline = nil
        peer.handshakeStarted = nil
        peer.newHandshakeDeadline = nil
        peer.zeroKeysDeadline = now.monotonic + configuration.rejectAfterTime * 3
        armPersistentKeepalive(peer, now: now.monotonic)
        if peer.staged.isEmpty {
            enqueue(.keepalive(peer))
        } else {
            queueFlush(peer)
        }
        return .handshakeProcessed
    }

    // MARK: - Cookie reply

    func handleCookieReply(_ message: UnsafeRawBufferPointer, now: WireGuardTime) -> WireGuardInboundResult {
        let receiver = UInt32(littleEndian: message.baseAddress!.loadUnaligned(
            fromByteOffset: CookieReplyLayout.receiverIndex, as: UInt32.self))
        let peer: Peer
        switch indices[receiver] {
        case .handshake(let owner): peer = owner
        case .keypair(let owner, _): peer = owner
        case nil: return unknownIndex(receiver)
        }
        guard peer.cookies.consumeReply(Backend.self, message, now: now.monotonic) else {
            return drop(.invalidCookieReply)
        }
        handshakes.cookieRepliesReceived &+= 1
        return .handshakeProcessed
    }
}
