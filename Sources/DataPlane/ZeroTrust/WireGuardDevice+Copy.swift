extension WireGuardDevice {
    /// Encrypts a copy of `packet` for `peer` into `buffer` (header first, then the packet), for the packets a
    /// node made or held itself: a "prohibited" error, or a buffered packet released by `flow_created`.
    ///
    /// Returns the datagram written at the start of `buffer`, or nil when it was staged for a handshake (it
    /// goes out later through `nextDatagram`), dropped, or too big for `buffer`.
    func sealCopy(
        of packet: UnsafeRawBufferPointer, to peer: PeerID, into buffer: UnsafeMutableRawBufferPointer,
        now: WireGuardTime
    ) -> WireGuardDatagram? {
        let header = TransportDataLayout.headerSize
        guard header + packet.count + 64 <= buffer.count, let source = packet.baseAddress else { return nil }
        (buffer.baseAddress! + header).copyMemory(from: source, byteCount: packet.count)
        guard case .send(let range, let endpoint, let local) = encapsulate(
            to: peer, buffer: buffer, packet: header..<(header + packet.count), now: now) else { return nil }
        // The header went into the headroom: the datagram starts at the buffer's start.
        return WireGuardDatagram(count: range.upperBound, endpoint: endpoint, source: local)
    }
}
