// SHA-256 (webhook signatures, session tokens) and PBKDF2-HMAC-SHA256 (the console's
// password hashes, Docs/design/console.md). The compression follows FIPS 180-4 §6.2;
// HMAC keeps the inner and outer states after the padded key (RFC 2104), so each PBKDF2
// round costs two compressions.
#define _DEFAULT_SOURCE
#include "digests.h"
#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t h[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

typedef gw_sha256_ctx sha256_ctx;

void gw_sha256_init(gw_sha256_ctx *c) {
    memcpy(c->h, H0, sizeof H0);
    c->used = 0;
    c->total = 0;
}

void gw_sha256_update(gw_sha256_ctx *c, const uint8_t *p, size_t n) {
    c->total += n;
    while (n > 0) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        n -= take;
        if (c->used == 64) {
            compress(c->h, c->block);
            c->used = 0;
        }
    }
}

void gw_sha256_final(gw_sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80;
    gw_sha256_update(c, &pad, 1);
    uint8_t zero = 0;
    while (c->used != 56) gw_sha256_update(c, &zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    gw_sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

/// The digest of 32 bytes continued from a state that has absorbed exactly one block (the
/// padded HMAC key): one compression, its padding precomputed.
static void sha_after_block(const uint32_t start[8], const uint8_t msg[32], uint8_t out[32]) {
    uint8_t block[64];
    memcpy(block, msg, 32);
    block[32] = 0x80;
    memset(block + 33, 0, 64 - 33 - 2);
    // (64 + 32) bytes = 768 bits.
    block[62] = 0x03;
    block[63] = 0x00;
    uint32_t h[8];
    memcpy(h, start, sizeof h);
    compress(h, block);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void gw_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len,
                           const uint8_t *salt, size_t salt_len,
                           uint32_t iterations, uint8_t *out, size_t out_len) {
    uint8_t key[64] = {0};
    if (password_len > 64) {
        sha256_ctx c;
        gw_sha256_init(&c);
        gw_sha256_update(&c, password, password_len);
        gw_sha256_final(&c, key);
    } else if (password_len > 0) {
        memcpy(key, password, password_len);
    }
    uint8_t ipad[64], opad[64];
    for (int i = 0; i < 64; i++) {
        ipad[i] = key[i] ^ 0x36;
        opad[i] = key[i] ^ 0x5c;
    }
    // The states after the padded key, reused by every round.
    sha256_ctx inner0, outer0;
    gw_sha256_init(&inner0);
    gw_sha256_update(&inner0, ipad, 64);
    gw_sha256_init(&outer0);
    gw_sha256_update(&outer0, opad, 64);

    for (uint32_t block = 1; out_len > 0; block++) {
        uint8_t u[32], t[32], digest[32];
        uint8_t index[4] = {(uint8_t)(block >> 24), (uint8_t)(block >> 16), (uint8_t)(block >> 8), (uint8_t)block};
        // U1 = HMAC(P, S || INT(i)).
        sha256_ctx c = inner0;
        gw_sha256_update(&c, salt, salt_len);
        gw_sha256_update(&c, index, 4);
        gw_sha256_final(&c, digest);
        sha_after_block(outer0.h, digest, u);
        memcpy(t, u, 32);
        for (uint32_t r = 1; r < iterations; r++) {
            sha_after_block(inner0.h, u, digest);
            sha_after_block(outer0.h, digest, u);
            for (int i = 0; i < 32; i++) t[i] ^= u[i];
        }
        size_t take = out_len < 32 ? out_len : 32;
        memcpy(out, t, take);
        out += take;
        out_len -= take;
    }
    explicit_bzero(key, sizeof key);
    explicit_bzero(ipad, sizeof ipad);
    explicit_bzero(opad, sizeof opad);
}
