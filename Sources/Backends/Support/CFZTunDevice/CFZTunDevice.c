#include "CFZTunDevice.h"

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

_Static_assert(CFZ_INTERFACE_NAME_SIZE == IFNAMSIZ, "IFNAMSIZ");

int cfz_tun_open(const char *name, char *actual_name, const char **failed_call) {
    return cfz_tun_open_flags(name, 0, actual_name, failed_call);
}

int cfz_tun_open_flags(const char *name, int virtio_header, char *actual_name, const char **failed_call) {
    return cfz_tun_open_queue(name, virtio_header, 0, actual_name, failed_call);
}

int cfz_tun_open_queue(const char *name, int virtio_header, int multi_queue, char *actual_name,
                       const char **failed_call) {
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
    if (multi_queue) {
        request.ifr_flags |= IFF_MULTI_QUEUE;
    }
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
#endif
