#ifndef CFZSODIUM_SHIM_H
#define CFZSODIUM_SHIM_H
#include <sodium.h>
#endif
