#include <stdlib.h>
#include "gw_heap.h"

#if defined(__GLIBC__)
#include <malloc.h>

int gw_heap_trim(void) { return malloc_trim(0); }
#else
int gw_heap_trim(void) { return 0; }
#endif
