#include "CFZLoopSupport.h"

#ifdef __linux__
#include <sys/eventfd.h>

int cfz_eventfd_open(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}
#endif
