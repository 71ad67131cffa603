#ifdef __linux__

#include "CFZNetlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* Messages per sendmsg: their acknowledgements (36 bytes each with NETLINK_CAP_ACK) must fit the receive
 * buffer, or the kernel drops them and the batch could not be checked. */
enum { BATCH = 256, MESSAGE_SPACE = 128 };

struct batch {
    unsigned char buffer[BATCH * MESSAGE_SPACE] __attribute__((aligned(NLMSG_ALIGNTO)));
    size_t used;
    size_t count;
};

/* Shared by every socket of the process; each batch takes a fresh run of numbers. */
static uint32_t next_sequence = 1;

int cfz_netlink_open(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    int one = 1;
    /* Acknowledgements without a copy of the request: smaller, so a whole batch of them fits. */
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    int size = 1 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    /* The kernel answers at once; a missing answer must not hang interface setup. */
    struct timeval timeout = {.tv_sec = 5, .tv_usec = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

static struct nlmsghdr *begin(struct batch *batch, uint16_t type, uint16_t flags, size_t body) {
    struct nlmsghdr *header = (struct nlmsghdr *)(batch->buffer + batch->used);
    memset(header, 0, NLMSG_SPACE(body));
    header->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
    header->nlmsg_type = type;
    header->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    return header;
}

static void attribute(struct nlmsghdr *header, uint16_t type, const void *data, size_t length) {
    struct rtattr *attr = (struct rtattr *)((unsigned char *)header + NLMSG_ALIGN(header->nlmsg_len));
    attr->rta_type = type;
    attr->rta_len = (unsigned short)RTA_LENGTH(length);
    memcpy(RTA_DATA(attr), data, length);
    header->nlmsg_len = (uint32_t)(NLMSG_ALIGN(header->nlmsg_len) + RTA_ALIGN(attr->rta_len));
}

static void finish(struct batch *batch, struct nlmsghdr *header) {
    batch->used += NLMSG_ALIGN(header->nlmsg_len);
    batch->count += 1;
}

/* Sends the batch and reads one acknowledgement per message, storing each message's 0 or -errno in
 * errors[position] (when errors is not NULL). Returns 0 once every message is acknowledged, the first refusal's
 * -errno when errors is NULL, or -errno when the socket failed. */
static int transact(int fd, struct batch *batch, int32_t *errors) {
    if (batch->count == 0) return 0;
    uint32_t first = __atomic_fetch_add(&next_sequence, (uint32_t)batch->count, __ATOMIC_RELAXED);
    size_t offset = 0;
    for (size_t i = 0; i < batch->count; i++) {
        struct nlmsghdr *header = (struct nlmsghdr *)(batch->buffer + offset);
        header->nlmsg_seq = first + (uint32_t)i;
        offset += NLMSG_ALIGN(header->nlmsg_len);
    }
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do {
        sent = sendto(fd, batch->buffer, batch->used, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
    if ((size_t)sent != batch->used) return -EMSGSIZE;

    int result = 0;
    size_t acknowledged = 0;
    enum { REPLY_SIZE = 64 * 1024 };
    unsigned char *reply = malloc(REPLY_SIZE);
    if (reply == NULL) return -ENOMEM;
    while (acknowledged < batch->count) {
        ssize_t received = recv(fd, reply, REPLY_SIZE, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            result = -(errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno);
            break;
        }
        size_t remaining = (size_t)received;
        for (struct nlmsghdr *header = (struct nlmsghdr *)reply; NLMSG_OK(header, remaining);
             header = NLMSG_NEXT(header, remaining)) {
            if (header->nlmsg_type != NLMSG_ERROR) continue;
            uint32_t index = header->nlmsg_seq - first;
            if (index >= batch->count) continue;
            acknowledged += 1;
            const struct nlmsgerr *error = (const struct nlmsgerr *)NLMSG_DATA(header);
            if (errors != NULL) {
                errors[index] = error->error;
            } else if (error->error != 0 && result == 0) {
                result = error->error;
            }
        }
    }
    free(reply);
    batch->used = 0;
    batch->count = 0;
    return result;
}

/* Sends the one message `batch` holds and frees the batch. */
static int transact_single(int fd, struct batch *batch, struct nlmsghdr *header) {
    finish(batch, header);
    int result = transact(fd, batch, NULL);
    free(batch);
    return result;
}

static int family_of(const cfz_netlink_prefix *prefix) { return prefix->family == 6 ? AF_INET6 : AF_INET; }
static size_t length_of(const cfz_netlink_prefix *prefix) { return prefix->family == 6 ? 16 : 4; }

int cfz_netlink_routes(int fd, int operation, const cfz_netlink_prefix *routes, size_t count, int ifindex,
                       int32_t *errors) {
    struct batch *batch = calloc(1, sizeof *batch);
    if (batch == NULL) return -ENOMEM;
    int result = 0;
    size_t base = 0;
    for (size_t i = 0; i < count; i++) {
        const cfz_netlink_prefix *route = &routes[i];
        int delete = operation == CFZ_NETLINK_DELETE;
        struct nlmsghdr *header = begin(batch, delete ? RTM_DELROUTE : RTM_NEWROUTE,
                                        delete ? 0 : NLM_F_CREATE | NLM_F_REPLACE, sizeof(struct rtmsg));
        struct rtmsg *message = NLMSG_DATA(header);
        message->rtm_family = (unsigned char)family_of(route);
        message->rtm_dst_len = route->prefix_length;
        message->rtm_table = RT_TABLE_MAIN;
        /* As `ip route replace NET dev DEV` does: a directly connected route, installed at boot protocol. */
        message->rtm_protocol = delete ? 0 : RTPROT_BOOT;
        message->rtm_scope = delete ? RT_SCOPE_NOWHERE : RT_SCOPE_LINK;
        message->rtm_type = RTN_UNICAST;
        attribute(header, RTA_DST, route->address, length_of(route));
        uint32_t oif = (uint32_t)ifindex;
        attribute(header, RTA_OIF, &oif, sizeof oif);
        finish(batch, header);
        if (batch->count == BATCH || i + 1 == count) {
            result = transact(fd, batch, errors + base);
            if (result != 0) break;
            base = i + 1;
        }
    }
    free(batch);
    return result;
}

int cfz_netlink_address(int fd, int operation, const cfz_netlink_prefix *address, int ifindex, int no_dad) {
    struct batch *batch = calloc(1, sizeof *batch);
    if (batch == NULL) return -ENOMEM;
    int delete = operation == CFZ_NETLINK_DELETE;
    struct nlmsghdr *header = begin(batch, delete ? RTM_DELADDR : RTM_NEWADDR,
                                    delete ? 0 : NLM_F_CREATE | NLM_F_REPLACE, sizeof(struct ifaddrmsg));
    struct ifaddrmsg *message = NLMSG_DATA(header);
    message->ifa_family = (unsigned char)family_of(address);
    message->ifa_prefixlen = address->prefix_length;
    message->ifa_flags = (unsigned char)(no_dad && address->family == 6 ? IFA_F_NODAD : 0);
    message->ifa_scope = RT_SCOPE_UNIVERSE;
    message->ifa_index = (uint32_t)ifindex;
    attribute(header, IFA_LOCAL, address->address, length_of(address));
    attribute(header, IFA_ADDRESS, address->address, length_of(address));
    return transact_single(fd, batch, header);
}

int cfz_netlink_link(int fd, int ifindex, int mtu, int up) {
    struct batch *batch = calloc(1, sizeof *batch);
    if (batch == NULL) return -ENOMEM;
    struct nlmsghdr *header = begin(batch, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
    struct ifinfomsg *message = NLMSG_DATA(header);
    message->ifi_family = AF_UNSPEC;
    message->ifi_index = ifindex;
    message->ifi_flags = up ? IFF_UP : 0;
    message->ifi_change = IFF_UP;
    if (mtu > 0) {
        uint32_t value = (uint32_t)mtu;
        attribute(header, IFLA_MTU, &value, sizeof value);
    }
    return transact_single(fd, batch, header);
}

#endif /* __linux__ */
