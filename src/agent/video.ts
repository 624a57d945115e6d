/**
 * Content that changes every frame (a video, an animation), found from the encoder's changed tiles (agent
 * process, pure): such a region goes as lossy WebP (webp.ts) at a quality that keeps it within a bit budget, and
 * once it settles it goes once more losslessly, so that the picture the helper keeps is exact. Everything else
 * stays on the lossless path.
 *
 * A tile is hot when it changed in place (not as part of a scroll or a moved window) at least HOT_CHANGES times
 * within HOT_WINDOW_MS. Time rather than a count of captures: captures come whenever anything on the screen
 * changes, so a video beside a blinking caret or a spinner would otherwise change in only some of them. And the
 * times of the changes are the X server's reports where there are some (damage.ts), not only the captures': on a
 * slow link a capture waits for the link, a second or more apart, and a video would never be seen changing five
 * times a second. A tile's changes are counted at most one per MIN_CHANGE_GAP_MS (a frame drawn in several
 * requests is one change). A video
 * region is a box of hot tiles, connected, at least MIN_TILES large and mostly hot: typing (a few tiles, each
 * changing a few times), a spinner or a progress bar stay lossless, and so does the text that a scroll brings in
 * (its tiles lie under the scroll's copy and are not counted).
 *
 * Tiles painted lossily are "approximate" until a lossless paint covers them; when none of them has changed for
 * SETTLE_MS, `settled()` names them, and the encoder paints them again from the exact pixels.
 */

import { overlaps, type Rect } from '../shared/screenUpdate';
import type { DamageReport } from './damage';
import { TILE, tileMap, type TileMap } from './tiles';

/** Changes in place that make a tile hot, and the window they must fall in (at least 5 changes a second). */
const HOT_CHANGES = 5;
const HOT_WINDOW_MS = 1000;
/** Changes of a tile closer than this are one (the requests that draw one frame; at most 60 changes a second). */
const MIN_CHANGE_GAP_MS = 15;
/**
 * A video region covers at least this many tiles (a 256x192 px box), most of them hot: smaller animations (a
 * spinner, an animated icon, the bench's 208x80 barcode that changes 60 times a second) cost little as PNG.
 */
const MIN_TILES = 48;
const MIN_HOT_SHARE = 0.6;
/** Approximate pixels unchanged for this long are painted again losslessly. */
export const SETTLE_MS = 300;

/** The lossy pictures' bit budget, and the quality range it is kept in. */
export const VIDEO_BUDGET_BPS = 4_000_000;
const QUALITY_MIN = 25;
const QUALITY_MAX = 80;
const QUALITY_START = 70;
/** Bytes sent lossily are counted over this window to judge the rate. */
const RATE_WINDOW_MS = 1000;

export class VideoRegions {
  private readonly cols: number;
  private readonly rows: number;
  /** Per tile, the times of its last HOT_CHANGES changes in place, a ring each. */
  private readonly changes: Float64Array;
  private readonly next: Uint8Array;
  /** Per tile: painted lossily and not painted exactly since (0), else when it last changed. */
  private readonly approxAt: Float64Array;
  private approxCount = 0;
  /** When the last capture's changes were observed. */
  private observedAt = -Infinity;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    this.cols = Math.ceil(width / TILE);
    this.rows = Math.ceil(height / TILE);
    this.changes = new Float64Array(this.cols * this.rows * HOT_CHANGES).fill(-Infinity);
    this.next = new Uint8Array(this.cols * this.rows);
    this.approxAt = new Float64Array(this.cols * this.rows);
  }

  /**
   * One capture's changes: the tiles set in `changed` changed in place; `moved` are the rectangles that scrolls and
   * moved windows covered (source and destination), whose tiles are motion, not video, and start over, except
   * inside `playing` (the regions found before this capture): a copy found over a video (text that repeats beside
   * it, say) is painted over by the video's next picture, and must not stop it.
   *
   * When: at the times of the `reports` that touch a tile (the X server's, since the capture before), else at
   * `now`; but a tile inside `stale` (changes the capture before left pending) that no report touches did not
   * change again, it only still differs. A report that touches a scroll or a moved window dates nothing: it is the
   * redraw that moved it, and tells nothing of what changed in place (else a page scrolled 60 times a second,
   * reported whole each time, made every tile the scroll search missed hot at once).
   */
  observe(changed: Uint8Array | undefined, moved: readonly Rect[], now: number, playing: readonly Rect[] = [], heard: { readonly reports?: readonly DamageReport[] | undefined; readonly stale?: readonly Rect[] } = {}): void {
    this.observedAt = now;
    const motion = (t: number) => this.touches(t, moved) && !this.touches(t, playing);
    for (const r of moved) {
      this.forTiles(r, (t) => {
        if (motion(t)) this.changes.fill(-Infinity, t * HOT_CHANGES, (t + 1) * HOT_CHANGES);
      });
    }
    if (!changed) return;
    // Tiles that a report or the capture itself dates (1), and those left pending that nothing dates (2).
    const dated = new Uint8Array(changed.length);
    for (const { rect, at } of heard.reports ?? []) {
      if (moved.some((m) => overlaps(m, rect))) continue;
      this.forTiles(rect, (t) => {
        if (!changed[t] || motion(t)) return;
        dated[t] = 1;
        this.changedAt(t, at);
      });
    }
    for (const r of heard.stale ?? []) this.forTiles(r, (t) => (dated[t] ||= 2));
    for (let t = 0; t < changed.length; t++) {
      if (changed[t] && !dated[t] && !motion(t)) this.changedAt(t, now);
    }
  }

  /**
   * The regions of content that changes every frame, in pixels, as the captures before `now` found them: as of the
   * last one, or HOT_WINDOW_MS before `now` if that was longer ago. (On a slow link captures come a second or more
   * apart: what the reports of the last one showed playing is still playing now, as far as anyone can tell.)
   */
  regionsAt(now: number): Rect[] {
    return this.search(Math.max(this.observedAt, now - HOT_WINDOW_MS));
  }

  /** The tiles of `rect` were painted lossily at `now`: approximate until painted exactly. */
  paintedLossy(rect: Rect, now: number): void {
    this.forTiles(rect, (t) => {
      if (this.approxAt[t] === 0) this.approxCount++;
      this.approxAt[t] = now;
    });
  }

  /** Pixels of `rect` changed and were painted exactly: approximate tiles wholly inside it are exact again. */
  paintedExact(rect: Rect): void {
    if (this.approxCount === 0) return;
    const c0 = Math.ceil(rect.x / TILE);
    const r0 = Math.ceil(rect.y / TILE);
    const c1 = rect.x + rect.width >= this.width ? this.cols : Math.floor((rect.x + rect.width) / TILE);
    const r1 = rect.y + rect.height >= this.height ? this.rows : Math.floor((rect.y + rect.height) / TILE);
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) this.clear(r * this.cols + c);
    }
  }

  /**
   * The helper copied `rect` by (dx, dy): what it copied from approximate tiles is approximate where it lands.
   * Tiles the copy lands on from exact ones stay as they were (conservative: a tile is only ever made approximate).
   */
  copied(rect: Rect, dx: number, dy: number, now: number): void {
    if (this.approxCount === 0) return;
    let fromApprox = false;
    this.forTiles(rect, (t) => {
      if (this.approxAt[t] !== 0) fromApprox = true;
    });
    if (fromApprox) this.paintedLossy({ ...rect, x: rect.x + dx, y: rect.y + dy }, now);
  }

  /** Approximate tiles changed at `now` (not yet settled). */
  touched(tiles: TileMap, now: number): void {
    if (this.approxCount === 0) return;
    for (let t = 0; t < tiles.changed.length; t++) if (tiles.changed[t] && this.approxAt[t] !== 0) this.approxAt[t] = now;
  }

  /**
   * Approximate tiles unchanged for SETTLE_MS at `now`, as a tile map for the encoder to paint exactly (and
   * forgotten as approximate); undefined when there are none.
   */
  settled(now: number): TileMap | undefined {
    if (this.approxCount === 0) return undefined;
    const changed = new Uint8Array(this.cols * this.rows);
    for (let t = 0; t < changed.length; t++) {
      const at = this.approxAt[t]!;
      if (at === 0 || now - at < SETTLE_MS) continue;
      this.clear(t);
      changed[t] = 1;
    }
    return tileMap(changed, this.cols, this.rows, this.width, this.height);
  }

  /** Milliseconds until approximate tiles may settle, at `now`; undefined when none is approximate. */
  settleDueIn(now: number): number | undefined {
    if (this.approxCount === 0) return undefined;
    let latest = Infinity;
    for (const at of this.approxAt) if (at !== 0) latest = Math.min(latest, at);
    return Math.max(0, latest + SETTLE_MS - now);
  }

  /** Tile `t` changed in place at `at` (reports come in time order; a change too soon after the last is the same one). */
  private changedAt(t: number, at: number): void {
    const last = this.changes[t * HOT_CHANGES + ((this.next[t]! + HOT_CHANGES - 1) % HOT_CHANGES)]!;
    if (at - last < MIN_CHANGE_GAP_MS) return;
    this.changes[t * HOT_CHANGES + this.next[t]!] = at;
    this.next[t] = (this.next[t]! + 1) % HOT_CHANGES;
  }

  private clear(t: number): void {
    if (this.approxAt[t] === 0) return;
    this.approxAt[t] = 0;
    this.approxCount--;
  }

  private hot(t: number, now: number): boolean {
    // The ring's oldest entry is the HOT_CHANGES-th change ago.
    return now - this.changes[t * HOT_CHANGES + this.next[t]!]! <= HOT_WINDOW_MS;
  }

  /** Boxes of connected hot tiles, large and dense enough. */
  private search(now: number): Rect[] {
    const n = this.cols * this.rows;
    const hot = new Uint8Array(n);
    let any = 0;
    for (let t = 0; t < n; t++) {
      if (!this.hot(t, now)) continue;
      hot[t] = 1;
      any++;
    }
    if (any < MIN_TILES) return [];
    const seen = new Uint8Array(n);
    const regions: Rect[] = [];
    const stack: number[] = [];
    for (let start = 0; start < n; start++) {
      if (!hot[start] || seen[start]) continue;
      let count = 0;
      let c0 = this.cols;
      let c1 = -1;
      let r0 = this.rows;
      let r1 = -1;
      seen[start] = 1;
      stack.push(start);
      while (stack.length > 0) {
        const t = stack.pop()!;
        const c = t % this.cols;
        const r = (t - c) / this.cols;
        count++;
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, c);
        r0 = Math.min(r0, r);
        r1 = Math.max(r1, r);
        const visit = (u: number) => {
          if (hot[u] && !seen[u]) {
            seen[u] = 1;
            stack.push(u);
          }
        };
        if (c > 0) visit(t - 1);
        if (c + 1 < this.cols) visit(t + 1);
        if (r > 0) visit(t - this.cols);
        if (r + 1 < this.rows) visit(t + this.cols);
      }
      const box = (c1 - c0 + 1) * (r1 - r0 + 1);
      if (box < MIN_TILES || count < box * MIN_HOT_SHARE) continue;
      const x = c0 * TILE;
      const y = r0 * TILE;
      regions.push({ x, y, width: Math.min(this.width, (c1 + 1) * TILE) - x, height: Math.min(this.height, (r1 + 1) * TILE) - y });
    }
    return regions;
  }

  /** Whether tile `t` overlaps any of `rects`. */
  private touches(t: number, rects: readonly Rect[]): boolean {
    if (rects.length === 0) return false;
    const c = t % this.cols;
    const r = (t - c) / this.cols;
    const tile = { x: c * TILE, y: r * TILE, width: TILE, height: TILE };
    return rects.some((m) => overlaps(tile, m));
  }

  /** Calls `f` with every tile that `rect` touches. */
  private forTiles(rect: Rect, f: (t: number) => void): void {
    const c0 = Math.max(0, Math.floor(rect.x / TILE));
    const r0 = Math.max(0, Math.floor(rect.y / TILE));
    const c1 = Math.min(this.cols, Math.ceil((rect.x + rect.width) / TILE));
    const r1 = Math.min(this.rows, Math.ceil((rect.y + rect.height) / TILE));
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) f(r * this.cols + c);
  }
}

/**
 * The lossy pictures' quality, kept so that their bytes stay within the budget: down quickly when over it, up
 * slowly when well under it. The budget is VIDEO_BUDGET_BPS until the host passes what the link leaves room for
 * (each capture request may carry it: src/host/linkEstimate.ts).
 */
export class VideoQuality {
  quality = QUALITY_START;
  private readonly sent: { at: number; bytes: number }[] = [];

  constructor(public budgetBps = VIDEO_BUDGET_BPS) {}

  /** A lossy picture of `bytes` went out at `now`. */
  record(bytes: number, now: number): void {
    this.sent.push({ at: now, bytes });
    while (this.sent.length > 0 && now - this.sent[0]!.at > RATE_WINDOW_MS) this.sent.shift();
    const first = this.sent[0]!;
    const span = now - first.at;
    // Less than a fifth of the window seen: no rate to judge yet.
    if (span < RATE_WINDOW_MS / 5) return;
    // The bytes sent after the window's first picture, over the time since it.
    const bps = ((this.sent.reduce((n, s) => n + s.bytes, 0) - first.bytes) * 8 * 1000) / span;
    if (bps > this.budgetBps) this.quality = Math.max(QUALITY_MIN, this.quality - 5);
    else if (bps < this.budgetBps * 0.7) this.quality = Math.min(QUALITY_MAX, this.quality + 1);
  }
}
