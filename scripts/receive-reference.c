// Plain-C reference for `fzctl bench io`'s receive rows without offloads: what one thread's CPU pays per UDP
// datagram received on loopback through recvmmsg (after epoll_wait) and through io_uring's multishot recvmsg with
// a provided-buffer ring, with no Swift, no packet pool and no engine in the way. Both receivers ask for what the
// backends ask for (the sender's address and IP_PKTINFO); a generator thread sends GSO trains, which the kernel
// splits, so each receiver sees single datagrams. Rounds alternate the receivers; the medians and their ratio are
// printed. Build and run through scripts/receive-reference.
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum { batch = 64, slot = 2048, nameSpace = 32, controlSpace = 64, maxRounds = 50 };

static int payloadBytes;
static uint16_t port;
static atomic_int stopping;
static double seconds;

static double clockSeconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "FAIL: %s: %s\n", what, strerror(errno));
    exit(1);
}

// Sends trains of up to 64 datagrams as one GSO send until told to stop.
static void *generate(void *unused) {
    (void)unused;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) fail("generator socket");
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) fail("generator connect");
    int segment = payloadBytes;
    if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment) != 0) fail("UDP_SEGMENT");
    static char train[65536];
    int count = 65000 / payloadBytes;
    if (count > 64) count = 64;
    while (!atomic_load(&stopping)) {
        if (send(fd, train, (size_t)(count * payloadBytes), 0) < 0 && errno != ENOBUFS && errno != EAGAIN
            && errno != ECONNREFUSED) fail("generator send");
    }
    close(fd);
    return NULL;
}

// Whether `message` carries an IP_PKTINFO control message (read so the receiver does what a backend does).
static int hasPacketInfo(struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) return 1;
    }
    return 0;
}

// epoll_wait, then recvmmsg of 64 until the socket is empty; returns datagrams, sets the thread's CPU seconds.
static long receiveWithRecvmmsg(int fd, double *cpu) {
    int ep = epoll_create1(0);
    struct epoll_event interest = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &interest) != 0) fail("epoll");
    static char buffers[batch][slot], names[batch][nameSpace], controls[batch][controlSpace];
    struct mmsghdr messages[batch];
    struct iovec vectors[batch];
    long received = 0, withInfo = 0;
    double wallStart = clockSeconds(CLOCK_MONOTONIC), cpuStart = clockSeconds(CLOCK_THREAD_CPUTIME_ID);
    while (clockSeconds(CLOCK_MONOTONIC) - wallStart < seconds) {
        struct epoll_event event;
        if (epoll_wait(ep, &event, 1, 100) < 0 && errno != EINTR) fail("epoll_wait");
        for (int turn = 0; turn < 64; turn++) {
            for (int i = 0; i < batch; i++) {
                vectors[i] = (struct iovec){.iov_base = buffers[i] + 32, .iov_len = slot - 64};
                messages[i].msg_hdr = (struct msghdr){
                    .msg_name = names[i], .msg_namelen = nameSpace, .msg_iov = &vectors[i], .msg_iovlen = 1,
                    .msg_control = controls[i], .msg_controllen = controlSpace};
            }
            int count = recvmmsg(fd, messages, batch, MSG_DONTWAIT, NULL);
            if (count <= 0) break;
            for (int i = 0; i < count; i++) {
                withInfo += hasPacketInfo(&messages[i].msg_hdr);
            }
            received += count;
        }
    }
    *cpu = clockSeconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    close(ep);
    if (withInfo != received) { fprintf(stderr, "FAIL: recvmmsg: datagrams without IP_PKTINFO\n"); exit(1); }
    return received;
}

// One multishot recvmsg on a 256-buffer ring (re-armed when the ring runs dry), the ring refilled after each batch
// of completions; the ring set up as the io-uring backend sets up its own (COOP_TASKRUN, TASKRUN_FLAG).
static long receiveWithIOUring(int fd, double *cpu) {
    enum { entries = 256 };
    struct io_uring ring;
    struct io_uring_params parameters = {0};
    parameters.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    parameters.cq_entries = 4096;
    int error = io_uring_queue_init_params(256, &ring, &parameters);
    if (error != 0) { errno = -error; fail("io_uring_queue_init_params"); }
    struct io_uring_buf_ring *bufferRing;
    char *pool;
    if (posix_memalign((void **)&bufferRing, 4096, entries * sizeof(struct io_uring_buf)) != 0
        || posix_memalign((void **)&pool, 4096, (size_t)entries * slot) != 0) fail("posix_memalign");
    io_uring_buf_ring_init(bufferRing);
    struct io_uring_buf_reg registration = {.ring_addr = (unsigned long)bufferRing, .ring_entries = entries};
    error = io_uring_register_buf_ring(&ring, &registration, 0);
    if (error != 0) { errno = -error; fail("io_uring_register_buf_ring"); }
    int mask = io_uring_buf_ring_mask(entries);
    for (int i = 0; i < entries; i++) io_uring_buf_ring_add(bufferRing, pool + i * slot, slot, i, mask, i);
    io_uring_buf_ring_advance(bufferRing, entries);
    struct msghdr shape = {.msg_namelen = nameSpace, .msg_controllen = controlSpace};
    long received = 0, withInfo = 0;
    int armed = 0;
    double wallStart = clockSeconds(CLOCK_MONOTONIC), cpuStart = clockSeconds(CLOCK_THREAD_CPUTIME_ID);
    while (clockSeconds(CLOCK_MONOTONIC) - wallStart < seconds) {
        if (!armed) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            io_uring_prep_recvmsg_multishot(sqe, fd, &shape, 0);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = 0;
            armed = 1;
        }
        struct __kernel_timespec wait = {.tv_nsec = 100000000};
        struct io_uring_cqe *first;
        error = io_uring_submit_and_wait_timeout(&ring, &first, 1, &wait, NULL);
        if (error < 0 && error != -ETIME && error != -EINTR) { errno = -error; fail("io_uring_submit_and_wait"); }
        struct io_uring_cqe *completions[256];
        unsigned count;
        int added = 0;
        while ((count = io_uring_peek_batch_cqe(&ring, completions, 256)) > 0) {
            for (unsigned i = 0; i < count; i++) {
                struct io_uring_cqe *cqe = completions[i];
                if (cqe->flags & IORING_CQE_F_BUFFER) {
                    int id = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                    if (cqe->res > 0) {
                        struct io_uring_recvmsg_out *out =
                            io_uring_recvmsg_validate(pool + id * slot, cqe->res, &shape);
                        if (out) {
                            received += 1;
                            for (struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(out, &shape); c;
                                 c = io_uring_recvmsg_cmsg_nexthdr(out, &shape, c)) {
                                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) { withInfo++; break; }
                            }
                        }
                    }
                    io_uring_buf_ring_add(bufferRing, pool + id * slot, slot, id, mask, added++);
                } else if (cqe->res < 0 && cqe->res != -ENOBUFS) {
                    errno = -cqe->res;
                    fail("multishot recvmsg");
                }
                if (!(cqe->flags & IORING_CQE_F_MORE)) armed = 0;
            }
            io_uring_cq_advance(&ring, count);
        }
        if (added > 0) io_uring_buf_ring_advance(bufferRing, added);
    }
    *cpu = clockSeconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    io_uring_queue_exit(&ring);
    free(pool);
    free(bufferRing);
    if (withInfo != received) { fprintf(stderr, "FAIL: io_uring: datagrams without IP_PKTINFO\n"); exit(1); }
    return received;
}

// One measurement: a fresh socket and generator, a short warm-up, then `seconds` of receiving.
static double measure(int useIOUring, double *mpps) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1, bufferBytes = 8 << 20;
    if (fd < 0) fail("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufferBytes, sizeof bufferBytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) fail("IP_PKTINFO");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0
        || getsockname(fd, (struct sockaddr *)&address, &length) != 0) fail("bind");
    port = ntohs(address.sin_port);
    atomic_store(&stopping, 0);
    pthread_t generator;
    if (pthread_create(&generator, NULL, generate, NULL) != 0) fail("pthread_create");
    usleep(200000);
    double cpu, wallStart = clockSeconds(CLOCK_MONOTONIC);
    long received = useIOUring ? receiveWithIOUring(fd, &cpu) : receiveWithRecvmmsg(fd, &cpu);
    double wall = clockSeconds(CLOCK_MONOTONIC) - wallStart;
    atomic_store(&stopping, 1);
    pthread_join(generator, NULL);
    close(fd);
    if (received < 1000) { fprintf(stderr, "FAIL: only %ld datagrams arrived\n", received); exit(1); }
    *mpps = (double)received / wall / 1e6;
    return cpu / (double)received * 1e6;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: receive-reference BYTES ROUNDS SECONDS\n");
        return 2;
    }
    payloadBytes = atoi(argv[1]);
    int rounds = atoi(argv[2]);
    seconds = atof(argv[3]);
    if (payloadBytes < 16 || payloadBytes > 1472 || rounds < 1 || rounds > maxRounds || seconds < 0.1
        || seconds > 60) {
        fprintf(stderr, "FAIL: BYTES must be 16...1472, ROUNDS 1...%d, SECONDS 0.1...60\n", maxRounds);
        return 2;
    }
    double cost[2][maxRounds], rate[2][maxRounds];
    for (int round = 0; round < rounds; round++) {
        for (int which = 0; which < 2; which++) {
            int useIOUring = (round + which) % 2; // alternate which receiver goes first
            cost[useIOUring][round] = measure(useIOUring, &rate[useIOUring][round]);
        }
    }
    double low[2], high[2], cpu[2], mpps[2];
    for (int which = 0; which < 2; which++) {
        mpps[which] = median(rate[which], rounds);
        cpu[which] = median(cost[which], rounds); // sorts, so the ends are the range
        low[which] = cost[which][0];
        high[which] = cost[which][rounds - 1];
    }
    printf("%5d bytes, %d rounds of %.1f s: recvmmsg %.3f us/datagram (%.3f-%.3f, %.2f Mpps); "
           "io_uring multishot recvmsg %.3f (%.3f-%.3f, %.2f Mpps); io_uring/recvmmsg %.2f\n",
           payloadBytes, rounds, seconds, cpu[0], low[0], high[0], mpps[0], cpu[1], low[1], high[1], mpps[1],
           cpu[1] / cpu[0]);
    return 0;
}
