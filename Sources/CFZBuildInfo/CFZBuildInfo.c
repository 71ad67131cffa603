#include "CFZBuildInfo.h"

#ifndef CFZ_TARGET_CPU
#define CFZ_TARGET_CPU ""
#endif

const char *cfz_build_target_cpu(void) { return CFZ_TARGET_CPU; }
