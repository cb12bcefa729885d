#include "pixel_kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// (a * b) >> 16 in 16 bits: pmulhw.
static inline int16_t mul_high(int16_t a, int16_t b) {
    return (int16_t)(((int32_t)a * (int32_t)b) >> 16);
}

static inline int16_t mul_high_unsigned(uint16_t a, uint16_t b) {
    return (int16_t)(((uint32_t)a * (uint32_t)b) >> 16);
}

static inline int16_t add_saturated(int16_t a, int16_t b) {
    int32_t s = (int32_t)a + (int32_t)b;
    return (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
}

// One pixel of the background model; returns 1 when it is reported as changed.
static inline int subtract_one(const uint8_t *p, int16_t *bg, int16_t *nz, int16_t *fl,
                               uint8_t *pv, int16_t *ag, const uint8_t *al, uint8_t *m,
                               size_t i, const gw_subtract_params *P, int dry) {
    int16_t level = (int16_t)(p[i] << 7);
    int16_t b0 = bg[i], n0 = nz[i], f0 = fl[i], a0 = ag[i];
    int16_t was = pv[i] ? 1 : 0;
    int16_t d = (int16_t)(level - b0);
    int16_t ad = d < 0 ? (int16_t)-d : d;
    int16_t scaled = mul_high_unsigned((uint16_t)ad, P->inverse_factor);
    int16_t above = (int16_t)((scaled > n0 ? 1 : 0) | P->noise_off);
    int16_t changed = (int16_t)((ad > P->threshold ? 1 : 0) & above);
    // The noise follows the still frames only.
    int16_t n1 = changed ? n0 : (int16_t)(n0 + mul_high((int16_t)(ad - n0), P->noise_rate));
    // How often the pixel flips between changed and still.
    int16_t flip = changed != was ? 32767 : 0;
    int16_t f1 = (int16_t)(f0 + mul_high((int16_t)(flip - f0), P->flicker_rate));
    // Changed for too long: a parked object becomes background.
    // A pixel changed before and now has been changed, as far as anyone knows, through the
    // frames this one stands for; one changed only now has just begun.
    int16_t a1 = changed ? (a0 > 0 ? add_saturated(a0, P->age_step) : 1) : 0;
    int16_t absorbed = (int16_t)((a1 >= P->absorb_after ? 1 : 0) & P->absorb_on);
    int16_t rate = changed ? P->rate_moving : P->rate_still;
    int16_t b1 = absorbed ? level : (int16_t)(b0 + mul_high(d, rate));
    int16_t calm = f1 <= P->flicker_limit ? 1 : 0;
    int16_t report = (int16_t)(changed & calm & (!al || al[i] ? 1 : 0) & (1 - absorbed));
    if (!dry) {
        bg[i] = b1;
        nz[i] = n1;
        fl[i] = f1;
        ag[i] = absorbed ? 0 : a1;
        pv[i] = (uint8_t)changed;
    }
    m[i] = report ? 255 : 0;
    return report;
}

static inline size_t subtract_plain(const uint8_t *p, int16_t *bg, int16_t *nz, int16_t *fl,
                                    uint8_t *pv, int16_t *ag, const uint8_t *al, uint8_t *m,
                                    size_t count, const gw_subtract_params *P, int dry) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += (size_t)subtract_one(p, bg, nz, fl, pv, ag, al, m, i, P, dry);
    return total;
}

size_t gw_motion_subtract_plain(const uint8_t *p, int16_t *bg, int16_t *nz, int16_t *fl,
                                uint8_t *pv, int16_t *ag, const uint8_t *al, uint8_t *m,
                                size_t count, const gw_subtract_params *P) {
    return subtract_plain(p, bg, nz, fl, pv, ag, al, m, count, P, 0);
}

size_t gw_motion_peek_plain(const uint8_t *p, const int16_t *bg, const int16_t *nz, const int16_t *fl,
                            const uint8_t *pv, const int16_t *ag, const uint8_t *al, uint8_t *m,
                            size_t count, const gw_subtract_params *P) {
    // Nothing but `m` is written when dry: the casts only share the code.
    return subtract_plain(p, (int16_t *)bg, (int16_t *)nz, (int16_t *)fl, (uint8_t *)pv, (int16_t *)ag, al, m, count, P, 1);
}

#if defined(__SSE2__)
static inline __m128i load8(const uint8_t *p) {
    return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)p), _mm_setzero_si128());
}
static inline __m128i load16(const int16_t *p) { return _mm_loadu_si128((const __m128i *)p); }
static inline void store16(int16_t *p, __m128i v) { _mm_storeu_si128((__m128i *)p, v); }
// mask ? a : b, lane by lane (mask lanes all ones or all zeros).
static inline __m128i select16(__m128i mask, __m128i a, __m128i b) {
    return _mm_or_si128(_mm_and_si128(mask, a), _mm_andnot_si128(mask, b));
}
static inline size_t sum16(__m128i counts) {
    __m128i pairs = _mm_madd_epi16(counts, _mm_set1_epi16(1));
    int32_t lanes[4];
    _mm_storeu_si128((__m128i *)lanes, pairs);
    return (size_t)lanes[0] + (size_t)lanes[1] + (size_t)lanes[2] + (size_t)lanes[3];
}
#endif

static inline size_t subtract(const uint8_t *p, int16_t *bg, int16_t *nz, int16_t *fl,
                              uint8_t *pv, int16_t *ag, const uint8_t *al, uint8_t *m,
                              size_t count, const gw_subtract_params *P, int dry) {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi16(1);
    const __m128i threshold = _mm_set1_epi16(P->threshold);
    const __m128i noise_off = _mm_set1_epi16(P->noise_off ? -1 : 0);
    const __m128i inverse = _mm_set1_epi16((int16_t)P->inverse_factor);
    const __m128i still = _mm_set1_epi16(P->rate_still), moving = _mm_set1_epi16(P->rate_moving);
    const __m128i flicker_limit = _mm_set1_epi16(P->flicker_limit);
    const __m128i absorb_on = _mm_set1_epi16(P->absorb_on ? -1 : 0);
    const __m128i absorb_below = _mm_set1_epi16((int16_t)(P->absorb_after - 1));
    const __m128i noise_rate = _mm_set1_epi16(P->noise_rate), flicker_rate = _mm_set1_epi16(P->flicker_rate);
    const __m128i age_step = _mm_set1_epi16(P->age_step);
    const __m128i flip_value = _mm_set1_epi16(32767);
    size_t total = 0, i = 0;
    while (i + 8 <= count) {
        // Each lane counts at most one pixel a step: empty the counts before they can wrap.
        __m128i counts = zero;
        size_t stop = count - i > 8 * 4096 ? i + 8 * 4096 : count;
        for (; i + 8 <= stop; i += 8) {
            __m128i level = _mm_slli_epi16(load8(p + i), 7);
            __m128i b0 = load16(bg + i), n0 = load16(nz + i), f0 = load16(fl + i), a0 = load16(ag + i);
            __m128i was = _mm_cmpgt_epi16(load8(pv + i), zero);
            __m128i d = _mm_sub_epi16(level, b0);
            __m128i ad = _mm_max_epi16(d, _mm_sub_epi16(zero, d));
            __m128i scaled = _mm_mulhi_epu16(ad, inverse);
            __m128i above = _mm_or_si128(_mm_cmpgt_epi16(scaled, n0), noise_off);
            __m128i changed = _mm_and_si128(_mm_cmpgt_epi16(ad, threshold), above);
            __m128i n1 = select16(changed, n0, _mm_add_epi16(n0, _mm_mulhi_epi16(_mm_sub_epi16(ad, n0), noise_rate)));
            __m128i flip = _mm_and_si128(_mm_xor_si128(changed, was), flip_value);
            __m128i f1 = _mm_add_epi16(f0, _mm_mulhi_epi16(_mm_sub_epi16(flip, f0), flicker_rate));
            __m128i a1 = _mm_and_si128(changed, select16(_mm_cmpgt_epi16(a0, zero), _mm_adds_epi16(a0, age_step), one));
            __m128i absorbed = _mm_and_si128(_mm_cmpgt_epi16(a1, absorb_below), absorb_on);
            __m128i rate = select16(changed, moving, still);
            __m128i b1 = select16(absorbed, level, _mm_add_epi16(b0, _mm_mulhi_epi16(d, rate)));
            __m128i calm = _mm_cmpgt_epi16(f1, flicker_limit);  // not calm
            __m128i allowed = al ? _mm_cmpgt_epi16(load8(al + i), zero) : _mm_cmpeq_epi16(zero, zero);
            __m128i report = _mm_andnot_si128(_mm_or_si128(calm, absorbed), _mm_and_si128(changed, allowed));
            if (!dry) {
                store16(bg + i, b1);
                store16(nz + i, n1);
                store16(fl + i, f1);
                store16(ag + i, _mm_andnot_si128(absorbed, a1));
                _mm_storel_epi64((__m128i *)(pv + i), _mm_packus_epi16(_mm_and_si128(changed, one), zero));
            }
            _mm_storel_epi64((__m128i *)(m + i), _mm_packs_epi16(report, zero));
            counts = _mm_sub_epi16(counts, report);
        }
        total += sum16(counts);
    }
    for (; i < count; i++) total += (size_t)subtract_one(p, bg, nz, fl, pv, ag, al, m, i, P, dry);
    return total;
#else
    return subtract_plain(p, bg, nz, fl, pv, ag, al, m, count, P, dry);
#endif
}

size_t gw_motion_subtract(const uint8_t *p, int16_t *bg, int16_t *nz, int16_t *fl,
                          uint8_t *pv, int16_t *ag, const uint8_t *al, uint8_t *m,
                          size_t count, const gw_subtract_params *P) {
    return subtract(p, bg, nz, fl, pv, ag, al, m, count, P, 0);
}

size_t gw_motion_peek(const uint8_t *p, const int16_t *bg, const int16_t *nz, const int16_t *fl,
                      const uint8_t *pv, const int16_t *ag, const uint8_t *al, uint8_t *m,
                      size_t count, const gw_subtract_params *P) {
    // Nothing but `m` is written when dry: the casts only share the code.
    return subtract(p, (int16_t *)bg, (int16_t *)nz, (int16_t *)fl, (uint8_t *)pv, (int16_t *)ag, al, m, count, P, 1);
}

void gw_chroma_update_plain(const uint8_t *u, const uint8_t *v, int16_t *bu, int16_t *bv,
                            uint8_t *changed, size_t count, int16_t limit,
                            int16_t rate_still, int16_t rate_moving) {
    for (size_t i = 0; i < count; i++) {
        int16_t du = (int16_t)((u[i] << 7) - bu[i]), dv = (int16_t)((v[i] << 7) - bv[i]);
        int16_t d = add_saturated(du < 0 ? (int16_t)-du : du, dv < 0 ? (int16_t)-dv : dv);
        int16_t c = d > limit ? 1 : 0;
        int16_t rate = c ? rate_moving : rate_still;
        bu[i] = (int16_t)(bu[i] + mul_high(du, rate));
        bv[i] = (int16_t)(bv[i] + mul_high(dv, rate));
        changed[i] = (uint8_t)c;
    }
}

void gw_chroma_update(const uint8_t *u, const uint8_t *v, int16_t *bu, int16_t *bv,
                      uint8_t *changed, size_t count, int16_t limit,
                      int16_t rate_still, int16_t rate_moving) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi16(1), lim = _mm_set1_epi16(limit);
    const __m128i still = _mm_set1_epi16(rate_still), moving = _mm_set1_epi16(rate_moving);
    for (; i + 8 <= count; i += 8) {
        __m128i b0 = load16(bu + i), c0 = load16(bv + i);
        __m128i du = _mm_sub_epi16(_mm_slli_epi16(load8(u + i), 7), b0);
        __m128i dv = _mm_sub_epi16(_mm_slli_epi16(load8(v + i), 7), c0);
        __m128i d = _mm_adds_epi16(_mm_max_epi16(du, _mm_sub_epi16(zero, du)), _mm_max_epi16(dv, _mm_sub_epi16(zero, dv)));
        __m128i c = _mm_cmpgt_epi16(d, lim);
        __m128i rate = select16(c, moving, still);
        store16(bu + i, _mm_add_epi16(b0, _mm_mulhi_epi16(du, rate)));
        store16(bv + i, _mm_add_epi16(c0, _mm_mulhi_epi16(dv, rate)));
        _mm_storel_epi64((__m128i *)(changed + i), _mm_packus_epi16(_mm_and_si128(c, one), zero));
    }
#endif
    gw_chroma_update_plain(u + i, v + i, bu + i, bv + i, changed + i, count - i, limit, rate_still, rate_moving);
}

// One pixel of colour and shadows; returns +1 (marked), -1 (cleared) or 0.
static inline int colour_shadow_one(const uint8_t *p, const int16_t *bg, const int16_t *fl,
                                    const int16_t *ag, const uint8_t *al, const uint8_t *cc,
                                    uint8_t *m, size_t i, size_t c, int shadows, int32_t low,
                                    int32_t high, int16_t flicker_limit, int16_t absorb_limit) {
    int colour = cc && cc[c] != 0;
    if (m[i] != 0) {
        if (shadows && !colour) {
            int32_t bg_level = bg[i] >> 7, level = (int32_t)p[i] << 8;
            if (level >= bg_level * low && level <= bg_level * high) {
                m[i] = 0;
                return -1;
            }
        }
    } else if (colour && fl[i] <= flicker_limit && (!al || al[i] != 0) && ag[i] < absorb_limit) {
        m[i] = 255;
        return 1;
    }
    return 0;
}

ptrdiff_t gw_colour_and_shadows_plain(const uint8_t *p, const int16_t *bg, const int16_t *fl,
                                      const int16_t *ag, const uint8_t *al, const uint8_t *cc,
                                      uint8_t *m, size_t width, size_t cw, size_t ch, int shadows,
                                      int32_t low, int32_t high, int16_t flicker_limit,
                                      int16_t absorb_limit) {
    ptrdiff_t delta = 0;
    for (size_t y = 0; y < 2 * ch; y++)
        for (size_t x = 0; x < 2 * cw; x++)
            delta += colour_shadow_one(p, bg, fl, ag, al, cc, m, y * width + x, (y / 2) * cw + x / 2,
                                       shadows, low, high, flicker_limit, absorb_limit);
    return delta;
}

ptrdiff_t gw_colour_and_shadows(const uint8_t *p, const int16_t *bg, const int16_t *fl,
                                const int16_t *ag, const uint8_t *al, const uint8_t *cc,
                                uint8_t *m, size_t width, size_t cw, size_t ch, int shadows,
                                int32_t low, int32_t high, int16_t flicker_limit,
                                int16_t absorb_limit) {
#if defined(__SSE2__)
    if (low < 0 || high > 256 || low > high)
        return gw_colour_and_shadows_plain(p, bg, fl, ag, al, cc, m, width, cw, ch, shadows, low, high, flicker_limit, absorb_limit);
    const __m128i zero = _mm_setzero_si128(), ones = _mm_cmpeq_epi16(zero, zero);
    const __m128i sign = _mm_set1_epi16((int16_t)0x8000);
    const __m128i low16 = _mm_set1_epi16((int16_t)low), high16 = _mm_set1_epi16((int16_t)high);
    const __m128i flimit = _mm_set1_epi16(flicker_limit), alimit = _mm_set1_epi16(absorb_limit);
    ptrdiff_t delta = 0;
    for (size_t y = 0; y < 2 * ch; y++) {
        size_t row = y * width, crow = (y / 2) * cw, x = 0;
        for (; x + 8 <= 2 * cw; x += 8) {
            size_t i = row + x;
            uint64_t marked_word;
            uint32_t colour_word = 0;
            memcpy(&marked_word, m + i, 8);
            if (cc) memcpy(&colour_word, cc + crow + x / 2, 4);
            // Most of a frame is still: eight pixels (four colour samples) at a time.
            if (marked_word == 0 && colour_word == 0) continue;
            __m128i marked = _mm_cmpgt_epi16(load8(m + i), zero);
            __m128i c4 = _mm_cvtsi32_si128((int)colour_word);
            __m128i colour = _mm_cmpgt_epi16(_mm_unpacklo_epi8(_mm_unpacklo_epi8(c4, c4), zero), zero);
            __m128i removed = zero;
            if (shadows) {
                // level * 256 against background level * low and * high, all within 16 bits
                // unsigned (compared signed after flipping the sign bit).
                __m128i bg_level = _mm_srai_epi16(load16(bg + i), 7);
                __m128i level = _mm_xor_si128(_mm_slli_epi16(load8(p + i), 8), sign);
                __m128i lo = _mm_xor_si128(_mm_mullo_epi16(bg_level, low16), sign);
                __m128i hi = _mm_xor_si128(_mm_mullo_epi16(bg_level, high16), sign);
                __m128i outside = _mm_or_si128(_mm_cmpgt_epi16(lo, level), _mm_cmpgt_epi16(level, hi));
                removed = _mm_andnot_si128(_mm_or_si128(outside, colour), marked);
            }
            __m128i allowed = al ? _mm_cmpgt_epi16(load8(al + i), zero) : ones;
            __m128i calm = _mm_andnot_si128(_mm_cmpgt_epi16(load16(fl + i), flimit), ones);
            __m128i young = _mm_cmpgt_epi16(alimit, load16(ag + i));
            __m128i added = _mm_andnot_si128(marked, _mm_and_si128(_mm_and_si128(colour, calm), _mm_and_si128(allowed, young)));
            __m128i result = _mm_or_si128(_mm_andnot_si128(removed, marked), added);
            _mm_storel_epi64((__m128i *)(m + i), _mm_packs_epi16(result, zero));
            delta += __builtin_popcount((unsigned)_mm_movemask_epi8(_mm_packs_epi16(added, zero)))
                   - __builtin_popcount((unsigned)_mm_movemask_epi8(_mm_packs_epi16(removed, zero)));
        }
        for (; x < 2 * cw; x++)
            delta += colour_shadow_one(p, bg, fl, ag, al, cc, m, row + x, crow + x / 2, shadows, low, high, flicker_limit, absorb_limit);
    }
    return delta;
#else
    return gw_colour_and_shadows_plain(p, bg, fl, ag, al, cc, m, width, cw, ch, shadows, low, high, flicker_limit, absorb_limit);
#endif
}

// Plain loops over whole rows with `restrict` pointers: the compiler vectorises them (16
// bytes a step with SSE2) and they need no twin.
static void combine_rows(uint8_t *restrict dst, const uint8_t *restrict a, const uint8_t *restrict b,
                         size_t n, int and_) {
    if (and_) for (size_t x = 0; x < n; x++) dst[x] = a[x] & b[x];
    else for (size_t x = 0; x < n; x++) dst[x] = a[x] | b[x];
}

static void copy_row(uint8_t *restrict dst, const uint8_t *restrict src, size_t n) {
    memcpy(dst, src, n);
}

static void fold_row(uint8_t *restrict dst, const uint8_t *restrict src, size_t n, int and_) {
    if (and_) for (size_t x = 0; x < n; x++) dst[x] &= src[x];
    else for (size_t x = 0; x < n; x++) dst[x] |= src[x];
}

// One row, each output the AND (or OR) of the inputs within `radius` columns inside the row.
static void horizontal(uint8_t *restrict dst, const uint8_t *restrict src, size_t n, size_t radius, int and_) {
    copy_row(dst, src, n);
    for (size_t k = 1; k <= radius && k < n; k++) {
        // dst[x] with src[x + k] and src[x - k] where they exist.
        if (and_) {
            for (size_t x = 0; x + k < n; x++) dst[x] &= src[x + k];
            for (size_t x = k; x < n; x++) dst[x] &= src[x - k];
        } else {
            for (size_t x = 0; x + k < n; x++) dst[x] |= src[x + k];
            for (size_t x = k; x < n; x++) dst[x] |= src[x - k];
        }
    }
}

static void morphology_bytes(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius, int and_) {
    for (size_t y = 0; y < height; y++)
        horizontal(scratch + y * width, mask + y * width, width, radius, and_);
    for (size_t y = 0; y < height; y++) {
        size_t lo = y >= radius ? y - radius : 0, hi = y + radius < height ? y + radius : height - 1;
        uint8_t *dst = mask + y * width;
        if (hi == lo) { copy_row(dst, scratch + lo * width, width); continue; }
        combine_rows(dst, scratch + lo * width, scratch + (lo + 1) * width, width, and_);
        for (size_t k = lo + 2; k <= hi; k++) fold_row(dst, scratch + k * width, width, and_);
    }
}

// Bit rows: pixel x of a row is bit (x & 63) of word x >> 6; a set bit is a non-zero byte.
enum { BIT_ROW_WORDS = 64 };

static void pack_row(const uint8_t *src, uint64_t *dst, size_t width, size_t words) {
    for (size_t w = 0; w < words; w++) dst[w] = 0;
    size_t x = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; x + 16 <= width; x += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + x));
        uint64_t bits = (uint64_t)(~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) & 0xFFFFu);
        dst[x >> 6] |= bits << (x & 63);  // x & 63 is 0, 16, 32 or 48: the 16 bits fit
    }
#endif
    for (; x < width; x++)
        if (src[x]) dst[x >> 6] |= (uint64_t)1 << (x & 63);
}

static void unpack_row(const uint64_t *src, uint8_t *dst, size_t width) {
    size_t x = 0;
#if defined(__SSE2__)
    const __m128i select = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    for (; x + 16 <= width; x += 16) {
        unsigned bits = (unsigned)(src[x >> 6] >> (x & 63)) & 0xFFFFu;
        __m128i spread = _mm_unpacklo_epi64(_mm_set1_epi8((char)(bits & 0xFF)), _mm_set1_epi8((char)(bits >> 8)));
        _mm_storeu_si128((__m128i *)(dst + x), _mm_cmpeq_epi8(_mm_and_si128(spread, select), select));
    }
#endif
    for (; x < width; x++) dst[x] = ((src[x >> 6] >> (x & 63)) & 1) ? 255 : 0;
}

// One bit row, each bit the AND (or OR) of the bits within `radius` (< 64) columns; outside
// the row counts as set for AND and clear for OR, so only pixels in the frame decide.
static void horizontal_bits(const uint64_t *src, uint64_t *dst, size_t width, size_t words, size_t radius, int and_) {
    const uint64_t fill = and_ ? ~(uint64_t)0 : 0;
    uint64_t row[BIT_ROW_WORDS];
    for (size_t w = 0; w < words; w++) row[w] = src[w];
    if (width & 63) {
        uint64_t valid = ((uint64_t)1 << (width & 63)) - 1;
        row[words - 1] = (row[words - 1] & valid) | (fill & ~valid);
    }
    for (size_t w = 0; w < words; w++) {
        uint64_t here = row[w], prev = w > 0 ? row[w - 1] : fill, next = w + 1 < words ? row[w + 1] : fill;
        uint64_t out = here;
        for (size_t k = 1; k <= radius; k++) {
            uint64_t right = (here >> k) | (next << (64 - k)), left = (here << k) | (prev >> (64 - k));
            out = and_ ? (out & right & left) : (out | right | left);
        }
        dst[w] = out;
    }
}

// Bytes of a `size`-byte scratch buffer from `aligned` (at most 7 bytes in) to its end; 0 when
// the alignment takes more than the buffer has (a mask of a few pixels).
static size_t spare_bytes(const uint8_t *scratch, const uint8_t *aligned, size_t size) {
    size_t skipped = (size_t)(aligned - scratch);
    return size > skipped ? size - skipped : 0;
}

// Bit row y of `out`: the AND (or OR) of rows y - radius ... y + radius of `rows` that exist.
static void vertical_bits(const uint64_t *rows, uint64_t *out, size_t y, size_t words, size_t height, size_t radius, int and_) {
    size_t lo = y >= radius ? y - radius : 0, hi = y + radius < height ? y + radius : height - 1;
    for (size_t w = 0; w < words; w++) {
        uint64_t acc = rows[lo * words + w];
        for (size_t k = lo + 1; k <= hi; k++)
            acc = and_ ? (acc & rows[k * words + w]) : (acc | rows[k * words + w]);
        out[w] = acc;
    }
}

static void morphology(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius, int and_) {
    if (width == 0 || height == 0) return;
    size_t words = (width + 63) / 64;
    // The rows as bits, filtered along the row, in the scratch buffer (aligned for words).
    uint64_t *rows = (uint64_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
    size_t spare = spare_bytes(scratch, (uint8_t *)rows, width * height);
    if (radius == 0 || radius >= 64 || words > BIT_ROW_WORDS || spare / 8 < words * height) {
        morphology_bytes(mask, scratch, width, height, radius, and_);
        return;
    }
    uint64_t packed[BIT_ROW_WORDS];
    for (size_t y = 0; y < height; y++) {
        pack_row(mask + y * width, packed, width, words);
        horizontal_bits(packed, rows + y * words, width, words, radius, and_);
    }
    for (size_t y = 0; y < height; y++) {
        vertical_bits(rows, packed, y, words, height, radius, and_);
        unpack_row(packed, mask + y * width, width);
    }
}

void gw_erode_dilate(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t erode_radius, size_t dilate_radius) {
    if (width == 0 || height == 0) return;
    size_t words = (width + 63) / 64;
    // Two planes of bit rows in the scratch buffer (aligned for words): the rows eroded
    // along the row, then the rows eroded both ways and dilated along the row.
    uint64_t *first = (uint64_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
    size_t spare = spare_bytes(scratch, (uint8_t *)first, width * height);
    if (erode_radius == 0 || erode_radius >= 64 || dilate_radius == 0 || dilate_radius >= 64 || words > BIT_ROW_WORDS
        || spare / 8 < 2 * words * height) {
        morphology(mask, scratch, width, height, erode_radius, 1);
        morphology(mask, scratch, width, height, dilate_radius, 0);
        return;
    }
    uint64_t *second = first + words * height;
    uint64_t packed[BIT_ROW_WORDS];
    for (size_t y = 0; y < height; y++) {
        pack_row(mask + y * width, packed, width, words);
        horizontal_bits(packed, first + y * words, width, words, erode_radius, 1);
    }
    for (size_t y = 0; y < height; y++) {
        vertical_bits(first, packed, y, words, height, erode_radius, 1);
        horizontal_bits(packed, second + y * words, width, words, dilate_radius, 0);
    }
    for (size_t y = 0; y < height; y++) {
        vertical_bits(second, packed, y, words, height, dilate_radius, 0);
        unpack_row(packed, mask + y * width, width);
    }
}

void gw_erode(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius) {
    morphology(mask, scratch, width, height, radius, 1);
}

void gw_dilate(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius) {
    morphology(mask, scratch, width, height, radius, 0);
}

static void half_rows_plain(const uint8_t *r0, const uint8_t *r1, uint8_t *out, size_t from, size_t width) {
    for (size_t x = from; x < width; x++) {
        unsigned sum = (unsigned)r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1];
        out[x] = (uint8_t)((sum + 2) >> 2);
    }
}

void gw_half_plane_plain(const uint8_t *src, ptrdiff_t stride, uint8_t *dst, size_t width, size_t height) {
    for (size_t y = 0; y < height; y++) {
        const uint8_t *r0 = src + (ptrdiff_t)(2 * y) * stride;
        half_rows_plain(r0, r0 + stride, dst + y * width, 0, width);
    }
}

void gw_half_plane(const uint8_t *src, ptrdiff_t stride, uint8_t *dst, size_t width, size_t height) {
#if defined(__SSE2__)
    const __m128i low = _mm_set1_epi16(0x00FF), two = _mm_set1_epi16(2);
    for (size_t y = 0; y < height; y++) {
        const uint8_t *r0 = src + (ptrdiff_t)(2 * y) * stride, *r1 = r0 + stride;
        uint8_t *out = dst + y * width;
        size_t x = 0;
        for (; x + 16 <= width; x += 16) {
            __m128i sums[2];
            for (int k = 0; k < 2; k++) {
                __m128i a = _mm_loadu_si128((const __m128i *)(r0 + 2 * x + 16 * k));
                __m128i b = _mm_loadu_si128((const __m128i *)(r1 + 2 * x + 16 * k));
                __m128i s = _mm_add_epi16(_mm_add_epi16(_mm_and_si128(a, low), _mm_srli_epi16(a, 8)),
                                          _mm_add_epi16(_mm_and_si128(b, low), _mm_srli_epi16(b, 8)));
                sums[k] = _mm_srli_epi16(_mm_add_epi16(s, two), 2);
            }
            _mm_storeu_si128((__m128i *)(out + x), _mm_packus_epi16(sums[0], sums[1]));
        }
        half_rows_plain(r0, r1, out, x, width);
    }
#else
    gw_half_plane_plain(src, stride, dst, width, height);
#endif
}

void gw_pick_odd_plain(const uint8_t *src, ptrdiff_t stride, uint8_t *dst, size_t width, size_t height) {
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = src + (ptrdiff_t)(2 * y + 1) * stride;
        for (size_t x = 0; x < width; x++) dst[y * width + x] = row[2 * x + 1];
    }
}

void gw_pick_odd(const uint8_t *src, ptrdiff_t stride, uint8_t *dst, size_t width, size_t height) {
#if defined(__SSE2__)
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = src + (ptrdiff_t)(2 * y + 1) * stride;
        uint8_t *out = dst + y * width;
        size_t x = 0;
        for (; x + 16 <= width; x += 16) {
            __m128i a = _mm_srli_epi16(_mm_loadu_si128((const __m128i *)(row + 2 * x)), 8);
            __m128i b = _mm_srli_epi16(_mm_loadu_si128((const __m128i *)(row + 2 * x + 16)), 8);
            _mm_storeu_si128((__m128i *)(out + x), _mm_packus_epi16(a, b));
        }
        for (; x < width; x++) out[x] = row[2 * x + 1];
    }
#else
    gw_pick_odd_plain(src, stride, dst, width, height);
#endif
}
