#ifndef CFZ_NETLINK_H
#define CFZ_NETLINK_H

#include <stddef.h>
#include <stdint.h>

/* rtnetlink requests for a TUN device's host side: addresses, MTU, link state and routes.
 * Each call sends its messages in batches and waits for the kernel's acknowledgement of every one; the
 * socket belongs to one thread at a time. Functions return 0, or a negative errno. */

/* An address or a network: family 4 or 6, the prefix length, and the address in network order
 * (the first 4 bytes for IPv4). */
typedef struct cfz_netlink_prefix {
    uint8_t family;
    uint8_t prefix_length;
    uint8_t address[16];
} cfz_netlink_prefix;

enum {
    /* Add, or replace what is there (`ip route replace`, `ip address replace`). */
    CFZ_NETLINK_REPLACE = 0,
    /* Remove. */
    CFZ_NETLINK_DELETE = 1,
};

/* A NETLINK_ROUTE socket (close it with close(2)), or -errno. */
int cfz_netlink_open(void);

/* Replaces or deletes `count` routes through interface `ifindex` in the main table. The kernel handles each
 * on its own: errors[i] is set to 0 or the -errno it refused route i with. Returns 0, or -errno when the
 * socket itself failed (then the routes from the failed batch on were not all answered). */
int cfz_netlink_routes(int fd, int operation, const cfz_netlink_prefix *routes, size_t count, int ifindex,
                       int32_t *errors);

/* Replaces or deletes one address of interface `ifindex`; `no_dad` skips IPv6 duplicate address detection. */
int cfz_netlink_address(int fd, int operation, const cfz_netlink_prefix *address, int ifindex, int no_dad);

/* Sets the MTU (when mtu > 0) and brings the link up (up != 0) or down. */
int cfz_netlink_link(int fd, int ifindex, int mtu, int up);

#endif
