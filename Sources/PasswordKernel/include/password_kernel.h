#ifndef GRIDWATCH_PASSWORD_KERNEL_H
#define GRIDWATCH_PASSWORD_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256 as the pseudorandom function: `out_len` bytes of
/// key derived from `password` and `salt` with `iterations` rounds. Written from FIPS 180-4
/// and RFC 2104; compiled with optimisation even in debug builds (a login must not take
/// seconds in the tests), so the console can afford a high count.
void gw_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len,
                           const uint8_t *salt, size_t salt_len,
                           uint32_t iterations, uint8_t *out, size_t out_len);

#endif
