/**
 * Finding scrolls (agent process, pure): where the changed band of a capture is the old picture moved up or down,
 * by any distance, whatever the content's repetition, per column strip where an editor and its minimap scroll by
 * their own distances. The encoder sends what it finds as one copy plus the rows that came in.
 */

import type { Rect } from '../shared/screenUpdate';
import { words } from './tiles';


/** Columns of the changed box are searched for a scroll in strips this wide (editor, minimap and sidebar differ). */
const STRIP = 64;
/** Share of a sparse strip's changed rows that a borrowed distance must explain. */
const SPARSE_AGREEMENT = 0.9;
/**
 * A changed row suggests the distance to each old row that looks the same; a look shared by more old rows than
 * this (a blank line, a lone brace) suggests only the distances to the nearest ones.
 */
const MATCHES_PER_ROW = 8;
/** Distances checked row by row, best suggested first: what bounds the cost whatever the content. */
const CANDIDATES = 6;
/** Of those, checked against the pixels, on this many rows at most. */
const VERIFIED = 2;
const VERIFIED_ROWS = 96;
/** A scroll must spare the encoding of at least this many rows that are not one colour. */
const SCROLL_MIN_GAIN = 2;
/** The whole box is one scroll when one distance explains this share of its changed rows; else strip by strip. */
const WHOLE_BOX_SHARE = 0.5;

/**
 * Rows are hashed on one pixel in SAMPLE (what a scroll search costs is mostly this pass over both pictures); a
 * row that differs only between the samples is caught by the pixel checks, and what a copy leaves wrong is sent.
 */
const SAMPLE = 3;

/** A row's hash (one pixel in SAMPLE), and whether it is one colour (such rows never suggest a distance). */
interface RowPrints {
  readonly hash: Uint32Array;
  readonly plain: Uint8Array;
}

/**
 * The scrolls that explain a change of `box`: the box as a whole, else each strip of STRIP columns on its own
 * (an editor and its minimap scroll by different amounts, a sidebar not at all). A strip too sparse to vote on
 * its own (short lines, blank margins) takes a distance found elsewhere if nearly all its changed rows agree
 * with it. Neighbouring strips that moved alike become one copy, widened column by column to where the moved
 * content ends and cut to the rows it explains; its rectangle is in `before`'s coordinates.
 */
export function findScrolls(before: Uint8Array, after: Uint8Array, width: number, box: Rect, carry?: PrintCarry, hashRows?: HashRows): { rect: Rect; dy: number }[] {
  // One pass over each picture hashes the rows of every strip, and of the box from those; rows of `before` that the
  // last search hashed in its `after`, unchanged since (the caller says), are not hashed again.
  const known = carry?.take();
  const old = rowPrints(before, width, box, known, hashRows);
  if (known && carry?.checked && !samePrints(old, rowPrints(before, width, box))) throw new Error('the row prints carried from the last scroll search are not those of this old picture');
  const now = rowPrints(after, width, box, undefined, hashRows);
  carry?.keep(now);
  // The common case first: the whole box moved alike.
  const whole = bestScroll(before, after, width, box, old.whole, now.whole);
  if (whole && whole.gain >= whole.changed * WHOLE_BOX_SHARE) {
    const rect = scrollRect(before, after, width, box, box.x, box.x + box.width, whole.dy);
    return rect ? [{ rect, dy: whole.dy }] : [];
  }
  const strips: { x: number; width: number; old: RowPrints; now: RowPrints; dy: number }[] = [];
  for (let k = 0, x = box.x; x < box.x + box.width; k++, x += STRIP) {
    const strip = { x, y: box.y, width: Math.min(STRIP, box.x + box.width - x), height: box.height };
    const o = old.strips[k]!;
    const n = now.strips[k]!;
    strips.push({ x, width: strip.width, old: o, now: n, dy: bestScroll(before, after, width, strip, o, n)?.dy ?? 0 });
  }
  const candidates = [...new Set(strips.map((s) => s.dy).filter((dy) => dy !== 0))];
  for (const strip of strips) {
    if (strip.dy !== 0) continue;
    for (const dy of candidates) {
      if (agrees(strip.old, strip.now, dy)) {
        strip.dy = dy;
        break;
      }
    }
  }
  const found: { x0: number; x1: number; dy: number }[] = [];
  for (const { x, width: w, dy } of strips) {
    if (dy === 0) continue;
    const last = found[found.length - 1];
    if (last && last.dy === dy && last.x1 === x) last.x1 = x + w;
    else found.push({ x0: x, x1: x + w, dy });
  }
  // A region's edge seldom falls on a strip's: widen each copy over the columns next to it that moved with it
  // (up to a strip of them: a column that moved is a pass over the rows), and over strips of one colour
  // throughout (a blank margin, which had nothing to vote with: moving it changes nothing).
  const rows = (dy: number) => ({ from: Math.max(0, dy), to: box.height + Math.min(0, dy) });
  const blank = strips.map((st) => isBlank(st.old, st.now));
  const stripAt = (x: number) => ((x - box.x) / STRIP) | 0;
  for (let k = 0; k < found.length; k++) {
    const f = found[k]!;
    const left = k > 0 ? found[k - 1]!.x1 : box.x;
    for (let budget = STRIP; f.x0 > left; ) {
      const b = strips[stripAt(f.x0 - 1)]!;
      if (b.x + b.width === f.x0 && b.x >= left && blank[stripAt(b.x)]) f.x0 = b.x;
      else if (budget-- > 0 && columnMoved(before, after, width, box, f.x0 - 1, rows(f.dy), f.dy)) f.x0--;
      else break;
    }
    const right = k + 1 < found.length ? found[k + 1]!.x0 : box.x + box.width;
    for (let budget = STRIP; f.x1 < right; ) {
      const b = strips[stripAt(f.x1)]!;
      if (b.x === f.x1 && b.x + b.width <= right && blank[stripAt(b.x)]) f.x1 = b.x + b.width;
      else if (budget-- > 0 && columnMoved(before, after, width, box, f.x1, rows(f.dy), f.dy)) f.x1++;
      else break;
    }
  }
  // Copies by the same distance with columns between them that moved alike too (a blank margin, which had
  // nothing to vote with) are one.
  const merged: typeof found = [];
  for (const f of found) {
    const last = merged[merged.length - 1];
    if (last && last.dy === f.dy && (last.x1 === f.x0 || blockMoved(before, after, width, box, last.x1, f.x0, rows(f.dy), f.dy))) last.x1 = f.x1;
    else merged.push({ ...f });
  }
  const out: { rect: Rect; dy: number }[] = [];
  for (const { x0, x1, dy } of merged) {
    const rect = scrollRect(before, after, width, box, x0, x1, dy);
    if (rect) out.push({ rect, dy });
  }
  return out;
}

/** How far the content of `box` moved down (positive) or up (negative), or 0 when no vertical scroll explains it. */
export function findVerticalScroll(before: Uint8Array, after: Uint8Array, width: number, box: Rect): number {
  return bestScroll(before, after, width, box, rowPrints(before, width, box).whole, rowPrints(after, width, box).whole)?.dy ?? 0;
}

/**
 * The distance that explains the most of the change of `box`, and how many rows it spares (`gain`) of the
 * `changed` rows that are not one colour and stay on the screen; undefined when none spares SCROLL_MIN_GAIN.
 *
 * Rows need not be unique (code repeats: blank rows, braces, the same call again): every changed row suggests
 * the distance to each old row with its hash, weighted so that a common look counts once in all. The few best
 * suggested distances are then scored row by row (rows it makes right minus rows it makes wrong, one-colour rows
 * left out), and the best two checked against the pixels. Any distance up to the box's height can win.
 */
function bestScroll(before: Uint8Array, after: Uint8Array, width: number, box: Rect, old: RowPrints, now: RowPrints): { dy: number; gain: number; changed: number } | undefined {
  const n = now.hash.length;
  // The old rows by look: keys hash * ROWS + row, sorted, so that the rows of one look are a run in row order.
  // (A Map of arrays did the same with ~n small objects a call, and a page scrolled 30 times a second was most of
  // the agent's garbage: typed arrays kept from call to call make none.)
  const sorted = scratchKeys(n);
  let m = 0;
  for (let j = 0; j < n; j++) if (!old.plain[j]) sorted[m++] = old.hash[j]! * ROWS + j;
  const keys = sorted.subarray(0, m).sort();
  const votes = scratchVotes(2 * n);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    if (now.hash[i] === old.hash[i] || now.plain[i]) continue;
    changed++;
    const look = now.hash[i]! * ROWS;
    let lo = lowerBound(keys, look, 0, m);
    let hi = lowerBound(keys, look + ROWS, lo, m);
    if (lo === hi) continue;
    if (hi - lo > MATCHES_PER_ROW) {
      // The nearest ones: among lines alike, the shortest distance is as good as any and likelier.
      const p = lowerBound(keys, look + i, lo, hi);
      lo = Math.max(lo, Math.min(p - MATCHES_PER_ROW / 2, hi - MATCHES_PER_ROW));
      hi = lo + MATCHES_PER_ROW;
    }
    const w = 1 / (hi - lo);
    for (let k = lo; k < hi; k++) {
      const at = i - (keys[k]! - look) + n;
      votes[at] = votes[at]! + w;
    }
  }
  if (changed === 0) return undefined;
  // The best suggested distances, kept sorted, best first.
  const best: { dy: number; votes: number }[] = [];
  for (let k = 0; k < 2 * n; k++) {
    const v = votes[k]!;
    if (v <= 0 || k === n || (best.length === CANDIDATES && v <= best[CANDIDATES - 1]!.votes)) continue;
    let p = best.length;
    while (p > 0 && best[p - 1]!.votes < v) p--;
    best.splice(p, 0, { dy: k - n, votes: v });
    if (best.length > CANDIDATES) best.pop();
  }
  const scored = best.map(({ dy }) => ({ dy, gain: hashGain(old, now, dy) })).sort((a, b) => b.gain - a.gain).slice(0, VERIFIED);
  let winner: { dy: number; gain: number; changed: number } | undefined;
  for (const { dy, gain } of scored) {
    if (gain < SCROLL_MIN_GAIN) continue;
    const exact = pixelGain(before, after, width, box, old, now, dy);
    if (exact.gain >= SCROLL_MIN_GAIN && (!winner || exact.gain > winner.gain)) winner = { dy, ...exact };
  }
  return winner;
}

/** Rows of a box are fewer than this: a row's key is hash * ROWS + row, exact in a double (2^32 * 2^21 = 2^53). */
const ROWS = 2 ** 21;
let keyScratch = new Float64Array(0);
let voteScratch = new Float64Array(0);

/** bestScroll's keys, at least `n` of them (grown, never shrunk: the box is at most the screen). */
function scratchKeys(n: number): Float64Array {
  if (keyScratch.length < n) keyScratch = new Float64Array(n);
  return keyScratch;
}

/** bestScroll's votes, `n` of them, all 0. */
function scratchVotes(n: number): Float64Array {
  if (voteScratch.length < n) voteScratch = new Float64Array(n);
  const votes = voteScratch.subarray(0, n);
  votes.fill(0);
  return votes;
}

/** The first index in [lo, hi) of sorted `keys` whose key is at least `key` (hi when none is). */
function lowerBound(keys: Float64Array, key: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows (not one colour) that moving by dy makes right, minus those it makes wrong, by their hashes. */
function hashGain(old: RowPrints, now: RowPrints, dy: number): number {
  let gain = 0;
  for (let i = Math.max(0, dy); i < now.hash.length + Math.min(0, dy); i++) {
    if (now.plain[i]) continue;
    const h = now.hash[i]!;
    if (h === old.hash[i - dy]) gain++;
    if (h === old.hash[i]) gain--;
  }
  return gain;
}

/**
 * The same, checked against the pixels (the hashes skip pixels, and may collide) on at most
 * VERIFIED_ROWS rows spread over the box and scaled up; with the changed rows (not one colour) that a move by dy
 * could explain at best: those that stay on the screen.
 */
function pixelGain(before: Uint8Array, after: Uint8Array, width: number, box: Rect, old: RowPrints, now: RowPrints, dy: number): { gain: number; changed: number } {
  const A = Buffer.from(before.buffer, before.byteOffset, before.byteLength);
  const B = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  const span = box.width * 4;
  const lo = Math.max(0, dy);
  const hi = now.hash.length + Math.min(0, dy);
  let changed = 0;
  for (let i = lo; i < hi; i++) if (!now.plain[i] && now.hash[i] !== old.hash[i]) changed++;
  const step = Math.max(1, Math.floor((hi - lo) / VERIFIED_ROWS));
  let gain = 0;
  for (let i = lo; i < hi; i += step) {
    if (now.plain[i]) continue;
    const at = ((box.y + i) * width + box.x) * 4;
    const from = ((box.y + i - dy) * width + box.x) * 4;
    if (B.compare(A, from, from + span, at, at + span) === 0) gain++;
    if (B.compare(A, at, at + span, at, at + span) === 0) gain--;
  }
  return { gain: gain * step, changed };
}

/** Whether moving the old rows by dy explains nearly every changed row (a strip too sparse to vote on its own). */
function agrees(old: RowPrints, now: RowPrints, dy: number): boolean {
  let changed = 0;
  let explained = 0;
  for (let i = Math.max(0, dy); i < now.hash.length + Math.min(0, dy); i++) {
    if (now.hash[i] === old.hash[i]) continue;
    changed++;
    if (now.hash[i] === old.hash[i - dy]) explained++;
  }
  return changed > 0 && explained >= changed * SPARSE_AGREEMENT;
}

/** Whether column x of `box`, over rows [from, to) of the box, shows what it showed dy rows higher up. */
function columnMoved(before: Uint8Array, after: Uint8Array, width: number, box: Rect, x: number, rows: { from: number; to: number }, dy: number): boolean {
  const a32 = words(before);
  const b32 = words(after);
  for (let i = rows.from; i < rows.to; i++) {
    const at = (box.y + i) * width + x;
    if (b32[at] !== a32[at - dy * width]) return false;
  }
  return true;
}

/** Whether a strip is one colour throughout, before and after (as far as the hashes tell). */
function isBlank(old: RowPrints, now: RowPrints): boolean {
  const h = old.hash[0];
  for (let i = 0; i < old.hash.length; i++) if (!old.plain[i] || !now.plain[i] || old.hash[i] !== h || now.hash[i] !== h) return false;
  return true;
}

/** Whether columns [x0, x1) of `box`, over rows [from, to) of the box, show what they showed dy rows higher up. */
function blockMoved(before: Uint8Array, after: Uint8Array, width: number, box: Rect, x0: number, x1: number, rows: { from: number; to: number }, dy: number): boolean {
  const A = Buffer.from(before.buffer, before.byteOffset, before.byteLength);
  const B = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  const span = (x1 - x0) * 4;
  for (let i = rows.from; i < rows.to; i++) {
    const at = ((box.y + i) * width + x0) * 4;
    const from = at - dy * width * 4;
    if (B.compare(A, from, from + span, at, at + span) !== 0) return false;
  }
  return true;
}

/**
 * The copy for a scroll by dy of columns [x0, x1) of `box`, in `before`'s coordinates: the rows that stay on
 * screen, from the first to the last that the move makes right (rows beyond them would only be spoiled), grown
 * past the box while rows still match (the box holds the rows that changed: the rows a scroll brings in may have
 * been on the screen already, below or above it, unchanged).
 */
function scrollRect(before: Uint8Array, after: Uint8Array, width: number, box: Rect, x0: number, x1: number, dy: number): Rect | undefined {
  const height = Math.floor(before.length / 4 / width);
  const A = Buffer.from(before.buffer, before.byteOffset, before.byteLength);
  const B = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  const span = (x1 - x0) * 4;
  // Whether screen row y, where the copy lands, is right after it.
  const moved = (y: number) => {
    if (y < 0 || y >= height || y - dy < 0 || y - dy >= height) return false;
    const at = (y * width + x0) * 4;
    const from = at - dy * width * 4;
    return B.compare(A, from, from + span, at, at + span) === 0;
  };
  const lo = box.y + Math.max(0, dy);
  const hi = box.y + box.height + Math.min(0, dy);
  let top = lo;
  while (top < hi && !moved(top)) top++;
  if (top === hi) return undefined;
  let bottom = hi - 1;
  while (bottom > top && !moved(bottom)) bottom--;
  while (moved(top - 1)) top--;
  while (moved(bottom + 1)) bottom++;
  return { x: x0, y: top - dy, width: x1 - x0, height: bottom - top + 1 };
}

/** The row prints of a box of one picture: its whole rows' and each strip's. */
export interface BoxPrints {
  readonly box: Rect;
  readonly whole: RowPrints;
  readonly strips: RowPrints[];
}

/**
 * Row prints carried from one search to the next. While a page scrolls, each search hashes the rows of both pictures,
 * and the next search's `before` is the last one's `after` (what the helper shows once the update is applied): its
 * prints are kept here and taken by the next search for the rows the boxes share, which halves the hashing (the
 * agent's largest cost while scrolling). The caller keeps what goes with the pictures: it must `forget` whenever the
 * next `before` may differ from the last `after` in the box. A stale print could only cost a scroll found or a row
 * sent again, never a wrong picture (copies are checked against the pixels, and what they leave wrong is sent), but
 * it must not happen.
 */
export class PrintCarry {
  private kept: BoxPrints | undefined;

  /** checked: every search that takes prints hashes the old picture again too, and throws if they differ (tests). */
  constructor(readonly checked = false) {}

  keep(prints: BoxPrints): void {
    this.kept = prints;
  }

  /** The prints kept, once (undefined if forgotten). */
  take(): BoxPrints | undefined {
    const kept = this.kept;
    this.kept = undefined;
    return kept;
  }

  forget(): void {
    this.kept = undefined;
  }
}

function samePrints(a: BoxPrints, b: BoxPrints): boolean {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
  return same(a.whole.hash, b.whole.hash) && same(a.whole.plain, b.whole.plain) && a.strips.every((s, k) => same(s.hash, b.strips[k]!.hash) && same(s.plain, b.strips[k]!.plain));
}

/**
 * The hashes of the rows of each STRIP columns of `box` (one pixel in SAMPLE), and of its whole rows (from the
 * strips' hashes), in one pass; rows that `known` (prints of the same picture over the same columns) has are copied.
 */
function rowPrints(pixels: Uint8Array, width: number, box: Rect, known?: BoxPrints, hashRows: HashRows = hashRowsInJs): BoxPrints {
  const count = Math.ceil(box.width / STRIP);
  const h = box.height;
  // Each strip's prints are a part of one array, so that the native hashing writes them all in one call.
  const stripHash = new Uint32Array(count * h);
  const stripPlain = new Uint8Array(count * h);
  const strips = Array.from({ length: count }, (_, k) => ({ hash: stripHash.subarray(k * h, (k + 1) * h), plain: stripPlain.subarray(k * h, (k + 1) * h) }));
  const whole = { hash: new Uint32Array(h), plain: new Uint8Array(h) };
  // The rows [from, to) of this box that `known` has (same columns, so the same strips).
  const same = known !== undefined && known.box.x === box.x && known.box.width === box.width;
  const from = same ? Math.max(box.y, known.box.y) - box.y : 0;
  const to = same ? Math.min(box.y + h, known.box.y + known.box.height) - box.y : 0;
  const hash = (first: number, end: number): void => {
    if (first < end) hashRows(pixels, width, box.x, box.y, box.width, h, first, end, STRIP, SAMPLE, whole.hash, whole.plain, stripHash, stripPlain);
  };
  if (same && from < to) {
    const at = box.y + from - known.box.y;
    for (let k = 0; k < count; k++) {
      strips[k]!.hash.set(known.strips[k]!.hash.subarray(at, at + to - from), from);
      strips[k]!.plain.set(known.strips[k]!.plain.subarray(at, at + to - from), from);
    }
    whole.hash.set(known.whole.hash.subarray(at, at + to - from), from);
    whole.plain.set(known.whole.plain.subarray(at, at + to - from), from);
    hash(0, from);
    hash(to, h);
  } else {
    hash(0, h);
  }
  return { box, whole, strips };
}

/**
 * Hashes rows [from, to) of the box (x, y, w, h) of `pixels`, a picture `width` pixels wide: per strip of `strip`
 * columns, one pixel in `sample`, FNV-1a over the colours (the fourth byte left out), and whole rows over their strips'
 * hashes. Row r's prints go to wholeHash[r], wholePlain[r] (1: one colour) and, for strip k, stripHash[k * h + r],
 * stripPlain[k * h + r]. The agent uses the same hashing in native code where it is built (nativeKernels.ts).
 */
export type HashRows = (
  pixels: Uint8Array,
  width: number,
  x: number,
  y: number,
  w: number,
  h: number,
  from: number,
  to: number,
  strip: number,
  sample: number,
  wholeHash: Uint32Array,
  wholePlain: Uint8Array,
  stripHash: Uint32Array,
  stripPlain: Uint8Array,
) => void;

/** `HashRows` in JavaScript: everywhere the native one is not built. */
export const hashRowsInJs: HashRows = (pixels, width, x, y, w, h, from, to, strip, sample, wholeHash, wholePlain, stripHash, stripPlain) => {
  const p32 = words(pixels);
  const count = Math.ceil(w / strip);
  const right = x + w;
  for (let row = from; row < to; row++) {
    const base = (y + row) * width;
    const colour = p32[base + x]! & 0xffffff;
    let wh = 0x811c9dc5;
    let differ = 0;
    for (let k = 0; k < count; k++) {
      const x0 = x + k * strip;
      const x1 = Math.min(right, x0 + strip);
      const first = p32[base + x0]! & 0xffffff;
      let hash = 0x811c9dc5;
      let d = 0;
      for (let i = base + x0, end = base + x1; i < end; i += sample) {
        const p = p32[i]! & 0xffffff;
        d |= p ^ first;
        hash = Math.imul(hash ^ p, 16777619);
      }
      stripHash[k * h + row] = hash >>> 0;
      stripPlain[k * h + row] = d === 0 ? 1 : 0;
      wh = Math.imul(wh ^ hash, 16777619);
      differ |= d | (first ^ colour);
    }
    wholeHash[row] = wh >>> 0;
    wholePlain[row] = differ === 0 ? 1 : 0;
  }
};
