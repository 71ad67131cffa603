/* Defined here only: recvmmsg, sendmmsg, in_pktinfo, in6_pktinfo and GNU strerror_r need it. */
#define _GNU_SOURCE 1

#include "CFZEpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <netinet/udp.h>
#include <linux/if_tun.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

_Static_assert(sizeof(struct cfz_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(struct cfz_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");
_Static_assert(CFZ_INTERFACE_NAME_SIZE == IFNAMSIZ, "IFNAMSIZ");

int cfz_recvmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int cfz_sendmmsg(int fd, struct cfz_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

size_t cfz_receive_control_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int));
}

size_t cfz_send_control_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t));
}

void cfz_parse_receive_control(const struct msghdr *message, struct cfz_receive_control *out) {
    memset(out, 0, sizeof(*out));
    if (message->msg_controllen == 0) {
        return;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)message); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)message, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            memcpy(out->destination, &info.ipi_addr, 4);
            out->destination_family = AF_INET;
            out->interface_index = (unsigned int)info.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            memcpy(out->destination, &info.ipi6_addr, 16);
            out->destination_family = AF_INET6;
            out->interface_index = info.ipi6_ifindex;
        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(c), sizeof(size));
            out->segment_size = size;
        }
    }
}

long cfz_build_send_control(
    void *control, size_t capacity, int family, const uint8_t *source, uint16_t segment_size) {
    size_t needed = 0;
    if (source != NULL) {
        needed += family == AF_INET ? CMSG_SPACE(sizeof(struct in_pktinfo)) : CMSG_SPACE(sizeof(struct in6_pktinfo));
    }
    if (segment_size != 0) {
        needed += CMSG_SPACE(sizeof(uint16_t));
    }
    if (needed == 0) {
        return 0;
    }
    if (needed > capacity) {
        return -1;
    }
    memset(control, 0, needed);
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_control = control;
    message.msg_controllen = needed;
    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
    if (source != NULL) {
        if (family == AF_INET) {
            struct in_pktinfo info;
            memset(&info, 0, sizeof(info));
            memcpy(&info.ipi_spec_dst, source, 4);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        } else {
            struct in6_pktinfo info;
            memset(&info, 0, sizeof(info));
            memcpy(&info.ipi6_addr, source, 16);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        }
        c = CMSG_NXTHDR(&message, c);
    }
    if (segment_size != 0) {
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
    }
    return (long)needed;
}

int cfz_enable_packet_info(int fd, int family) {
    int on = 1;
    if (family == AF_INET) {
        return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    }
    return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
}

int cfz_tun_open(const char *name, char *actual_name, const char **failed_call) {
    return cfz_tun_open_flags(name, 0, actual_name, failed_call);
}

int cfz_tun_open_flags(const char *name, int virtio_header, char *actual_name, const char **failed_call) {
    if (strlen(name) >= IFNAMSIZ) {
        *failed_call = "TUNSETIFF";
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *failed_call = "open(/dev/net/tun)";
        return -1;
    }
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    request.ifr_flags = IFF_TUN | IFF_NO_PI | (virtio_header ? IFF_VNET_HDR : 0);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        *failed_call = "ioctl(TUNSETIFF)";
        return -1;
    }
    memcpy(actual_name, request.ifr_name, IFNAMSIZ);
    actual_name[IFNAMSIZ - 1] = '\0';
    return fd;
}

_Static_assert(CFZ_TUN_F_CSUM == TUN_F_CSUM && CFZ_TUN_F_TSO4 == TUN_F_TSO4 && CFZ_TUN_F_TSO6 == TUN_F_TSO6,
               "TUN_F_* values");
_Static_assert(CFZ_TUN_F_TSO_ECN == TUN_F_TSO_ECN && CFZ_TUN_F_UFO == TUN_F_UFO, "TUN_F_* values");

int cfz_tun_set_virtio_header_size(int fd, int size) {
    return ioctl(fd, TUNSETVNETHDRSZ, &size);
}

int cfz_tun_set_offload(int fd, unsigned int offloads) {
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads);
}

const char *cfz_strerror(int error_number, char *buffer, size_t capacity) {
    return strerror_r(error_number, buffer, capacity);
}
