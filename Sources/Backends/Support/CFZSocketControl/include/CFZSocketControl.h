#ifndef CFZSOCKETCONTROL_H
#define CFZSOCKETCONTROL_H

/*
 * The UDP control messages both packet I/O backends read and write: packet info (the local address and
 * interface a datagram arrived on, or the ones to send it from) and the UDP GRO/GSO segment size. One
 * copy, so the backends cannot drift apart in what they report or choose.
 */

#ifdef __linux__
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/// The UDP offload socket options and control messages (older libc headers lack the names): level, `UDP_SEGMENT`
/// (GSO, a `uint16_t` segment size) and `UDP_GRO` (an `int` segment size on receive).
#define CFZ_SOL_UDP 17
#define CFZ_UDP_SEGMENT 103
#define CFZ_UDP_GRO 104

/// Bytes of control buffer one received datagram needs: a packet-info message and a GRO segment size.
size_t cfz_receive_control_space(void);

/// Bytes of control buffer one sent datagram needs: a packet-info message and a GSO segment size.
size_t cfz_send_control_space(void);

/// What the control messages of one received datagram said.
struct cfz_receive_control {
    /// The destination address of the datagram (4 bytes for IPv4 in network order, or 16 for IPv6).
    uint8_t destination[16];
    /// `AF_INET` or `AF_INET6` when `destination` is set, else 0.
    int destination_family;
    /// The interface index the datagram arrived on, or 0.
    unsigned int interface_index;
    /// The GRO segment size, or 0 when the datagram was not coalesced.
    int segment_size;
};

/// Reads the packet-info and `UDP_GRO` control messages of `message` (its `msg_control` and
/// `msg_controllen`) into `out`.
void cfz_parse_receive_control(const struct msghdr *message, struct cfz_receive_control *out);

/// Writes the control messages for one datagram to send into `control` (of `capacity` bytes): a packet-info
/// message when `source` is not NULL (4 bytes for `AF_INET`, 16 for `AF_INET6`) choosing that local address
/// and, for IPv6 with `interface_index` not 0, that interface (IPv4 leaves it to routing); a `UDP_SEGMENT` message when
/// `segment_size` is not 0. Returns the length to store in `msg_controllen` (0 when there is nothing to
/// send), or -1 if `capacity` is too small.
long cfz_build_send_control(void *control, size_t capacity, int family, const uint8_t *source,
                            unsigned int interface_index, uint16_t segment_size);

/// Attaches a classic BPF program to the `SO_REUSEPORT` group of `fd` (it applies to every socket bound to
/// that port) that steers each WireGuard datagram to the socket at position `receiver byte % workers` in the
/// group: the low byte of the receiver index (offset 8 for a handshake response, 4 for cookie replies and
/// transport data). Workers hand out session indices whose low byte names them, so a session's datagrams
/// reach the worker that owns the session. An initiation lands on a worker chosen by the sender's index and
/// is passed on from there. Returns 0, or -1 with errno set.
int cfz_attach_receiver_index_steering(int fd, unsigned int workers);
#endif

#endif
