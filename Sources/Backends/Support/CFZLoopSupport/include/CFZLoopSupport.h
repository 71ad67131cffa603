#ifndef CFZLOOPSUPPORT_H
#define CFZLOOPSUPPORT_H

/*
 * What Swift's Glibc module does not export for the backends' shared loop support: eventfd(2).
 */

#ifdef __linux__
#include <sys/types.h>

/// A non-blocking, close-on-exec eventfd with a zero count. Returns the descriptor, or -1 with `errno` set.
int cfz_eventfd_open(void);
#endif

#endif
