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

#include "CFZTunDevice.h"

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

/// The message for `error_number` (GNU `strerror_r`, safe from any thread).
const char *cfz_strerror(int error_number, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
