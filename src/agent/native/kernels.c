/*
 * The agent's passes over the pixels that JavaScript makes slow, in C, each the JavaScript's twin bit for bit (the unit
 * tests compare them): pure, no X, no allocation; linked into dist/xshm.node (the agent's one native binary) and
 * loaded by nativeKernels.ts. Pixels are 4 bytes each, blue first; colours leave the fourth byte out.
 *
 * - rowPrints: the scroll search's row prints (scrollSearch.ts, `hashRowsInJs`), about 2.4 times faster than the
 *   JavaScript on a 1080p band (0.40 ms against 0.96 on the 2-core machine). While a page scrolled, this pass over
 *   each capture was the agent's largest cost of its own.
 * - changedTiles: which tiles of a region differ between two pictures (tiles.ts, `markChangedTilesInJs`): a memcmp
 *   per row, then per tile of the rows that differ.
 * - anchors: the moved-window search's anchors (moveSearch.ts, `anchors`), a rolling hash along each run of
 *   changed tiles of a row.
 * - scrollTiles: the scroll's moves of what the helper shows and the changed tiles after them (moveRect and
 *   changedTiles in tiles.ts) in one pass.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME 16777619u

static napi_value failed(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/* A pixel's colour: its 32-bit word, little-endian as the JavaScript reads it, without the padding byte. */
static inline uint32_t colour_at(const uint8_t *pixel) {
  uint32_t word;
  memcpy(&word, pixel, 4);
  return word & 0xffffffu;
}

static int typed(napi_env env, napi_value value, napi_typedarray_type want, size_t *length, void **data) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == want;
}

/*
 * Row prints: a row of a box is hashed per strip of `strip` columns, one pixel in `sample`, FNV-1a over the colours;
 * the whole row's hash is FNV-1a over its strips' hashes. A row, or a strip's part of it, is "plain" when every sampled
 * pixel has the colour of its first (of the box's first pixel, for the whole row).
 *
 * rowPrints(pixels, width, x, y, w, h, from, to, strip, sample, wholeHash, wholePlain, stripHash, stripPlain):
 * hashes rows [from, to) of the box (x, y, w, h) of `pixels` (a Uint8Array, `width` pixels a row, 4 bytes each).
 * Row r's prints go to wholeHash[r], wholePlain[r], and, for strip k, stripHash[k * h + r], stripPlain[k * h + r].
 */
napi_value row_prints(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 14) return failed(env, "rowPrints: 14 arguments");
  int32_t n[8];
  for (int i = 0; i < 8; i++) {
    if (napi_get_value_int32(env, argv[i + 1], &n[i]) != napi_ok || n[i] < 0) return failed(env, "rowPrints: bad number");
  }
  const uint32_t width = (uint32_t)n[0], x = (uint32_t)n[1], y = (uint32_t)n[2], w = (uint32_t)n[3], h = (uint32_t)n[4];
  const uint32_t from = (uint32_t)n[5], to = (uint32_t)n[6], strip = (uint32_t)n[7];
  int32_t sample;
  if (napi_get_value_int32(env, argv[9], &sample) != napi_ok || sample < 1) return failed(env, "rowPrints: bad sample");
  size_t pixelsLength, wholeHashLength, wholePlainLength, stripHashLength, stripPlainLength;
  void *pixels, *wholeHash, *wholePlain, *stripHash, *stripPlain;
  if (!typed(env, argv[0], napi_uint8_array, &pixelsLength, &pixels)) return failed(env, "rowPrints: pixels is not a Uint8Array");
  if (!typed(env, argv[10], napi_uint32_array, &wholeHashLength, &wholeHash) || !typed(env, argv[12], napi_uint32_array, &stripHashLength, &stripHash)) {
    return failed(env, "rowPrints: the hashes go to Uint32Arrays");
  }
  if (!typed(env, argv[11], napi_uint8_array, &wholePlainLength, &wholePlain) || !typed(env, argv[13], napi_uint8_array, &stripPlainLength, &stripPlain)) {
    return failed(env, "rowPrints: the plain flags go to Uint8Arrays");
  }
  if (w == 0 || h == 0 || strip == 0 || x + (uint64_t)w > width || from > to || to > h) return failed(env, "rowPrints: bad box or rows");
  if (((uint64_t)y + h) * width * 4 > pixelsLength) return failed(env, "rowPrints: the box is outside the pixels");
  const uint32_t count = (w + strip - 1) / strip;
  if (wholeHashLength < h || wholePlainLength < h || stripHashLength < (uint64_t)count * h || stripPlainLength < (uint64_t)count * h) {
    return failed(env, "rowPrints: an output is too short");
  }
  uint32_t *wholeHashes = wholeHash, *stripHashes = stripHash;
  uint8_t *wholePlains = wholePlain, *stripPlains = stripPlain;
  const uint32_t right = x + w;
  for (uint32_t row = from; row < to; row++) {
    const uint8_t *base = (const uint8_t *)pixels + ((size_t)(y + row) * width) * 4;
    const uint32_t colour = colour_at(base + (size_t)x * 4);
    uint32_t whole = FNV_OFFSET;
    uint32_t differ = 0;
    for (uint32_t k = 0; k < count; k++) {
      const uint32_t x0 = x + k * strip;
      const uint32_t x1 = right < x0 + strip ? right : x0 + strip;
      const uint32_t first = colour_at(base + (size_t)x0 * 4);
      uint32_t hash = FNV_OFFSET;
      uint32_t d = 0;
      for (uint32_t i = x0; i < x1; i += (uint32_t)sample) {
        const uint32_t p = colour_at(base + (size_t)i * 4);
        d |= p ^ first;
        hash = (hash ^ p) * FNV_PRIME;
      }
      stripHashes[(size_t)k * h + row] = hash;
      stripPlains[(size_t)k * h + row] = d == 0;
      whole = (whole ^ hash) * FNV_PRIME;
      differ |= d | (first ^ colour);
    }
    wholeHashes[row] = whole;
    wholePlains[row] = differ == 0;
  }
  return NULL;
}

#define TILE 32u

/* Marks the tiles of row `row` where a and b differ over columns [x0, x1): one memcmp of the span, then per tile. */
static void mark_span(const uint8_t *pa, const uint8_t *pb, uint32_t width, uint32_t row, uint32_t x0, uint32_t x1, uint8_t *map, uint32_t cols) {
  if (x1 <= x0) return;
  const size_t base = (size_t)row * width * 4;
  if (memcmp(pa + base + (size_t)x0 * 4, pb + base + (size_t)x0 * 4, (size_t)(x1 - x0) * 4) == 0) return;
  uint8_t *tiles = map + (size_t)(row / TILE) * cols;
  for (uint32_t tc = x0 / TILE; tc < (x1 + TILE - 1) / TILE; tc++) {
    if (tiles[tc]) continue;
    const uint32_t t0 = tc * TILE > x0 ? tc * TILE : x0;
    const uint32_t t1 = tc * TILE + TILE < x1 ? tc * TILE + TILE : x1;
    if (memcmp(pa + base + (size_t)t0 * 4, pb + base + (size_t)t0 * 4, (size_t)(t1 - t0) * 4) != 0) tiles[tc] = 1;
  }
}

/*
 * changedTiles(a, b, width, x, y, w, h, changed, cols): sets changed[tr * cols + tc] to 1 for each tile (TILE pixels a
 * side) of the region (x, y, w, h) where a and b (Uint8Arrays, `width` pixels a row) differ; sets nothing else. Rows
 * equal over the region's columns are skipped with one memcmp.
 */
napi_value changed_tiles(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 9) return failed(env, "changedTiles: 9 arguments");
  int32_t n[6];
  const int at[6] = { 2, 3, 4, 5, 6, 8 };
  for (int i = 0; i < 6; i++) {
    if (napi_get_value_int32(env, argv[at[i]], &n[i]) != napi_ok || n[i] < 0) return failed(env, "changedTiles: bad number");
  }
  const uint32_t width = (uint32_t)n[0], x = (uint32_t)n[1], y = (uint32_t)n[2], w = (uint32_t)n[3], h = (uint32_t)n[4], cols = (uint32_t)n[5];
  size_t aLength, bLength, changedLength;
  void *a, *b, *changed;
  if (!typed(env, argv[0], napi_uint8_array, &aLength, &a) || !typed(env, argv[1], napi_uint8_array, &bLength, &b)) return failed(env, "changedTiles: the pictures are Uint8Arrays");
  if (!typed(env, argv[7], napi_uint8_array, &changedLength, &changed)) return failed(env, "changedTiles: the map is a Uint8Array");
  if (w == 0 || h == 0 || x + (uint64_t)w > width || cols < (width + TILE - 1) / TILE) return failed(env, "changedTiles: bad region");
  const uint64_t end = ((uint64_t)y + h) * width * 4;
  if (end > aLength || end > bLength) return failed(env, "changedTiles: the region is outside the pictures");
  if ((uint64_t)((y + h - 1) / TILE + 1) * cols > changedLength) return failed(env, "changedTiles: the map is too short");
  for (uint32_t row = y; row < y + h; row++) mark_span(a, b, width, row, x, x + w, changed, cols);
  return NULL;
}

/* The most moves scrollTiles takes in one call (the scroll search finds one per strip of the screen at most). */
#define MAX_MOVES 256

/*
 * scrollTiles(a, b, width, x, y, w, h, moves, count, changed, cols): moves the rectangles of `a` that `moves` (an
 * Int32Array of `count` quintets x, y, w, h, dy) holds, each by dy rows as if read whole before any of it is written
 * (moveRect in tiles.ts), and marks in `changed` the tiles of the region (x, y, w, h) where `a`, once moved, differs
 * from `b`: bit for bit what moving them all and then changedTiles over the region do, when no move's rectangle or
 * destination overlaps another's (the caller's to check). Each moved row is compared as soon as it is written, while
 * it is still in the cache; the rest of the region after the moves. After a page scrolled, the comparison read the
 * whole moved picture again from memory (8 MB at 1080p, on a machine whose cache the X server and the browser share).
 */
napi_value scroll_tiles(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 11) return failed(env, "scrollTiles: 11 arguments");
  int32_t n[7];
  const int at[7] = { 2, 3, 4, 5, 6, 8, 10 };
  for (int i = 0; i < 7; i++) {
    if (napi_get_value_int32(env, argv[at[i]], &n[i]) != napi_ok || n[i] < 0) return failed(env, "scrollTiles: bad number");
  }
  const uint32_t width = (uint32_t)n[0], x = (uint32_t)n[1], y = (uint32_t)n[2], w = (uint32_t)n[3], h = (uint32_t)n[4], count = (uint32_t)n[5], cols = (uint32_t)n[6];
  size_t aLength, bLength, movesLength, changedLength;
  void *a, *b, *movesData, *changed;
  if (!typed(env, argv[0], napi_uint8_array, &aLength, &a) || !typed(env, argv[1], napi_uint8_array, &bLength, &b)) return failed(env, "scrollTiles: the pictures are Uint8Arrays");
  if (!typed(env, argv[7], napi_int32_array, &movesLength, &movesData)) return failed(env, "scrollTiles: the moves are an Int32Array");
  if (!typed(env, argv[9], napi_uint8_array, &changedLength, &changed)) return failed(env, "scrollTiles: the map is a Uint8Array");
  if (width == 0 || w == 0 || h == 0 || x + (uint64_t)w > width || cols < (width + TILE - 1) / TILE) return failed(env, "scrollTiles: bad region");
  if (((uint64_t)y + h) * width * 4 > aLength || ((uint64_t)y + h) * width * 4 > bLength) return failed(env, "scrollTiles: the region is outside the pictures");
  if ((uint64_t)((y + h - 1) / TILE + 1) * cols > changedLength) return failed(env, "scrollTiles: the map is too short");
  if (count > MAX_MOVES || (uint64_t)count * 5 > movesLength) return failed(env, "scrollTiles: bad moves");
  /* Rows every picture holds whole (a move may reach outside the region, not outside the pictures). */
  const uint64_t rows = (aLength < bLength ? aLength : bLength) / 4 / width;
  const int32_t *moves = movesData;
  for (uint32_t i = 0; i < count; i++) {
    const int32_t *m = moves + i * 5;
    if (m[0] < 0 || m[1] < 0 || m[2] <= 0 || m[3] <= 0 || (uint64_t)m[0] + (uint64_t)m[2] > width) return failed(env, "scrollTiles: a move is outside the pictures");
    const int64_t top = (int64_t)m[1] + (m[4] < 0 ? m[4] : 0), bottom = (int64_t)m[1] + m[3] + (m[4] > 0 ? m[4] : 0);
    if (top < 0 || (uint64_t)bottom > rows) return failed(env, "scrollTiles: a move is outside the pictures");
  }
  uint8_t *pa = a;
  const uint8_t *pb = b;
  uint8_t *map = changed;
  const size_t stride = (size_t)width * 4;
  const uint32_t right = x + w, bottom = y + h;
  /* Each move, its rows in the order that never reads a row already written, each compared once written. */
  for (uint32_t i = 0; i < count; i++) {
    const int32_t *m = moves + i * 5;
    const uint32_t mx = (uint32_t)m[0], my = (uint32_t)m[1], mw = (uint32_t)m[2], mh = (uint32_t)m[3];
    const int32_t dy = m[4];
    const uint32_t cx0 = mx > x ? mx : x, cx1 = mx + mw < right ? mx + mw : right;
    for (uint32_t k = 0; k < mh; k++) {
      const uint32_t row = dy > 0 ? mh - 1 - k : k;
      const uint32_t from = my + row, to = (uint32_t)((int64_t)from + dy);
      memmove(pa + (size_t)to * stride + (size_t)mx * 4, pa + (size_t)from * stride + (size_t)mx * 4, (size_t)mw * 4);
      if (to >= y && to < bottom) mark_span(pa, pb, width, to, cx0, cx1, map, cols);
    }
  }
  /* The rest of the region, row by row: the columns that no move's destination covers in that row. */
  uint32_t starts[MAX_MOVES], ends[MAX_MOVES];
  for (uint32_t row = y; row < bottom; row++) {
    uint32_t covered = 0;
    for (uint32_t i = 0; i < count; i++) {
      const int32_t *m = moves + i * 5;
      const int64_t top = (int64_t)m[1] + m[4];
      if ((int64_t)row < top || (int64_t)row >= top + m[3]) continue;
      const uint32_t c0 = (uint32_t)m[0] > x ? (uint32_t)m[0] : x;
      const uint32_t c1 = (uint32_t)m[0] + (uint32_t)m[2] < right ? (uint32_t)m[0] + (uint32_t)m[2] : right;
      if (c1 <= c0) continue;
      /* Kept in the order of their starts (an insertion: there are few). */
      uint32_t j = covered++;
      while (j > 0 && starts[j - 1] > c0) {
        starts[j] = starts[j - 1];
        ends[j] = ends[j - 1];
        j--;
      }
      starts[j] = c0;
      ends[j] = c1;
    }
    uint32_t from = x;
    for (uint32_t j = 0; j < covered; j++) {
      if (starts[j] > from) mark_span(pa, pb, width, row, from, starts[j], map, cols);
      if (ends[j] > from) from = ends[j];
    }
    mark_span(pa, pb, width, row, from, right, map, cols);
  }
  return NULL;
}

/*
 * anchors(pixels, width, x, y, w, h, step, bits, only, onlyCols, keyLength, roll, out): the anchors of the box (x, y,
 * w, h), rows `step` apart, only in tiles that `only` marks (a Uint8Array tile map `onlyCols` tiles a row; null: all):
 * the places where a row's colour changes and the rolling hash of the `keyLength` pixels from there has its top `bits`
 * clear. Writes (key, index) pairs to `out` (a Uint32Array), in scan order; returns their number, or -1 when `out`
 * is too short (nothing to use then).
 */
napi_value anchors(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 13) return failed(env, "anchors: 13 arguments");
  int32_t n[10];
  const int at[10] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11 };
  for (int i = 0; i < 10; i++) {
    if (napi_get_value_int32(env, argv[at[i]], &n[i]) != napi_ok) return failed(env, "anchors: bad number");
  }
  const uint32_t roll = (uint32_t)n[9];
  for (int i = 0; i < 9; i++) {
    if (n[i] < 0) return failed(env, "anchors: bad number");
  }
  const uint32_t width = (uint32_t)n[0], x = (uint32_t)n[1], y = (uint32_t)n[2], w = (uint32_t)n[3], h = (uint32_t)n[4];
  const uint32_t step = (uint32_t)n[5], bits = (uint32_t)n[6], onlyCols = (uint32_t)n[7], keyLength = (uint32_t)n[8];
  size_t pixelsLength, outLength, onlyLength = 0;
  void *pixels, *out, *only = NULL;
  if (!typed(env, argv[0], napi_uint8_array, &pixelsLength, &pixels)) return failed(env, "anchors: pixels is not a Uint8Array");
  if (!typed(env, argv[12], napi_uint32_array, &outLength, &out)) return failed(env, "anchors: out is not a Uint32Array");
  napi_valuetype kind;
  if (napi_typeof(env, argv[8], &kind) != napi_ok) return failed(env, "anchors: bad map");
  if (kind != napi_null && !typed(env, argv[8], napi_uint8_array, &onlyLength, &only)) return failed(env, "anchors: the map is a Uint8Array or null");
  if (step == 0 || bits == 0 || bits > 31 || keyLength == 0 || x + (uint64_t)w > width) return failed(env, "anchors: bad box or parameters");
  if (((uint64_t)y + h) * width * 4 > pixelsLength) return failed(env, "anchors: the box is outside the pixels");
  if (only && (onlyCols < (x + w + TILE - 1) / TILE || (h > 0 && (uint64_t)((y + h - 1) / TILE + 1) * onlyCols > onlyLength))) return failed(env, "anchors: the map is too short");
  napi_value result;
  if (w <= keyLength) {
    napi_create_int32(env, 0, &result);
    return result;
  }
  const uint8_t *p = pixels;
  const uint8_t *map = only;
  uint32_t *pairs = out;
  const size_t capacity = outLength / 2;
  size_t count = 0;
  /* roll^keyLength, to take the pixel that leaves the window out of the hash. */
  uint32_t leave = 1;
  for (uint32_t k = 0; k < keyLength; k++) leave *= roll;
  const uint32_t shift = 32 - bits;
  const uint32_t left = x, right = x + w;
  for (uint32_t row = y; row < y + h; row += step) {
    const size_t base = (size_t)row * width;
    const uint8_t *tiles = map ? map + (size_t)(row / TILE) * onlyCols : NULL;
    for (uint32_t from = left; from < right;) {
      while (from < right && tiles && !tiles[from / TILE]) from = (from / TILE + 1) * TILE;
      uint32_t to = from;
      while (to < right && (!tiles || tiles[to / TILE])) to = tiles ? (to / TILE + 1) * TILE : right;
      if (to > right) to = right;
      /* Anchors start in [from, to); their keys may reach past `to`, never past the box. */
      const int64_t last = (int64_t)to - 1 < (int64_t)right - keyLength ? (int64_t)to - 1 : (int64_t)right - keyLength;
      if ((int64_t)from <= last) {
        uint32_t hash = 0;
        for (size_t i = base + from; i < base + from + keyLength; i++) hash = hash * roll + colour_at(p + i * 4);
        for (size_t start = base + from;; start++) {
          if ((hash >> shift) == 0 && start > base + left && colour_at(p + start * 4) != colour_at(p + (start - 1) * 4)) {
            if (count == capacity) {
              napi_create_int32(env, -1, &result);
              return result;
            }
            pairs[count * 2] = hash;
            pairs[count * 2 + 1] = (uint32_t)start;
            count++;
          }
          if (start >= base + (size_t)last) break;
          hash = hash * roll + colour_at(p + (start + keyLength) * 4) - colour_at(p + start * 4) * leave;
        }
      }
      from = to;
    }
  }
  napi_create_int32(env, (int32_t)count, &result);
  return result;
}
