#ifndef CFZ_BUILD_INFO_H
#define CFZ_BUILD_INFO_H

/* The -target-cpu the packet path was compiled for (FZ_TARGET_CPU at build time), or "" for the baseline. */
const char *cfz_build_target_cpu(void);

#endif
