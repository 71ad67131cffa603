extension WireGuardDevice {
    /// Encrypts the IP packet at `packet` of `buffer` in place for the peer its destination routes to.
    ///
    /// The 16-byte header goes into the headroom before `packet` and the zero padding and tag into the
    /// tailroom after it, so `buffer` must have at least `TransportDataLayout.requiredHeadroom` bytes
    /// before and `requiredTailroom` after the packet. Without a usable session the packet is copied
    /// into the peer's bounded queue (the oldest dropped when full) and a handshake is started.
    public func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard let header = innerHeader(buffer, packet) else { return dropOutbound(.invalidInnerPacket) }
        guard let peer = allowedIPs.lookup(header.destination) else { return dropOutbound(.noRoute) }
        return encapsulate(buffer: buffer, packet: packet, to: peer, now: now)
    }

    /// Encrypts the IP packet at `packet` of `buffer` in place for `peer`, whatever its destination routes to.
    ///
    /// For packets a layer above the engine addresses itself: a Gateway's ICMP error into a Client's
    /// tunnel, a Client's packets held until a flow exists. Buffer rules, staging and handshakes are those
    /// of `encapsulate(buffer:packet:now:)`; a free slot drops the packet as `noRoute`.
    public func encapsulate(
        to peer: PeerID, buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard innerHeader(buffer, packet) != nil else { return dropOutbound(.invalidInnerPacket) }
        guard let state = self.peer(peer) else { return dropOutbound(.noRoute) }
        return encapsulate(buffer: buffer, packet: packet, to: state, now: now)
    }

    /// The IP header of the packet at `packet`, or nil if the range or the packet is invalid.
    @inline(__always)
    func innerHeader(_ buffer: UnsafeMutableRawBufferPointer, _ packet: Range<Int>) -> IPPacketHeader? {
        guard packet.lowerBound >= 0, packet.upperBound <= buffer.count else { return nil }
        return try? IPPacketHeader(parsing: UnsafeRawBufferPointer(rebasing: buffer[packet]))
    }

    /// The shared tail of both entry points, once the peer is known.
    func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, to peer: Peer, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard peer.home == worker else { return .handOff(worker: peer.home) }
        guard let endpoint = peer.endpoint else { return dropOutbound(.noEndpoint) }
        let source = peer.localSource
        let padded = paddedLength(packet.count)
        guard packet.lowerBound >= TransportDataLayout.headerSize,
              packet.lowerBound + padded + TransportDataLayout.tagSize <= buffer.count else {
            return dropOutbound(.insufficientBufferSpace)
        }
        if peer.staged.isEmpty, let keypair = usableSendKeypair(peer, now: now.monotonic) {
            let range = seal(keypair, buffer: buffer, payload: packet, padded: padded)
            didSend(peer, keypair: keypair, bytes: range.count, isData: true, now: now)
            return .send(range: range, endpoint: endpoint, source: source)
        }
        stage(UnsafeRawBufferPointer(rebasing: buffer[packet]), for: peer)
        if usableSendKeypair(peer, now: now.monotonic) != nil {
            queueFlush(peer)
        } else {
            startHandshake(peer, now: now)
        }
        return .staged(peer: peer.id)
    }

    func dropOutbound(_ reason: WireGuardDropReason) -> WireGuardOutboundResult {
        drops.record(reason)
        return .dropped(reason)
    }

    /// Decrypts a transport data message in place; `message` is exactly the datagram.
    func handleTransportData(
        _ message: UnsafeMutableRawBufferPointer, source: Endpoint, local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult {
        let count = message.count
        guard count >= TransportDataLayout.minimumSize else { return drop(.malformedMessage) }
        let base = message.baseAddress!
        let receiver = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard case .keypair(let peer, let keypair) = indices[receiver] else { return unknownIndex(receiver) }
        let counter = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard counter < configuration.rejectAfterMessages,
              !now.monotonic.hasElapsed(nanoseconds: intervals.rejectAfterTime, since: keypair.createdAt) else {
            return drop(.keypairExpired)
        }
        guard keypair.replayWindow.wouldAccept(counter) else { return drop(.replayedCounter) }
        let header = TransportDataLayout.headerSize
        let payloadCount = count - header - TransportDataLayout.tagSize
        do {
            try keypair.receiveCipher.open(
                counter: counter, buffer: UnsafeMutableRawBufferPointer(start: base + header, count: payloadCount),
                additionalData: UnsafeRawBufferPointer(start: nil, count: 0), tag: base + count - 16)
        } catch {
            return drop(.decryptionFailed)
        }
        guard keypair.replayWindow.accept(counter) else { return drop(.replayedCounter) }

        // Authenticated: roam, count, confirm the keypair and run the receive-side timers.
        peer.endpoint = source
        peer.localSource = local
        peer.receivedBytes &+= UInt64(count)
        if keypair === peer.next { confirm(keypair, of: peer, now: now) }
        peer.newHandshakeDeadline = nil
        armPersistentKeepalive(peer, now: now.monotonic)
        if keypair === peer.current, keypair.isInitiator,
           now.monotonic.hasElapsed(nanoseconds: intervals.rekeyOnReceiveAge, since: keypair.createdAt) {
            startHandshake(peer, now: now)
        }
        guard payloadCount > 0 else { return .keepalive(peer: peer.id) }
        if peer.keepaliveDeadline == nil {
            peer.keepaliveDeadline = now.monotonic.advanced(byNanoseconds: intervals.keepaliveTimeout)
        }
        let plaintext = UnsafeRawBufferPointer(start: base + header, count: payloadCount)
        guard let inner = try? IPPacketHeader(parsing: plaintext) else { return drop(.invalidInnerPacket) }
        guard allowedIPs.lookup(inner.source) === peer else { return drop(.disallowedSource) }
        return .packet(range: header..<(header + inner.totalLength), peer: peer.id)
    }

    /// The responder's first packet on a new keypair confirms it: next becomes current.
    func confirm(_ keypair: Keypair<Backend.Cipher>, of peer: Peer, now: WireGuardTime) {
        retire(peer.previous)
        peer.previous = peer.current
        peer.current = keypair
        peer.next = nil
        peer.lastHandshake = now.wallClock
        if !peer.staged.isEmpty { queueFlush(peer) }
    }

    /// The current keypair if it may still send.
    func usableSendKeypair(_ peer: Peer, now: MonotonicInstant) -> Keypair<Backend.Cipher>? {
        guard let keypair = peer.current, keypair.sendCounter < configuration.rejectAfterMessages,
              !now.hasElapsed(nanoseconds: intervals.rejectAfterTime, since: keypair.createdAt) else { return nil }
        return keypair
    }

    /// The plaintext length after zero padding to a multiple of 16, never past the MTU.
    func paddedLength(_ length: Int) -> Int {
        let rounded = (length + 15) & ~15
        guard let mtu = configuration.mtu else { return rounded }
        return max(length, min(rounded, mtu))
    }

    /// Writes the header before `payload`, zero-pads it to `padded` bytes (or leaves it as is when
    /// `padded` is smaller), encrypts and appends the tag; returns the datagram's range.
    func seal(_ keypair: Keypair<Backend.Cipher>, buffer: UnsafeMutableRawBufferPointer, payload: Range<Int>,
              padded: Int) -> Range<Int> {
        let base = buffer.baseAddress!
        let length = max(payload.count, padded)
        if length > payload.count {
            (base + payload.upperBound).initializeMemory(as: UInt8.self, repeating: 0,
                                                         count: length - payload.count)
        }
        let counter = keypair.sendCounter
        keypair.sendCounter &+= 1
        let start = payload.lowerBound - TransportDataLayout.headerSize
        WireGuardMessageType.transportData.store(to: base + start)
        (base + start).storeBytes(of: keypair.remoteIndex.littleEndian, toByteOffset: 4, as: UInt32.self)
        (base + start).storeBytes(of: counter.littleEndian, toByteOffset: 8, as: UInt64.self)
        keypair.sendCipher.seal(
            counter: counter, buffer: UnsafeMutableRawBufferPointer(start: base + payload.lowerBound, count: length),
            additionalData: UnsafeRawBufferPointer(start: nil, count: 0), tag: base + payload.lowerBound + length)
        return start..<(payload.lowerBound + length + TransportDataLayout.tagSize)
    }

    /// Send-side bookkeeping: statistics, timers and the rekey check.
    func didSend(_ peer: Peer, keypair: Keypair<Backend.Cipher>, bytes: Int, isData: Bool, now: WireGuardTime) {
        peer.sentBytes &+= UInt64(bytes)
        peer.keepaliveDeadline = nil
        if isData, peer.newHandshakeDeadline == nil {
            peer.newHandshakeDeadline = now.monotonic.advanced(byNanoseconds: intervals.newHandshakeAfterSend)
        }
        armPersistentKeepalive(peer, now: now.monotonic)
        let tooOld = keypair.isInitiator
            && now.monotonic.hasElapsed(nanoseconds: intervals.rekeyAfterTime, since: keypair.createdAt)
        if tooOld || keypair.sendCounter >= configuration.rekeyAfterMessages {
            startHandshake(peer, now: now)
        }
    }

    func armPersistentKeepalive(_ peer: Peer, now: MonotonicInstant) {
        if let interval = peer.persistentKeepaliveNanoseconds {
            peer.persistentKeepaliveDeadline = now.advanced(byNanoseconds: interval)
        }
    }

    /// Copies a packet into the peer's queue, dropping the oldest when it is full.
    func stage(_ packet: UnsafeRawBufferPointer, for peer: Peer) {
        if peer.staged.count >= configuration.stagedPacketLimit {
            peer.staged.removeFirst()
            drops.record(.stagedQueueOverflow)
        }
        peer.staged.append(Array(packet))
    }

    func queueFlush(_ peer: Peer) {
        guard !peer.flushQueued else { return }
        peer.flushQueued = true
        enqueue(.flush(peer))
    }

    /// Sends a keepalive if a session exists, otherwise starts a handshake (which ends in one).
    func queueKeepalive(_ peer: Peer, now: WireGuardTime) {
        if usableSendKeypair(peer, now: now.monotonic) != nil {
            enqueue(.keepalive(peer))
        } else {
            startHandshake(peer, now: now)
        }
    }

    /// A receiver index this device does not hold: another worker's (passed on), or unknown (dropped).
    func unknownIndex(_ index: UInt32) -> WireGuardInboundResult {
        if let shard, shard.worker(ofIndex: index) != worker { return .handOff(worker: shard.worker(ofIndex: index)) }
        return drop(.unknownReceiverIndex)
    }

    func drop(_ reason: WireGuardDropReason) -> WireGuardInboundResult {
        drops.record(reason)
        return .dropped(reason)
    }
}
