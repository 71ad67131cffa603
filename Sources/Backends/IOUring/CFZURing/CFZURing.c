/* Defined here only: in_pktinfo, in6_pktinfo and GNU strerror_r need it. */
#define _GNU_SOURCE 1

#ifdef __linux__

/* glibc's headers before liburing.h: otherwise a clean build fails on fd_set. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "CFZURing.h"

#include <liburing.h>


_Static_assert(CFZ_RECEIVE_NAME_SPACE >= sizeof(struct sockaddr_in6), "name room");

struct cfz_uring {
    struct io_uring ring;
};

/* liburing maps a ring's memory and unmaps it with raw syscalls, which ThreadSanitizer cannot see. When a new
   ring is mapped where a ring closed on another thread was, TSan still holds that ring's last accesses and
   takes the new ring's for a race with them. The kernel orders the unmap before any later map of the same
   memory; these annotations tell TSan exactly that: before a ring is unmapped it releases on every page of its
   three mappings, and a ring just mapped acquires on every page of its own (pages, not only each mapping's
   start, because a smaller ring can be mapped inside a larger one's old range). An edge thus exists only where
   memory is reused, so TSan still sees every other race around a ring's life. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
void __tsan_acquire(void *address);
void __tsan_release(void *address);
static void cfz_ring_pages(void *start, size_t length, int releasing) {
    for (size_t offset = 0; offset < length; offset += 4096) {
        if (releasing) {
            __tsan_release((char *)start + offset);
        } else {
            __tsan_acquire((char *)start + offset);
        }
    }
}
static void cfz_ring_sync(struct io_uring *ring, int releasing) {
    cfz_ring_pages(ring->sq.ring_ptr, ring->sq.ring_sz, releasing);
    if (ring->cq.ring_ptr != ring->sq.ring_ptr) {
        cfz_ring_pages(ring->cq.ring_ptr, ring->cq.ring_sz, releasing);
    }
    cfz_ring_pages(ring->sq.sqes, (size_t)ring->sq.ring_entries * sizeof(struct io_uring_sqe), releasing);
}
#define CFZ_RING_MAPPED(ring) cfz_ring_sync(ring, 0)
#define CFZ_RING_UNMAPPING(ring) cfz_ring_sync(ring, 1)
#endif
#endif
#ifndef CFZ_RING_MAPPED
#define CFZ_RING_MAPPED(ring) ((void)(ring))
#define CFZ_RING_UNMAPPING(ring) ((void)(ring))
#endif

struct cfz_buffer_ring {
    struct io_uring_buf_ring *ring;
    unsigned entries;
    uint16_t group;
};

cfz_uring *cfz_uring_create(unsigned entries, unsigned completion_entries, int *error) {
    cfz_uring *ring = calloc(1, sizeof(*ring));
    if (ring == NULL) {
        *error = ENOMEM;
        return NULL;
    }
    struct io_uring_params params;
    memset(&params, 0, sizeof(params));
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    params.cq_entries = completion_entries;
    int result = io_uring_queue_init_params(entries, &ring->ring, &params);
    if (result == -EINVAL) {
        memset(&params, 0, sizeof(params));
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = completion_entries;
        result = io_uring_queue_init_params(entries, &ring->ring, &params);
    }
    if (result < 0) {
        free(ring);
        *error = -result;
        return NULL;
    }
    CFZ_RING_MAPPED(&ring->ring);
    return ring;
}

void cfz_uring_destroy(cfz_uring *ring) {
    CFZ_RING_UNMAPPING(&ring->ring);
    io_uring_queue_exit(&ring->ring);
    free(ring);
}

unsigned cfz_uring_sq_space(cfz_uring *ring) { return io_uring_sq_space_left(&ring->ring); }

int cfz_uring_submit(cfz_uring *ring) { return io_uring_submit(&ring->ring); }

int cfz_uring_submit_and_wait(cfz_uring *ring, int64_t timeout_ns) {
    if (timeout_ns < 0) {
        return io_uring_submit_and_wait(&ring->ring, 1);
    }
    struct __kernel_timespec limit = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    struct io_uring_cqe *cqe = NULL;
    return io_uring_submit_and_wait_timeout(&ring->ring, &cqe, 1, &limit, NULL);
}

unsigned cfz_uring_reap(cfz_uring *ring, struct cfz_completion *out, unsigned capacity) {
    struct io_uring_cqe *cqes[64];
    unsigned total = 0;
    while (total < capacity) {
        unsigned want = capacity - total < 64 ? capacity - total : 64;
        unsigned count = io_uring_peek_batch_cqe(&ring->ring, cqes, want);
        if (count == 0) {
            break;
        }
        for (unsigned i = 0; i < count; i++) {
            out[total + i].user_data = cqes[i]->user_data;
            out[total + i].res = cqes[i]->res;
            out[total + i].flags = cqes[i]->flags;
        }
        /* io_uring_cq_advance reads the head with a plain load; a ring handed between threads (a test task
         * resumed elsewhere) then looks like a race to ThreadSanitizer. An acquire load costs nothing here. */
        unsigned *head = ring->ring.cq.khead;
        __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_ACQUIRE) + count, __ATOMIC_RELEASE);
        total += count;
    }
    return total;
}

uint32_t cfz_cqe_flag_buffer(void) { return IORING_CQE_F_BUFFER; }
uint32_t cfz_cqe_flag_more(void) { return IORING_CQE_F_MORE; }
uint32_t cfz_cqe_buffer_shift(void) { return IORING_CQE_BUFFER_SHIFT; }

int cfz_uring_prep_recvmsg_multishot(cfz_uring *ring, int fd, struct msghdr *message, uint16_t group,
                                     uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_recvmsg_multishot(sqe, fd, message, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_recvmsg(cfz_uring *ring, int fd, struct msghdr *message, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_recvmsg(sqe, fd, message, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_sendmsg(cfz_uring *ring, int fd, const struct msghdr *message, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_sendmsg(sqe, fd, message, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_send_to(cfz_uring *ring, int fd, const void *buffer, size_t length, const void *name,
                           socklen_t name_length, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_send(sqe, fd, buffer, length, 0);
    sqe->addr2 = (uint64_t)(uintptr_t)name;
    sqe->addr_len = (uint16_t)name_length;
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_read(cfz_uring *ring, int fd, void *buffer, unsigned length, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_read(sqe, fd, buffer, length, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_write(cfz_uring *ring, int fd, const void *buffer, unsigned length, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_write(sqe, fd, buffer, length, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_timeout_abs(cfz_uring *ring, void *kernel_timespec, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_timeout(sqe, (struct __kernel_timespec *)kernel_timespec, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_timeout_remove(cfz_uring *ring, uint64_t target, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_timeout_remove(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_cancel_fd(cfz_uring *ring, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int cfz_uring_prep_cancel(cfz_uring *ring, uint64_t target, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (sqe == NULL) {
        return -1;
    }
    io_uring_prep_cancel64(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

size_t cfz_kernel_timespec_size(void) { return sizeof(struct __kernel_timespec); }

void cfz_set_timespec(void *kernel_timespec, uint64_t nanoseconds) {
    struct __kernel_timespec *time = kernel_timespec;
    time->tv_sec = (long long)(nanoseconds / 1000000000ULL);
    time->tv_nsec = (long long)(nanoseconds % 1000000000ULL);
}

cfz_buffer_ring *cfz_buffer_ring_create(cfz_uring *ring, unsigned entries, uint16_t group, int *error) {
    cfz_buffer_ring *buffers = calloc(1, sizeof(*buffers));
    if (buffers == NULL) {
        *error = ENOMEM;
        return NULL;
    }
    void *memory = NULL;
    /* liburing 2.3 has no io_uring_setup_buf_ring: allocate, init and register by hand. */
    int result = posix_memalign(&memory, 4096, entries * sizeof(struct io_uring_buf));
    if (result != 0) {
        free(buffers);
        *error = result;
        return NULL;
    }
    memset(memory, 0, entries * sizeof(struct io_uring_buf));
    buffers->ring = memory;
    io_uring_buf_ring_init(buffers->ring);
    struct io_uring_buf_reg registration;
    memset(&registration, 0, sizeof(registration));
    registration.ring_addr = (unsigned long)memory;
    registration.ring_entries = entries;
    registration.bgid = group;
    result = io_uring_register_buf_ring(&ring->ring, &registration, 0);
    if (result < 0) {
        free(memory);
        free(buffers);
        *error = -result;
        return NULL;
    }
    buffers->entries = entries;
    buffers->group = group;
    return buffers;
}

void cfz_buffer_ring_add(cfz_buffer_ring *buffers, void *address, unsigned length, uint16_t id, int offset) {
    io_uring_buf_ring_add(buffers->ring, address, length, id, io_uring_buf_ring_mask(buffers->entries), offset);
}

void cfz_buffer_ring_advance(cfz_buffer_ring *buffers, int count) { io_uring_buf_ring_advance(buffers->ring, count); }

void cfz_buffer_ring_destroy(cfz_uring *ring, cfz_buffer_ring *buffers) {
    io_uring_unregister_buf_ring(&ring->ring, buffers->group);
    free(buffers->ring);
    free(buffers);
}

static void read_sockaddr(const void *name, socklen_t length, struct cfz_datagram_info *info) {
    sa_family_t family;
    if (length < sizeof(family)) {
        return;
    }
    memcpy(&family, name, sizeof(family));
    if (family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in address;
        memcpy(&address, name, sizeof(address));
        info->source_family = AF_INET;
        memcpy(info->source, &address.sin_addr, 4);
        info->source_port = ntohs(address.sin_port);
    } else if (family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 address;
        memcpy(&address, name, sizeof(address));
        info->source_family = AF_INET6;
        memcpy(info->source, &address.sin6_addr, 16);
        info->source_port = ntohs(address.sin6_port);
    }
}

long cfz_parse_multishot(void *buffer, int length, struct msghdr *message, struct cfz_datagram_info *info,
                         long *payload_length) {
    memset(info, 0, sizeof(*info));
    struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buffer, length, message);
    if (out == NULL) {
        return -1;
    }
    read_sockaddr(io_uring_recvmsg_name(out), out->namelen < (unsigned)message->msg_namelen
                  ? out->namelen : (unsigned)message->msg_namelen, info);
    /* A msghdr view of the control room, for the CMSG_* walk (the header in the buffer is not 8-aligned
       for CMSG_NXTHDR arithmetic otherwise; the room starts right after the reserved name). */
    struct msghdr view;
    memset(&view, 0, sizeof(view));
    view.msg_control = (char *)buffer + sizeof(struct io_uring_recvmsg_out) + message->msg_namelen;
    view.msg_controllen = out->controllen;
    cfz_parse_receive_control(&view, &info->control);
    info->truncated = (out->flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    void *payload = io_uring_recvmsg_payload(out, message);
    *payload_length = (long)io_uring_recvmsg_payload_length(out, length, message);
    return (long)((char *)payload - (char *)buffer);
}

void cfz_parse_message(struct msghdr *message, struct cfz_datagram_info *info) {
    memset(info, 0, sizeof(*info));
    read_sockaddr(message->msg_name, message->msg_namelen, info);
    cfz_parse_receive_control(message, &info->control);
    info->truncated = (message->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
}

void cfz_prepare_receive(struct msghdr *message, struct iovec *iov, void *buffer, size_t length, void *name,
                         void *control, size_t control_space) {
    iov->iov_base = buffer;
    iov->iov_len = length;
    memset(message, 0, sizeof(*message));
    message->msg_name = name;
    message->msg_namelen = sizeof(struct sockaddr_storage);
    message->msg_iov = iov;
    message->msg_iovlen = 1;
    message->msg_control = control;
    message->msg_controllen = control_space;
}

void cfz_prepare_multishot(struct msghdr *message) {
    memset(message, 0, sizeof(*message));
    message->msg_namelen = CFZ_RECEIVE_NAME_SPACE;
    message->msg_controllen = cfz_receive_control_space();
}

int cfz_build_sockaddr(void *name, int family, const uint8_t *address, uint16_t port) {
    if (family == AF_INET) {
        struct sockaddr_in to;
        memset(&to, 0, sizeof(to));
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        memcpy(&to.sin_addr, address, 4);
        memcpy(name, &to, sizeof(to));
        return (int)sizeof(to);
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 to;
        memset(&to, 0, sizeof(to));
        to.sin6_family = AF_INET6;
        to.sin6_port = htons(port);
        memcpy(&to.sin6_addr, address, 16);
        memcpy(name, &to, sizeof(to));
        return (int)sizeof(to);
    }
    return -1;
}

int cfz_prepare_send(struct msghdr *message, struct iovec *iov, void *buffer, size_t length, void *name,
                     void *control, int family, const uint8_t *address, uint16_t port, const uint8_t *source,
                     unsigned int interface_index, uint16_t segment_size) {
    memset(message, 0, sizeof(*message));
    iov->iov_base = buffer;
    iov->iov_len = length;
    message->msg_iov = iov;
    message->msg_iovlen = 1;
    message->msg_name = name;
    int name_length = cfz_build_sockaddr(name, family, address, port);
    if (name_length < 0) {
        return -1;
    }
    message->msg_namelen = (socklen_t)name_length;
    long control_length = cfz_build_send_control(control, cfz_send_control_space(), family, source,
                                                 interface_index, segment_size);
    if (control_length < 0) {
        return -1;
    }
    if (control_length > 0) {
        message->msg_control = control;
        message->msg_controllen = (size_t)control_length;
    }
    return 0;
}

static int set_int_option(int fd, int level, int option, int value) {
    return setsockopt(fd, level, option, &value, sizeof(value));
}

int cfz_udp_open(int family, const uint8_t *address, uint16_t port, int receive_bytes, int send_bytes, int gro,
                 int reuse_port, uint16_t *bound_port, const char **failed_call) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) {
        *failed_call = family == AF_INET ? "socket(AF_INET, SOCK_DGRAM)" : "socket(AF_INET6, SOCK_DGRAM)";
        return -1;
    }
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof(storage));
    socklen_t length = (socklen_t)cfz_build_sockaddr(&storage, family, address, port);
    if (family == AF_INET6) {
        if (set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0) {
            *failed_call = "setsockopt(IPV6_V6ONLY)";
            goto fail;
        }
        if (set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) {
            *failed_call = "setsockopt(IPV6_RECVPKTINFO)";
            goto fail;
        }
    } else {
        if (set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) {
            *failed_call = "setsockopt(IP_PKTINFO)";
            goto fail;
        }
    }
    if (receive_bytes > 0 && set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, receive_bytes) < 0
        && set_int_option(fd, SOL_SOCKET, SO_RCVBUF, receive_bytes) < 0) {
        *failed_call = "setsockopt(SO_RCVBUF)";
        goto fail;
    }
    if (send_bytes > 0 && set_int_option(fd, SOL_SOCKET, SO_SNDBUFFORCE, send_bytes) < 0
        && set_int_option(fd, SOL_SOCKET, SO_SNDBUF, send_bytes) < 0) {
        *failed_call = "setsockopt(SO_SNDBUF)";
        goto fail;
    }
    if (reuse_port && set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0) {
        *failed_call = "setsockopt(SO_REUSEPORT)";
        goto fail;
    }
    if (gro && set_int_option(fd, CFZ_SOL_UDP, CFZ_UDP_GRO, 1) < 0) {
        *failed_call = "setsockopt(UDP_GRO)";
        goto fail;
    }
    if (bind(fd, (struct sockaddr *)&storage, length) < 0) {
        *failed_call = "bind";
        goto fail;
    }
    length = sizeof(storage);
    if (getsockname(fd, (struct sockaddr *)&storage, &length) < 0) {
        *failed_call = "getsockname";
        goto fail;
    }
    *bound_port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&storage)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&storage)->sin_port);
    return fd;
fail: {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
}

int cfz_udp_offload_support(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) {
        return 0;
    }
    int result = 0;
    if (set_int_option(fd, CFZ_SOL_UDP, CFZ_UDP_SEGMENT, 1400) == 0) {
        result |= 1;
    }
    if (set_int_option(fd, CFZ_SOL_UDP, CFZ_UDP_GRO, 1) == 0) {
        result |= 2;
    }
    close(fd);
    return result;
}

int cfz_uring_tun_open(const char *name, int offload, int multi_queue, char *actual_name, int *offload_in_effect,
                       int *uso, const char **failed_call) {
    *offload_in_effect = 0;
    *uso = 0;
    int fd = cfz_tun_open_queue(name, offload, multi_queue, actual_name, failed_call);
    if (fd < 0 || !offload) {
        return fd;
    }
    if (cfz_tun_set_virtio_header_size(fd, 10) < 0) {
        *failed_call = "ioctl(TUNSETVNETHDRSZ)";
        goto fail;
    }
    unsigned int base = CFZ_TUN_F_CSUM | CFZ_TUN_F_TSO4 | CFZ_TUN_F_TSO6;
    if (cfz_tun_set_offload(fd, base | CFZ_TUN_F_USO4 | CFZ_TUN_F_USO6) == 0) {
        *uso = 1;
    } else if (cfz_tun_set_offload(fd, base) < 0) {
        *failed_call = "ioctl(TUNSETOFFLOAD)";
        goto fail;
    }
    *offload_in_effect = 1;
    return fd;
fail: {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
}

void cfz_uring_probe(struct cfz_uring_probe_result *out) {
    memset(out, 0, sizeof(*out));
    struct io_uring ring;
    int result = io_uring_queue_init(8, &ring, 0);
    if (result < 0) {
        out->setup_error = -result;
        return;
    }
    CFZ_RING_MAPPED(&ring);
    struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
    if (probe != NULL) {
        out->probe_available = 1;
        out->recvmsg = io_uring_opcode_supported(probe, IORING_OP_RECVMSG);
        out->sendmsg = io_uring_opcode_supported(probe, IORING_OP_SENDMSG);
        out->read = io_uring_opcode_supported(probe, IORING_OP_READ);
        out->write = io_uring_opcode_supported(probe, IORING_OP_WRITE);
        out->timeout = io_uring_opcode_supported(probe, IORING_OP_TIMEOUT);
        out->timeout_remove = io_uring_opcode_supported(probe, IORING_OP_TIMEOUT_REMOVE);
        out->async_cancel = io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
        io_uring_free_probe(probe);
    }
    int error = 0;
    cfz_buffer_ring *buffers = cfz_buffer_ring_create((cfz_uring *)&ring, 8, 7, &error);
    out->buffer_ring_error = buffers == NULL ? error : 0;
    if (buffers != NULL && out->recvmsg) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd >= 0) {
            struct msghdr message;
            cfz_prepare_multishot(&message);
            static char buffer[512];
            cfz_buffer_ring_add(buffers, buffer, sizeof(buffer), 0, 0);
            cfz_buffer_ring_advance(buffers, 1);
            if (cfz_uring_prep_recvmsg_multishot((cfz_uring *)&ring, fd, &message, 7, 1) == 0) {
                cfz_uring_prep_cancel_fd((cfz_uring *)&ring, fd, 2);
                io_uring_submit(&ring);
                /* Both requests end: the receive with -ECANCELED (it was armed: multishot works), or -EINVAL
                   on a kernel without multishot recvmsg. */
                int armed = 0, seen = 0;
                while (seen < 2) {
                    struct io_uring_cqe *cqe = NULL;
                    struct __kernel_timespec limit = {.tv_sec = 1, .tv_nsec = 0};
                    if (io_uring_wait_cqe_timeout(&ring, &cqe, &limit) < 0) {
                        break;
                    }
                    if (cqe->user_data == 1) {
                        armed = cqe->res == -ECANCELED || cqe->res == -ENOBUFS;
                    }
                    io_uring_cqe_seen(&ring, cqe);
                    seen++;
                }
                out->multishot_recvmsg = armed;
            }
            close(fd);
        }
    }
    if (buffers != NULL) {
        cfz_buffer_ring_destroy((cfz_uring *)&ring, buffers);
    }
    CFZ_RING_UNMAPPING(&ring);
    io_uring_queue_exit(&ring);
}

const char *cfz_uring_strerror(int error_number, char *buffer, size_t capacity) {
    return strerror_r(error_number, buffer, capacity);
}

#endif /* __linux__ */
