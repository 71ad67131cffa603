/* Defined here only: in_pktinfo and in6_pktinfo need it. */
#define _GNU_SOURCE 1

#include "CFZSocketControl.h"

#ifdef __linux__
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/filter.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

int cfz_attach_receiver_index_steering(int fd, unsigned int workers) {
    if (workers == 0 || workers > 255) {
        errno = EINVAL;
        return -1;
    }
    /* The program sees the UDP payload (the kernel pulls the UDP header first). A load past the end of a
     * short datagram ends the program with 0: the first socket, which drops the datagram as malformed. */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),             /* A = message type */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 2),      /* a response carries the receiver at 8 */
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8),
        BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 4),             /* the others at 4 (an initiation: its sender) */
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    struct sock_fprog program = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof(program));
}

size_t cfz_receive_control_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int));
}

size_t cfz_send_control_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t));
}

void cfz_parse_receive_control(const struct msghdr *message, struct cfz_receive_control *out) {
    memset(out, 0, sizeof(*out));
    if (message->msg_control == NULL || message->msg_controllen == 0) {
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
        } else if (c->cmsg_level == CFZ_SOL_UDP && c->cmsg_type == CFZ_UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(c), sizeof(size));
            out->segment_size = size;
        }
    }
}

long cfz_build_send_control(void *control, size_t capacity, int family, const uint8_t *source,
                            unsigned int interface_index, uint16_t segment_size) {
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
            /* The address alone, as the kernel module does: forcing the interface as well could fight policy
               routing, and the address already picks the way back. */
            memcpy(&info.ipi_spec_dst, source, 4);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        } else {
            struct in6_pktinfo info;
            memset(&info, 0, sizeof(info));
            memcpy(&info.ipi6_addr, source, 16);
            /* A link-local address means nothing without its interface. */
            info.ipi6_ifindex = interface_index;
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        }
        c = CMSG_NXTHDR(&message, c);
    }
    if (segment_size != 0) {
        c->cmsg_level = CFZ_SOL_UDP;
        c->cmsg_type = CFZ_UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
    }
    return (long)needed;
}
#endif
