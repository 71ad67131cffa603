#ifndef CFZTUNDEVICE_H
#define CFZTUNDEVICE_H

/*
 * Opening a TUN device and setting its virtio-net header and offloads: the ioctls and `struct ifreq` both
 * packet I/O backends need, in one place.
 */

#ifdef __linux__
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

/// `cfz_tun_open_flags`, adding `IFF_MULTI_QUEUE` when `multi_queue` is not 0: each call opens one more queue
/// of the same interface (every queue must be opened with the same flags), and the kernel spreads the
/// packets it sends to the interface over the queues by flow.
int cfz_tun_open_queue(const char *name, int virtio_header, int multi_queue, char *actual_name,
                       const char **failed_call);

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
#endif

#endif
