// Baseline JPEG (ITU-T T.81, JFIF) of an 8-bit full-range YCbCr 4:2:0 picture: the evidence
// snapshots' encoder. Written from the standard: the quantisation and Huffman tables are the
// example tables of its Annex K, scaled by a percentage as most encoders do.
#include "pixel_kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t zigzag[64] = {
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

// Annex K.1, in natural (row by row) order.
static const uint8_t luma_quant[64] = {
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
};
static const uint8_t chroma_quant[64] = {
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
};

// Annex K.3: code counts per length 1..16, then the symbols in code order.
static const uint8_t dc_luma_bits[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t dc_chroma_bits[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const uint8_t dc_values[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t ac_luma_bits[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t ac_luma_values[162] = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
};
static const uint8_t ac_chroma_bits[16] = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
static const uint8_t ac_chroma_values[162] = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
    0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
};

/// A Huffman table as the encoder uses it: code and length by symbol (length 0: no code).
typedef struct {
    uint16_t code[256];
    uint8_t length[256];
} huffman;

/// Annex C: codes of each length in symbol order, each one more than the last, doubled at
/// each new length.
static void build_huffman(huffman *h, const uint8_t bits[16], const uint8_t *values) {
    memset(h, 0, sizeof *h);
    unsigned code = 0, k = 0;
    for (int len = 1; len <= 16; len++) {
        for (int i = 0; i < bits[len - 1]; i++, k++) {
            h->code[values[k]] = (uint16_t)code++;
            h->length[values[k]] = (uint8_t)len;
        }
        code <<= 1;
    }
}

int gw_jpeg_tables_complete(void) {
    huffman h[4];
    build_huffman(&h[0], dc_luma_bits, dc_values);
    build_huffman(&h[1], dc_chroma_bits, dc_values);
    build_huffman(&h[2], ac_luma_bits, ac_luma_values);
    build_huffman(&h[3], ac_chroma_bits, ac_chroma_values);
    for (int t = 0; t < 2; t++)
        for (int s = 0; s <= 11; s++)
            if (h[t].length[s] == 0) return 0;
    for (int t = 2; t < 4; t++) {
        if (h[t].length[0x00] == 0 || h[t].length[0xf0] == 0) return 0;
        for (int run = 0; run < 16; run++)
            for (int size = 1; size <= 10; size++)
                if (h[t].length[run << 4 | size] == 0) return 0;
    }
    return 1;
}

typedef struct {
    uint8_t *data;
    size_t size, capacity;
    uint64_t bits;  // pending bits, the oldest highest
    int count;      // how many of them
    int failed;
} writer;

static void reserve(writer *w, size_t more) {
    if (w->failed || w->size + more <= w->capacity) return;
    size_t capacity = w->capacity * 2;
    while (capacity < w->size + more) capacity *= 2;
    uint8_t *grown = realloc(w->data, capacity);
    if (!grown) { w->failed = 1; return; }
    w->data = grown;
    w->capacity = capacity;
}

static void put_bytes(writer *w, const void *bytes, size_t n) {
    reserve(w, n);
    if (w->failed) return;
    memcpy(w->data + w->size, bytes, n);
    w->size += n;
}

static void put_marker(writer *w, uint8_t marker, size_t payload) {
    uint8_t head[4] = {0xff, marker, (uint8_t)((payload + 2) >> 8), (uint8_t)(payload + 2)};
    put_bytes(w, head, 4);
}

/// `n` (≤ 24) low bits of `value` into the entropy-coded data, with a zero after every 0xFF.
static inline void put_bits(writer *w, uint32_t value, int n) {
    w->bits = (w->bits << n) | (value & ((1u << n) - 1));
    w->count += n;
    if (w->count < 32) return;
    reserve(w, 12);  // at most five bytes, each perhaps followed by a stuffed zero
    if (w->failed) { w->count = 0; return; }
    while (w->count >= 8) {
        uint8_t byte = (uint8_t)(w->bits >> (w->count - 8));
        w->data[w->size++] = byte;
        if (byte == 0xff) w->data[w->size++] = 0;
        w->count -= 8;
    }
}

static void flush_bits(writer *w) {
    int pad = (8 - w->count % 8) % 8;
    if (pad) put_bits(w, 0x7f, pad);  // padded with ones (F.1.2.3)
    reserve(w, 16);
    if (w->failed) return;
    while (w->count >= 8) {
        uint8_t byte = (uint8_t)(w->bits >> (w->count - 8));
        w->data[w->size++] = byte;
        if (byte == 0xff) w->data[w->size++] = 0;
        w->count -= 8;
    }
}

/// cos_table[u][x] = C(u)/2 · cos((2x+1)uπ/16): two passes of it make the 2-D DCT of A.3.3.
static float cos_table[8][8];

static void fill_cos_table(void) {
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 8; x++)
            cos_table[u][x] = (float)((u == 0 ? M_SQRT1_2 : 1.0) / 2.0 * cos((2 * x + 1) * u * M_PI / 16.0));
}

static pthread_once_t cos_table_once = PTHREAD_ONCE_INIT;

/// The size category of a coefficient (F.1.2.1) and its bits as written (negative values as
/// their ones' complement).
static inline int category(int v, uint32_t *bits) {
    int a = v < 0 ? -v : v;
    int n = 0;
    while (a) { n++; a >>= 1; }
    *bits = (uint32_t)(v < 0 ? v - 1 : v);
    return n;
}

/// Forward DCT, quantisation and entropy coding of one 8×8 block of samples.
static void encode_block(writer *w, const uint8_t block[64], const float divisor[64], int *previous_dc,
                         const huffman *dc, const huffman *ac) {
    float rows[64], coefficients[64];
    for (int y = 0; y < 8; y++)
        for (int u = 0; u < 8; u++) {
            float sum = 0;
            for (int x = 0; x < 8; x++) sum += cos_table[u][x] * (float)(block[y * 8 + x] - 128);
            rows[y * 8 + u] = sum;
        }
    for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++) {
            float sum = 0;
            for (int y = 0; y < 8; y++) sum += cos_table[v][y] * rows[y * 8 + u];
            coefficients[v * 8 + u] = sum;
        }
    int quantised[64];
    for (int k = 0; k < 64; k++) {
        int i = zigzag[k];
        quantised[k] = (int)lrintf(coefficients[i] / divisor[i]);
    }
    uint32_t bits;
    int diff = quantised[0] - *previous_dc;
    *previous_dc = quantised[0];
    int size = category(diff, &bits);
    put_bits(w, dc->code[size], dc->length[size]);
    if (size) put_bits(w, bits, size);
    int run = 0;
    for (int k = 1; k < 64; k++) {
        if (quantised[k] == 0) { run++; continue; }
        while (run > 15) { put_bits(w, ac->code[0xf0], ac->length[0xf0]); run -= 16; }
        size = category(quantised[k], &bits);
        if (size > 10) size = 10, bits = quantised[k] < 0 ? 0 : 1023;  // beyond baseline: cannot happen from 8-bit samples
        int symbol = run << 4 | size;
        put_bits(w, ac->code[symbol], ac->length[symbol]);
        put_bits(w, bits, size);
        run = 0;
    }
    if (run) put_bits(w, ac->code[0x00], ac->length[0x00]);
}

/// The 8×8 block at (`bx`, `by`) of a plane, the last column and row repeated past its edge.
static void load_block(uint8_t block[64], const uint8_t *plane, ptrdiff_t stride, int width, int height, int bx, int by) {
    for (int y = 0; y < 8; y++) {
        int sy = by + y < height ? by + y : height - 1;
        const uint8_t *row = plane + sy * stride;
        if (bx + 8 <= width) {
            memcpy(block + y * 8, row + bx, 8);
        } else {
            for (int x = 0; x < 8; x++) block[y * 8 + x] = row[bx + x < width ? bx + x : width - 1];
        }
    }
}

static void write_table(writer *w, uint8_t class_id, const uint8_t bits[16], const uint8_t *values) {
    int n = 0;
    for (int i = 0; i < 16; i++) n += bits[i];
    put_bytes(w, &class_id, 1);
    put_bytes(w, bits, 16);
    put_bytes(w, values, (size_t)n);
}

int gw_jpeg_encode_420(const uint8_t *y, ptrdiff_t y_stride, const uint8_t *cb, ptrdiff_t cb_stride,
                       const uint8_t *cr, ptrdiff_t cr_stride, int width, int height, int scale_percent,
                       uint8_t **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535 || scale_percent <= 0) return -1;
    pthread_once(&cos_table_once, fill_cos_table);
    uint8_t quant[2][64];  // natural order
    float divisor[2][64];
    for (int i = 0; i < 64; i++) {
        const uint8_t *base[2] = {luma_quant, chroma_quant};
        for (int t = 0; t < 2; t++) {
            long q = ((long)base[t][i] * scale_percent + 50) / 100;
            quant[t][i] = (uint8_t)(q < 1 ? 1 : q > 255 ? 255 : q);
            divisor[t][i] = quant[t][i];
        }
    }
    huffman dc_luma, dc_chroma, ac_luma, ac_chroma;
    build_huffman(&dc_luma, dc_luma_bits, dc_values);
    build_huffman(&dc_chroma, dc_chroma_bits, dc_values);
    build_huffman(&ac_luma, ac_luma_bits, ac_luma_values);
    build_huffman(&ac_chroma, ac_chroma_bits, ac_chroma_values);

    writer w = {0};
    w.capacity = 4096 + (size_t)width * (size_t)height / 8;
    w.data = malloc(w.capacity);
    if (!w.data) return -1;

    static const uint8_t soi[2] = {0xff, 0xd8};
    put_bytes(&w, soi, 2);
    // JFIF 1.01, no units, 1:1 pixels, no thumbnail.
    static const uint8_t jfif[14] = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
    put_marker(&w, 0xe0, sizeof jfif);
    put_bytes(&w, jfif, sizeof jfif);
    put_marker(&w, 0xdb, 2 * 65);
    for (uint8_t t = 0; t < 2; t++) {
        uint8_t table[65];
        table[0] = t;  // 8-bit precision, table t
        for (int k = 0; k < 64; k++) table[1 + k] = quant[t][zigzag[k]];
        put_bytes(&w, table, sizeof table);
    }
    // Three components: Y sampled 2×2, Cb and Cr 1×1, on tables 0, 1, 1.
    uint8_t frame[15] = {8, (uint8_t)(height >> 8), (uint8_t)height, (uint8_t)(width >> 8), (uint8_t)width, 3,
                         1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
    put_marker(&w, 0xc0, sizeof frame);
    put_bytes(&w, frame, sizeof frame);
    put_marker(&w, 0xc4, 4 * 17 + 12 + 12 + 162 + 162);
    write_table(&w, 0x00, dc_luma_bits, dc_values);
    write_table(&w, 0x10, ac_luma_bits, ac_luma_values);
    write_table(&w, 0x01, dc_chroma_bits, dc_values);
    write_table(&w, 0x11, ac_chroma_bits, ac_chroma_values);
    static const uint8_t scan[10] = {3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0};
    put_marker(&w, 0xda, sizeof scan);
    put_bytes(&w, scan, sizeof scan);

    int chroma_width = (width + 1) / 2, chroma_height = (height + 1) / 2;
    int dc[3] = {0, 0, 0};
    uint8_t block[64];
    for (int my = 0; my < height; my += 16) {
        for (int mx = 0; mx < width; mx += 16) {
            for (int i = 0; i < 4; i++) {
                load_block(block, y, y_stride, width, height, mx + (i & 1) * 8, my + (i >> 1) * 8);
                encode_block(&w, block, divisor[0], &dc[0], &dc_luma, &ac_luma);
            }
            load_block(block, cb, cb_stride, chroma_width, chroma_height, mx / 2, my / 2);
            encode_block(&w, block, divisor[1], &dc[1], &dc_chroma, &ac_chroma);
            load_block(block, cr, cr_stride, chroma_width, chroma_height, mx / 2, my / 2);
            encode_block(&w, block, divisor[1], &dc[2], &dc_chroma, &ac_chroma);
        }
    }
    flush_bits(&w);
    static const uint8_t eoi[2] = {0xff, 0xd9};
    put_bytes(&w, eoi, 2);
    if (w.failed) {
        free(w.data);
        return -1;
    }
    *out = w.data;
    *out_size = w.size;
    return 0;
}

void gw_jpeg_free(uint8_t *data) { free(data); }
