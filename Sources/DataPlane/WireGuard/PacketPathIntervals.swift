/// The intervals the packet path checks on every packet, in integer nanoseconds, converted once from the
/// device's ``WireGuardConfiguration``.
///
/// Each conversion of a `Duration` costs 128-bit divisions (`components`), and the send and receive paths
/// each compare several ages per packet; the handshake and timer paths, which run rarely, keep using the
/// configuration's durations.
struct PacketPathIntervals {
    /// REJECT_AFTER_TIME: a keypair this old never sends or receives.
    let rejectAfterTime: UInt64
    /// REKEY_AFTER_TIME: an initiator's keypair this old is replaced after the next send.
    let rekeyAfterTime: UInt64
    /// KEEPALIVE_TIMEOUT: a keepalive is due this long after data arrived with nothing sent back.
    let keepaliveTimeout: UInt64
    /// KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: a new handshake starts when sent data gets no answer this long.
    let newHandshakeAfterSend: UInt64
    /// REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT (at least 0): an initiator receiving on a keypair
    /// this old rekeys, so the session is fresh before the peer (who cannot rekey on age) runs out.
    let rekeyOnReceiveAge: UInt64

    init(_ configuration: WireGuardConfiguration) {
        rejectAfterTime = configuration.rejectAfterTime.wireGuardNanoseconds
        rekeyAfterTime = configuration.rekeyAfterTime.wireGuardNanoseconds
        keepaliveTimeout = configuration.keepaliveTimeout.wireGuardNanoseconds
        newHandshakeAfterSend = (configuration.keepaliveTimeout + configuration.rekeyTimeout).wireGuardNanoseconds
        rekeyOnReceiveAge = (configuration.rejectAfterTime - configuration.keepaliveTimeout
            - configuration.rekeyTimeout).wireGuardNanoseconds
    }
}
