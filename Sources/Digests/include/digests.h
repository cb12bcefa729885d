#ifndef GRIDWATCH_DIGESTS_H
#define GRIDWATCH_DIGESTS_H

#include <stddef.h>
#include <stdint.h>

/// A running SHA-256 (FIPS 180-4): state, the partial block and the length so far.
typedef struct {
    uint32_t h[8];
    uint8_t block[64];
    size_t used;
    uint64_t total;
} gw_sha256_ctx;

void gw_sha256_init(gw_sha256_ctx *c);
void gw_sha256_update(gw_sha256_ctx *c, const uint8_t *p, size_t n);
void gw_sha256_final(gw_sha256_ctx *c, uint8_t out[32]);

/// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256 as the pseudorandom function: `out_len` bytes of
/// key derived from `password` and `salt` with `iterations` rounds. Written from FIPS 180-4
/// and RFC 2104; compiled with optimisation even in debug builds (a login must not take
/// seconds in the tests), so the console can afford a high count.
void gw_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len,
                           const uint8_t *salt, size_t salt_len,
                           uint32_t iterations, uint8_t *out, size_t out_len);

#endif
