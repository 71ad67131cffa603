/* Defined here only: recvmmsg, sendmmsg, in_pktinfo, in6_pktinfo and GNU strerror_r need it. */
#define _GNU_SOURCE 1

#include "CFZEpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/udp.h>

_Static_assert(sizeof(struct cfz_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(struct cfz_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int cfz_recvmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int cfz_sendmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int cfz_enable_packet_info(int fd, int family) {
    int on = 1;
    if (family == AF_INET) {
        return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    }
    return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
}

const char *cfz_strerror(int error_number, char *buffer, size_t capacity) {
    return strerror_r(error_number, buffer, capacity);
}
