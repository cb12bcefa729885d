#include <stdlib.h>
#include "gw_heap.h"

#if defined(__GLIBC__)
#include <malloc.h>

int gw_heap_trim(void) { return malloc_trim(0); }
int gw_heap_limit_arenas(int arenas) { return mallopt(M_ARENA_MAX, arenas); }
#else
int gw_heap_trim(void) { return 0; }
int gw_heap_limit_arenas(int arenas) { (void)arenas; return 0; }
#endif
