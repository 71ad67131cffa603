extension WireGuardDevice {
    /// Runs every timer that is due at `now`: handshake retransmission and give-up, keepalives,
    /// rekeying after unanswered data, persistent keepalives and key erasure. Call it at `nextDeadline`
    /// (calling more often is harmless), then poll `nextDatagram`.
    public func updateTimers(now: WireGuardTime) {
        let time = now.monotonic
        while let peer = schedule.popDue(now: time) {
            runTimers(peer, now: now)
            schedule.reschedule(peer)
        }
        schedule.compact(livePeers: peers.count, peers: peers.values)
    }

    /// Runs the peer's due timers; the schedule said one may be due.
    func runTimers(_ peer: Peer, now: WireGuardTime) {
        let time = now.monotonic
        if let deadline = peer.zeroKeysDeadline, time >= deadline {
            peer.zeroKeysDeadline = nil
            clearSessions(peer)
        }
        if let deadline = peer.retransmitDeadline, time >= deadline {
            peer.retransmitDeadline = nil
            if let started = peer.handshakeStarted,
               time.hasElapsed(configuration.rekeyAttemptTime, since: started) {
                giveUpHandshake(peer, now: time)
            } else {
                // Unanswered: the address replies left from may be gone, so let the kernel choose again.
                peer.localSource = nil
                sendInitiation(peer, now: now)
            }
        }
        if let deadline = peer.keepaliveDeadline, time >= deadline {
            peer.keepaliveDeadline = nil
            if usableSendKeypair(peer, now: time) != nil { enqueue(.keepalive(peer)) }
        }
        if let deadline = peer.newHandshakeDeadline, time >= deadline {
            peer.newHandshakeDeadline = nil
            startHandshake(peer, now: now)
        }
        if let deadline = peer.persistentKeepaliveDeadline, time >= deadline {
            peer.persistentKeepaliveDeadline = nil
            queueKeepalive(peer, now: now)
        }
    }

    /// REKEY_ATTEMPT_TIME passed without a response: stop retrying, drop the staged packets and schedule
    /// the erasure of whatever keys remain.
    func giveUpHandshake(_ peer: Peer, now: MonotonicInstant) {
        if !peer.staged.isEmpty {
            drops.record(.handshakeTimedOut, count: UInt64(peer.staged.count))
            peer.staged.removeAll()
        }
        if let handshake = peer.handshake { indices[handshake.localIndex] = nil }
        peer.handshake = nil
        peer.handshakeStarted = nil
        if peer.zeroKeysDeadline == nil {
            peer.zeroKeysDeadline = now + configuration.rejectAfterTime * 3
        }
    }
}
