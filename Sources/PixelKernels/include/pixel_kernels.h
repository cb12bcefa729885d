// The per-pixel loops of the analysis, written in C so that they run eight pixels a
// vector on every x86-64 (SSE2, no target flags needed), with a plain C version of
// each for other machines. Each SSE2 loop computes exactly what its plain version
// computes (Tests/AnalysisTests/PixelKernelTests.swift compares them on random input).
// See Docs/design/motion-fixed-point.md.
#ifndef GRIDWATCH_PIXEL_KERNELS_H
#define GRIDWATCH_PIXEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The background model's settings in fixed point (levels in 1/128, rates in 1/65536,
/// flicker in 1/32768).
typedef struct {
    int16_t threshold;          ///< |level - background| above this is change
    int16_t noise_off;          ///< 1: no per-pixel noise threshold
    uint16_t inverse_factor;    ///< 65536 / noise factor: |d| * this >> 16 against the noise
    int16_t rate_still;         ///< learning rate where nothing changed
    int16_t rate_moving;        ///< learning rate where something changed
    int16_t flicker_limit;      ///< flip share above which a pixel is ignored
    int16_t absorb_on;          ///< 1: changed pixels are absorbed after absorb_after frames
    int16_t absorb_after;       ///< at least 1
    int16_t noise_rate;         ///< how fast the noise follows the still frames
    int16_t flicker_rate;       ///< how fast the flip share follows
    int16_t age_step;           ///< frames a pixel changed before ages by (those this frame stands for; at least 1)
} gw_subtract_params;

/// Compare `pixels` with the background, update each pixel's statistics, write 255 in
/// `mask` where a pixel is reported as changed (0 elsewhere) and 1/0 in `previous`;
/// returns the number of reported pixels. Every array holds `count` values; `allowed`
/// (non-zero where analysis is allowed) may be NULL: allowed everywhere.
size_t gw_motion_subtract(const uint8_t *pixels, int16_t *background, int16_t *noise,
                          int16_t *flicker, uint8_t *previous, int16_t *age,
                          const uint8_t *allowed, uint8_t *mask, size_t count,
                          const gw_subtract_params *params);

/// The same without vectors (the reference; also what other machines run).
size_t gw_motion_subtract_plain(const uint8_t *pixels, int16_t *background, int16_t *noise,
                                int16_t *flicker, uint8_t *previous, int16_t *age,
                                const uint8_t *allowed, uint8_t *mask, size_t count,
                                const gw_subtract_params *params);

/// What `gw_motion_subtract` would write in `mask` (and return) for this frame, with
/// nothing else written: a frame looked at without being learnt from.
size_t gw_motion_peek(const uint8_t *pixels, const int16_t *background, const int16_t *noise,
                      const int16_t *flicker, const uint8_t *previous, const int16_t *age,
                      const uint8_t *allowed, uint8_t *mask, size_t count,
                      const gw_subtract_params *params);
size_t gw_motion_peek_plain(const uint8_t *pixels, const int16_t *background, const int16_t *noise,
                            const int16_t *flicker, const uint8_t *previous, const int16_t *age,
                            const uint8_t *allowed, uint8_t *mask, size_t count,
                            const gw_subtract_params *params);

/// Colour against its background (Cb, Cr in 1/128): `changed` gets 1 where
/// |dCb| + |dCr| (saturated) exceeds `limit`, else 0; the background follows at
/// `rate_moving` there and `rate_still` elsewhere. Returns nothing: the caller counts.
void gw_chroma_update(const uint8_t *u, const uint8_t *v, int16_t *background_u,
                      int16_t *background_v, uint8_t *changed, size_t count,
                      int16_t limit, int16_t rate_still, int16_t rate_moving);
void gw_chroma_update_plain(const uint8_t *u, const uint8_t *v, int16_t *background_u,
                            int16_t *background_v, uint8_t *changed, size_t count,
                            int16_t limit, int16_t rate_still, int16_t rate_moving);

/// Colour and shadows on a mask the gray pass marked (255 or 0), `width` wide: a
/// pixel whose colour changed (`colour_changed`, at half size, `chroma_width` a row,
/// NULL for none) is marked when it is calm (`flicker` <= `flicker_limit`), allowed
/// (`allowed` non-zero; NULL: everywhere) and younger than `absorb_limit`; with
/// `shadows` on, a marked pixel whose colour did not change is cleared when
/// level * 256 lies within [background level * low, background level * high]
/// (0 <= low <= high <= 256). Looks at the first 2 * chroma_width columns and
/// 2 * chroma_height rows. Returns marked pixels added minus removed.
ptrdiff_t gw_colour_and_shadows(const uint8_t *pixels, const int16_t *background,
                                const int16_t *flicker, const int16_t *age,
                                const uint8_t *allowed, const uint8_t *colour_changed,
                                uint8_t *mask, size_t width, size_t chroma_width,
                                size_t chroma_height, int shadows, int32_t low, int32_t high,
                                int16_t flicker_limit, int16_t absorb_limit);
ptrdiff_t gw_colour_and_shadows_plain(const uint8_t *pixels, const int16_t *background,
                                      const int16_t *flicker, const int16_t *age,
                                      const uint8_t *allowed, const uint8_t *colour_changed,
                                      uint8_t *mask, size_t width, size_t chroma_width,
                                      size_t chroma_height, int shadows, int32_t low, int32_t high,
                                      int16_t flicker_limit, int16_t absorb_limit);

/// Morphology on masks of 0 and 255, `width` x `height`, in place; `scratch` holds as
/// many bytes. Neighbours outside the frame are ignored: erosion keeps a pixel when
/// every neighbour inside the frame is set, dilation sets it when any is.
/// `radius` 1 is 3x3, 2 is 5x5.
void gw_erode(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius);
void gw_dilate(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t radius);
/// Erosion with `erode_radius` then dilation with `dilate_radius` (an opening, and more when
/// the dilation is the wider): the same result as `gw_erode` then `gw_dilate`, with the mask
/// read and written once (the rows stay bits between the two).
void gw_erode_dilate(uint8_t *mask, uint8_t *scratch, size_t width, size_t height, size_t erode_radius, size_t dilate_radius);

/// Halve a plane: each output sample is the rounded mean of a 2x2 block of the source
/// ((a + b + c + d + 2) >> 2). `dst` is width x height, packed; `src` has at least
/// 2 * width columns and 2 * height rows.
void gw_half_plane(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                   size_t width, size_t height);
void gw_half_plane_plain(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                         size_t width, size_t height);

/// Every other sample of every other row, starting at (1, 1): src[2y+1][2x+1].
/// `dst` is width x height, packed.
void gw_pick_odd(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                 size_t width, size_t height);
void gw_pick_odd_plain(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                       size_t width, size_t height);

/// Baseline JPEG (JFIF) of an 8-bit full-range YCbCr 4:2:0 picture: `cb` and `cr` are
/// (width + 1) / 2 by (height + 1) / 2. The quantisation tables are the JPEG standard's
/// example tables (Annex K) times `scale_percent` / 100 (50 is libjpeg's quality 75, 30 its
/// 85). On success 0, with `*out` (free it with `gw_jpeg_free`) holding `*out_size` bytes;
/// -1 for a size JPEG cannot hold or when memory runs out.
int gw_jpeg_encode_420(const uint8_t *y, ptrdiff_t y_stride, const uint8_t *cb, ptrdiff_t cb_stride,
                       const uint8_t *cr, ptrdiff_t cr_stride, int width, int height, int scale_percent,
                       uint8_t **out, size_t *out_size);
void gw_jpeg_free(uint8_t *data);
/// 1 when the Huffman tables give a code to every symbol baseline JPEG can write.
int gw_jpeg_tables_complete(void);

#endif
