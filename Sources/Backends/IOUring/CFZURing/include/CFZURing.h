#ifndef CFZURING_H
#define CFZURING_H

/*
 * C helpers for the IOUringIO backend: what Swift cannot call from liburing 2.3 directly (the CQE
 * iteration macro, IOSQE_* flags, the buffer-ring setup 2.3 lacks, the multishot recvmsg buffer
 * layout), glibc's CMSG_* macros, in_pktinfo/in6_pktinfo, and the TUN and socket-option ioctls.
 * liburing.h is only included by CFZURing.c, after the glibc headers; _GNU_SOURCE is defined only
 * there, never here, so the Swift side keeps glibc's default feature set.
 */

#ifdef __linux__

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <time.h>
#include <sys/eventfd.h>

#include "CFZSocketControl.h"
#include "CFZTunDevice.h"

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque io_uring instance (liburing's `struct io_uring`, heap-allocated so its address is stable).
typedef struct cfz_uring cfz_uring;

/// Creates a ring with `entries` submission slots and `completion_entries` completion slots, asking for
/// cooperative task running first and retrying without it on kernels that lack it.
/// Returns NULL with `*error` set to the positive errno of `io_uring_queue_init_params`.
cfz_uring *cfz_uring_create(unsigned entries, unsigned completion_entries, int *error);

/// Tears the ring down (`io_uring_queue_exit`) and frees it.
void cfz_uring_destroy(cfz_uring *ring);

/// Free submission slots now.
unsigned cfz_uring_sq_space(cfz_uring *ring);

/// Submits what is queued without waiting. Returns the count submitted or a negative errno.
int cfz_uring_submit(cfz_uring *ring);

/// Submits what is queued and waits for at least one completion, at most `timeout_ns` nanoseconds
/// (negative: no limit). Returns >= 0, -ETIME on timeout, or another negative errno.
int cfz_uring_submit_and_wait(cfz_uring *ring, int64_t timeout_ns);

/// One completion, copied out of the completion ring.
struct cfz_completion {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
};

/// Copies up to `capacity` waiting completions to `out` and marks them seen; returns how many.
unsigned cfz_uring_reap(cfz_uring *ring, struct cfz_completion *out, unsigned capacity);

/// `IORING_CQE_F_BUFFER`, `IORING_CQE_F_MORE` and the buffer-id shift, for Swift.
uint32_t cfz_cqe_flag_buffer(void);
uint32_t cfz_cqe_flag_more(void);
uint32_t cfz_cqe_buffer_shift(void);

/* Each prep call takes a submission slot and fills it; it returns 0, or -1 when the queue is full. */

/// Multishot recvmsg on `fd` picking buffers from group `group` (`message` gives the name and control
/// sizes to reserve in each buffer; it must stay valid until the request ends).
int cfz_uring_prep_recvmsg_multishot(cfz_uring *ring, int fd, struct msghdr *message, uint16_t group,
                                     uint64_t user_data);
/// One recvmsg or sendmsg with `message` (valid until the completion).
int cfz_uring_prep_recvmsg(cfz_uring *ring, int fd, struct msghdr *message, uint64_t user_data);
int cfz_uring_prep_sendmsg(cfz_uring *ring, int fd, const struct msghdr *message, uint64_t user_data);
/// A plain send of `length` bytes at `buffer` to the address in `name` (sendto(2); Linux 6.1 and later): the
/// kernel copies in the address, not a msghdr and its iovec. `name` must stay valid until submitted.
int cfz_uring_prep_send_to(cfz_uring *ring, int fd, const void *buffer, size_t length, const void *name,
                           socklen_t name_length, uint64_t user_data);
/// One read or write of `length` bytes at `buffer` (offset -1: the file position, as for a TUN device).
int cfz_uring_prep_read(cfz_uring *ring, int fd, void *buffer, unsigned length, uint64_t user_data);
int cfz_uring_prep_write(cfz_uring *ring, int fd, const void *buffer, unsigned length, uint64_t user_data);
/// A timer that fires at the absolute `CLOCK_MONOTONIC` time in `kernel_timespec` (valid until submitted).
int cfz_uring_prep_timeout_abs(cfz_uring *ring, void *kernel_timespec, uint64_t user_data);
/// Removes the timer submitted with `target`.
int cfz_uring_prep_timeout_remove(cfz_uring *ring, uint64_t target, uint64_t user_data);
/// Cancels every request on `fd`.
int cfz_uring_prep_cancel_fd(cfz_uring *ring, int fd, uint64_t user_data);
/// Cancels the request submitted with `target`.
int cfz_uring_prep_cancel(cfz_uring *ring, uint64_t target, uint64_t user_data);

/// Bytes of the kernel's `__kernel_timespec` (Swift allocates one and fills it with `cfz_set_timespec`).
size_t cfz_kernel_timespec_size(void);
void cfz_set_timespec(void *kernel_timespec, uint64_t nanoseconds);

/// A provided-buffer ring: `entries` (a power of two) 16-byte slots registered as group `group`.
typedef struct cfz_buffer_ring cfz_buffer_ring;
/// Allocates, initializes and registers the ring; NULL with `*error` (positive errno) on failure.
cfz_buffer_ring *cfz_buffer_ring_create(cfz_uring *ring, unsigned entries, uint16_t group, int *error);
/// Queues buffer `id` (`length` bytes at `address`) as the `offset`-th new entry; publish with `advance`.
void cfz_buffer_ring_add(cfz_buffer_ring *buffers, void *address, unsigned length, uint16_t id, int offset);
/// Makes `count` added entries visible to the kernel.
void cfz_buffer_ring_advance(cfz_buffer_ring *buffers, int count);
/// Unregisters and frees the ring.
void cfz_buffer_ring_destroy(cfz_uring *ring, cfz_buffer_ring *buffers);

/// Room reserved for the sender's address in a multishot receive buffer.
#define CFZ_RECEIVE_NAME_SPACE 32
/// What one received datagram said besides its bytes.
struct cfz_datagram_info {
    /// Sender: family (AF_INET/AF_INET6, 0 if unknown), 4 or 16 address bytes in network order, port.
    int source_family;
    uint8_t source[16];
    uint16_t source_port;
    /// Local address and interface from packet info, and the GRO segment size (0 for a single datagram).
    struct cfz_receive_control control;
    /// `MSG_TRUNC` or `MSG_CTRUNC` was set: the datagram did not fit.
    int truncated;
};

/// Reads the header of a multishot recvmsg buffer (`length` bytes, the CQE's result) whose name and
/// control room are `message`'s. Returns the offset of the payload in `buffer` and sets `*payload_length`
/// and `info`, or -1 when the buffer is malformed.
long cfz_parse_multishot(void *buffer, int length, struct msghdr *message, struct cfz_datagram_info *info,
                         long *payload_length);

/// Fills `info` from a one-shot recvmsg's `message` after it completed.
void cfz_parse_message(struct msghdr *message, struct cfz_datagram_info *info);

/// Sets up `message` for one datagram: `iov` (1 entry) covering `length` bytes at `buffer`, the name
/// room `name` (sockaddr_storage bytes) and control room `control` of `control_space` bytes.
void cfz_prepare_receive(struct msghdr *message, struct iovec *iov, void *buffer, size_t length, void *name,
                         void *control, size_t control_space);

/// Writes the sockaddr_in or sockaddr_in6 for `family`/`address` (4 or 16 bytes)/`port` to `name` (room for a
/// sockaddr_in6); returns its length, or -1 for a bad family.
int cfz_build_sockaddr(void *name, int family, const uint8_t *address, uint16_t port);

/// Sets up `message` to send `length` bytes at `buffer` to `family`/`address` (4 or 16 bytes)/`port`,
/// from `source` (NULL: any) on interface `interface_index` (see `cfz_build_send_control`) with segments of
/// `segment_size` (0: one datagram). `name` must hold a sockaddr_in6 and `control` `cfz_send_control_space()`
/// bytes. Returns 0, or -1 for a bad family.
int cfz_prepare_send(struct msghdr *message, struct iovec *iov, void *buffer, size_t length, void *name,
                     void *control, int family, const uint8_t *address, uint16_t port, const uint8_t *source,
                     unsigned int interface_index, uint16_t segment_size);

/// Sets up a bare msghdr for a multishot recvmsg: name and control room only.
void cfz_prepare_multishot(struct msghdr *message);

/// Opens a non-blocking UDP socket of `family` bound to `address` (4 or 16 bytes)/`port`, IPv6-only
/// for AF_INET6, with packet info on. `receive_bytes`/`send_bytes` > 0 set the buffer sizes (forced
/// where allowed, plain otherwise). `gro` turns UDP_GRO on; `reuse_port` sets SO_REUSEPORT before the bind (one
/// socket per worker on one port). Returns the fd and the bound port in
/// `*bound_port`, or -1 with errno set and `*failed_call` naming the call.
int cfz_udp_open(int family, const uint8_t *address, uint16_t port, int receive_bytes, int send_bytes, int gro,
                 int reuse_port, uint16_t *bound_port, const char **failed_call);

/// Whether UDP_SEGMENT and UDP_GRO can be set on a throwaway socket: bit 0 GSO, bit 1 GRO.
int cfz_udp_offload_support(void);


/// Opens `/dev/net/tun` attached to TUN `name` (`IFF_TUN | IFF_NO_PI`, plus `IFF_VNET_HDR` with a
/// 10-byte header and CSUM/TSO4/TSO6/USO4/USO6 offloads when `offload` is set; without USO when the
/// kernel refuses it). `*offload_in_effect` says whether offloads are on, `*uso` whether USO is.
/// With `multi_queue`, opens one more queue of a multi-queue interface (`IFF_MULTI_QUEUE`).
/// Returns the fd (non-blocking) or -1 with errno set and `*failed_call` naming the call.
int cfz_uring_tun_open(const char *name, int offload, int multi_queue, char *actual_name, int *offload_in_effect,
                       int *uso, const char **failed_call);

/// What `cfz_uring_probe` found.
struct cfz_uring_probe_result {
    /// 0, or the positive errno of io_uring_queue_init.
    int setup_error;
    /// Opcode support, 1 each.
    int recvmsg, sendmsg, read, write, timeout, timeout_remove, async_cancel;
    /// 0, or the positive errno of registering a provided-buffer ring.
    int buffer_ring_error;
    /// Whether a multishot recvmsg was accepted (armed with IORING_CQE_F_MORE pending, not -EINVAL).
    int multishot_recvmsg;
    /// Whether io_uring_get_probe worked at all.
    int probe_available;
};

/// Checks what this kernel's io_uring offers, with a throwaway ring and socket.
void cfz_uring_probe(struct cfz_uring_probe_result *out);

/// The message for `error_number` (GNU `strerror_r`, safe from any thread).
const char *cfz_uring_strerror(int error_number, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* __linux__ */
#endif
