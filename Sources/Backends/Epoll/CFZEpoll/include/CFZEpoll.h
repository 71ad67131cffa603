#ifndef CFZEPOLL_H
#define CFZEPOLL_H

/*
 * C helpers for the EpollIO backend: what Swift cannot import or call directly from glibc without
 * _GNU_SOURCE (recvmmsg/sendmmsg, in_pktinfo/in6_pktinfo, GNU strerror_r), the CMSG_* macros, and the
 * TUNSETIFF ioctl with its struct ifreq. _GNU_SOURCE is defined only inside CFZEpoll.c, never here, so
 * the Swift side keeps glibc's default feature set.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Layout-identical to glibc's `struct mmsghdr` (checked by a static assertion in CFZEpoll.c).
struct cfz_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// `recvmmsg(2)` with no timeout. Returns the datagram count, or -1 with `errno` set.
int cfz_recvmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags);

/// `sendmmsg(2)`. Returns the number of messages sent, or -1 with `errno` set.
int cfz_sendmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags);

/// Turns on reporting of the destination address (`IP_PKTINFO` or `IPV6_RECVPKTINFO`) for `family`.
/// Returns 0, or -1 with `errno` set.
int cfz_enable_packet_info(int fd, int family);

/// Size of an interface name buffer, including the terminating NUL (`IFNAMSIZ`).
#define CFZ_INTERFACE_NAME_SIZE 16

/// Opens `/dev/net/tun` non-blocking and close-on-exec, and attaches it to the TUN interface `name`
/// (`IFF_TUN | IFF_NO_PI`), creating the interface if needed. An empty `name` lets the kernel pick one.
/// The interface name the kernel used is written to `actual_name` (`CFZ_INTERFACE_NAME_SIZE` bytes).
/// Returns the file descriptor, or -1 with `errno` set; `*failed_call` then names the failing call.
int cfz_tun_open(const char *name, char *actual_name, const char **failed_call);

/// `cfz_tun_open`, adding `IFF_VNET_HDR` when `virtio_header` is not 0: every packet read or written then
/// starts with a virtio-net header.
int cfz_tun_open_flags(const char *name, int virtio_header, char *actual_name, const char **failed_call);

/// `TUNSETOFFLOAD` bits (`TUN_F_*` in linux/if_tun.h): checksum, TSO for IPv4, IPv6 and ECN, UFO, USO.
#define CFZ_TUN_F_CSUM 0x01
#define CFZ_TUN_F_TSO4 0x02
#define CFZ_TUN_F_TSO6 0x04
#define CFZ_TUN_F_TSO_ECN 0x08
#define CFZ_TUN_F_UFO 0x10
#define CFZ_TUN_F_USO4 0x20
#define CFZ_TUN_F_USO6 0x40

/// `ioctl(TUNSETVNETHDRSZ)`: the size of the virtio-net header in front of each packet (10 or 12).
/// Returns 0, or -1 with `errno` set.
int cfz_tun_set_virtio_header_size(int fd, int size);

/// `ioctl(TUNSETOFFLOAD)` with `CFZ_TUN_F_*` bits. Returns 0, or -1 with `errno` set (`EINVAL` for a bit
/// the kernel does not know, e.g. USO before Linux 6.2).
int cfz_tun_set_offload(int fd, unsigned int offloads);

/// The message for `error_number` (GNU `strerror_r`, safe from any thread).
const char *cfz_strerror(int error_number, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
