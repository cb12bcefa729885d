// glibc's malloc_trim and mallopt, which Swift's Glibc module does not import (malloc.h).
#ifndef GRIDWATCH_CHEAP_H
#define GRIDWATCH_CHEAP_H

/// Hand the free pages of every malloc arena back to the kernel (glibc's malloc_trim(0));
/// 1 when some were released. Elsewhere than glibc, nothing (0).
int gw_heap_trim(void);

/// At most `arenas` malloc arenas from now on (glibc's M_ARENA_MAX; its default is eight a
/// core); 1 when set. Elsewhere than glibc, nothing (0).
int gw_heap_limit_arenas(int arenas);

#endif
