import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import decoderFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import decoderWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';
import { ScreenEncoder } from '../../src/agent/screenEncoder';
import { isAgentRequest } from '../../src/agent/contract';
import { SETTLE_MS, VIDEO_BUDGET_BPS, VideoQuality } from '../../src/agent/video';
import { loadWebpEncoder, type LossyEncoder } from '../../src/agent/webp';
import type { Pixels } from '../../src/agent/png';
import { encodePng } from '../../src/agent/png';
import { imageSize, webpSize } from '../../src/shared/frames';
import { decodedPixels, encodeUpdate, parseUpdate, type Rect, type ScreenUpdate } from '../../src/shared/screenUpdate';
import { checkFrame } from '../../src/webview/mediaReceiver';
import { LOSSY_MARK, apply } from '../support/screenPixels';

const W = 640;
const H = 400;
/** The "video": not on tile boundaries, as a player's picture seldom is. */
const VIDEO: Rect = { x: 70, y: 100, width: 320, height: 180 };
/** A capture every 33 ms: 30 fps. */
const FRAME_MS = 33;

/** A still screen of "text": dark background, short light runs on every other band of rows. */
function textScreen(): Pixels {
  const data = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const ink = y % 16 > 3 && y % 16 < 12 && (x * 7 + y * 3) % 11 < 4;
      data.set(ink ? [200, 210, 220, 255] : [30, 30, 30, 255], (y * W + x) * 4);
    }
  }
  return { data, width: W, height: H };
}

/**
 * `screen` with frame `n` of the video drawn: every pixel of VIDEO differs from frame n - 1's (each channel moves on
 * by a fixed step), and nothing in it is the previous frame moved (a grain hashed from the place), as in a video.
 */
function withVideo(screen: Pixels, n: number, area: Rect = VIDEO): Pixels {
  const data = new Uint8Array(screen.data);
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      const i = (y * W + x) * 4;
      const grain = Math.imul(x * 73856093 ^ y * 19349663, 0x9e3779b1) >>> 24;
      data[i] = (grain + n * 37) & 0xff;
      data[i + 1] = (x + (grain >> 2) + n * 53) & 0xff;
      data[i + 2] = (y + (grain >> 3) + n * 11) & 0xff;
      data[i + 3] = 255;
    }
  }
  return { ...screen, data };
}

/** A character typed at `column` of a line: a 7x13 block changes. */
function withTyping(screen: Pixels, column: number): Pixels {
  const data = new Uint8Array(screen.data);
  for (let y = 350; y < 363; y++) for (let x = 400 + column * 7; x < 407 + column * 7; x++) data.set([250, 250, 0, 255], (y * W + x) * 4);
  return { ...screen, data };
}

const opaque = (p: Uint8Array) => p.map((v, i) => (i % 4 === 3 ? 255 : v));
const kinds = (u: ScreenUpdate | undefined) => (u?.ops ?? []).map((o) => o.kind);
const lossyRects = (u: ScreenUpdate | undefined) => (u?.ops ?? []).flatMap((o) => (o.kind === 'lossy' ? [o.rect] : []));

let webp: LossyEncoder;
before(async () => {
  webp = await loadWebpEncoder();
});

describe('video: content that changes every frame', () => {
  it('a region that changes every frame goes lossy within a few frames, typing beside it stays lossless', () => {
    const enc = new ScreenEncoder({ lossy: webp });
    const still = textScreen();
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(still, undefined, 0)!, picture, W);
    const updates: ScreenUpdate[] = [];
    for (let n = 1; n <= 12; n++) {
      const screen = withTyping(withVideo(still, n), n);
      // What X DAMAGE would report: the video and the character typed.
      const u = enc.update(screen, [VIDEO, { x: 400 + n * 7, y: 350, width: 7, height: 13 }], n * FRAME_MS)!;
      updates.push(u);
      apply(u, picture, W);
    }
    const firstLossy = updates.findIndex((u) => lossyRects(u).length > 0);
    assert.ok(firstLossy >= 0 && firstLossy <= 6, `lossy from frame ${firstLossy + 1}: ${updates.map((u) => kinds(u).join('+')).join(' ')}`);
    for (const u of updates.slice(firstLossy)) {
      assert.deepEqual(lossyRects(u), [VIDEO], 'the whole video, as one lossy picture');
      const images = u.ops.filter((o) => o.kind === 'image');
      assert.equal(images.length, 1, 'the character typed, lossless');
      assert.equal(images[0]!.kind === 'image' && images[0]!.rect.height, 13);
    }
    // Outside the video every pixel is exact.
    const screen = withTyping(withVideo(still, 12), 12);
    for (let y = 0; y < H; y++) {
      if (y >= VIDEO.y && y < VIDEO.y + VIDEO.height) continue;
      const row = y * W * 4;
      assert.deepEqual(picture.subarray(row, row + W * 4), opaque(screen.data.subarray(row, row + W * 4)), `row ${y}`);
    }
  });

  it('once the region settles it is painted once more, losslessly: the picture is then exact', () => {
    const enc = new ScreenEncoder({ lossy: webp });
    const still = textScreen();
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(still, undefined, 0)!, picture, W);
    let screen = still;
    let lossy = 0;
    let t = 0;
    for (let n = 1; n <= 15; n++) {
      t = n * FRAME_MS;
      screen = withVideo(still, n);
      const u = enc.update(screen, [VIDEO], t);
      lossy += lossyRects(u).length;
      apply(u!, picture, W);
    }
    assert.ok(lossy > 5, `${lossy} lossy pictures`);
    assert.ok(picture.some((v, i) => i % 4 === 0 && v === LOSSY_MARK[0] && picture[i + 1] === LOSSY_MARK[1]), 'approximate pixels are shown');
    // The video stops. Nothing changes (DAMAGE reports nothing): the encoder says when to ask again.
    assert.equal(enc.settleDueIn(t), SETTLE_MS);
    assert.equal(enc.update(screen, [], t + SETTLE_MS / 2), undefined, 'not settled yet');
    const refresh = enc.update(screen, [], t + SETTLE_MS)!;
    assert.ok(refresh, 'the settled region is painted again');
    assert.deepEqual([...new Set(kinds(refresh))], ['image'], 'losslessly');
    apply(refresh, picture, W);
    assert.deepEqual(picture, opaque(screen.data), 'the settled picture is exact');
    assert.equal(enc.settleDueIn(t + SETTLE_MS), undefined, 'nothing approximate is left');
    assert.equal(enc.update(screen, [], t + 2 * SETTLE_MS), undefined, 'and it is painted once');
  });

  it('a fast scroll is a copy every frame, and what it brings in is never video', () => {
    const enc = new ScreenEncoder({ lossy: webp });
    // A tall page of distinct "lines", flicked through the screen 64 px a frame: the rows that come in fill 60 tiles.
    const STEP = 64;
    const page = new Uint8Array(W * (H + 30 * STEP) * 4);
    for (let y = 0; y < H + 30 * STEP; y++) {
      for (let x = 0; x < W; x++) {
        const ink = y % 14 > 2 && y % 14 < 11 && ((x * 13 + Math.floor(y / 14) * 7919) % 23) < 9;
        page.set(ink ? [(y * 5) & 0xff, 200, 100, 255] : [30, 30, 30, 255], (y * W + x) * 4);
      }
    }
    const at = (offset: number): Pixels => ({ data: page.slice(offset * W * 4, (offset + H) * W * 4), width: W, height: H });
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(at(0), undefined, 0)!, picture, W);
    let copies = 0;
    for (let n = 1; n <= 30; n++) {
      const u = enc.update(at(n * STEP), undefined, n * FRAME_MS)!;
      assert.deepEqual(lossyRects(u), [], `frame ${n}: ${kinds(u).join('+')}`);
      copies += u.ops.filter((o) => o.kind === 'copy').length;
      apply(u, picture, W);
    }
    assert.ok(copies >= 25, `${copies} copies`);
    assert.deepEqual(picture, opaque(at(30 * STEP).data));
  });

  it('a page scrolled 60 times a second between captures far apart, reported whole each time, is a copy, not video', () => {
    // Code whose lines repeat (braces, blank lines), scrolled 4 px a redraw, each redraw reported for the whole
    // screen (one copy of a back buffer, as the bench's window does); captured every 300 ms, as on a slow link.
    const lines = 40;
    const page = new Uint8Array(W * (H + 2000) * 4);
    for (let y = 0; y < H + 2000; y++) {
      const line = Math.floor(y / 14) % lines;
      const kind = line % 5 === 0 ? 0 : line % 3 === 0 ? 1 : 2 + line;
      for (let x = 0; x < W; x++) {
        const ink = y % 14 > 2 && y % 14 < 11 && x < 40 + kind * 13 && ((x * 13 + kind * 7919) % 23) < 9;
        page.set(ink ? [(kind * 40) & 0xff, 200, 100, 255] : [30, 30, 30, 255], (y * W + x) * 4);
      }
    }
    const at = (offset: number): Pixels => ({ data: page.slice(offset * W * 4, (offset + H) * W * 4), width: W, height: H });
    const enc = new ScreenEncoder({ lossy: webp });
    enc.losslessBudget(1024);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(at(0), undefined, 0, [])!, picture, W);
    const whole = { x: 0, y: 0, width: W, height: H };
    for (let n = 1; n <= 20; n++) {
      const t = n * 300;
      const reports = Array.from({ length: 18 }, (_, j) => ({ rect: whole, at: t - 300 + (j + 1) * 16 }));
      const u = enc.update(at(n * 72), [whole], t, reports)!;
      assert.deepEqual(lossyRects(u), [], `capture ${n}: ${kinds(u).join('+')}`);
      apply(u, picture, W);
    }
    for (let t = 6010; enc.hasPending; t += 10) apply(enc.update(at(20 * 72), [], t, [])!, picture, W);
    assert.deepEqual(picture, opaque(at(20 * 72).data));
  });

  it('typing, a blinking caret or a small spinner, however often they change, stay lossless', () => {
    const enc = new ScreenEncoder({ lossy: webp });
    const still = textScreen();
    apply(enc.update(still, undefined, 0)!, new Uint8Array(W * H * 4), W);
    const spinner = { x: 500, y: 40, width: 40, height: 40 };
    for (let n = 1; n <= 40; n++) {
      // The same cell typed over and over, and a spinner of 4 tiles, every frame.
      const screen = withVideo(withTyping(still, n % 2 === 0 ? 0 : 1), n, spinner);
      const u = enc.update(screen, [spinner, { x: 400, y: 350, width: 14, height: 13 }], n * FRAME_MS);
      assert.deepEqual(lossyRects(u), [], `frame ${n}`);
    }
  });

  it('on a slow link, with captures a second apart, a region the X server reports changing 30 times a second goes lossy', () => {
    const enc = new ScreenEncoder({ lossy: webp });
    const still = textScreen();
    enc.update(still, undefined, 0, []);
    const kindsSeen: string[] = [];
    for (let k = 1; k <= 3; k++) {
      // Thirty frames drawn since the capture before, each reported by DAMAGE; the capture sees the last.
      const reports = Array.from({ length: 30 }, (_, j) => ({ rect: VIDEO, at: (k - 1) * 1000 + (j + 1) * FRAME_MS }));
      kindsSeen.push(kinds(enc.update(withVideo(still, k * 30), [VIDEO], k * 1000, reports)).join('+'));
    }
    assert.ok(kindsSeen.slice(1).every((k) => k === 'lossy'), `captures: ${kindsSeen.join(' ')}`);
    // Captured as rarely without the reports, it changes once a second: not video.
    const blind = new ScreenEncoder({ lossy: webp });
    blind.update(still, undefined, 0);
    for (let k = 1; k <= 3; k++) assert.deepEqual(lossyRects(blind.update(withVideo(still, k * 30), [VIDEO], k * 1000)), [], `capture ${k}`);
  });

  it('a frame drawn in several requests is one change; changes that wait over the budget are no changes at all', () => {
    // One frame a second, each drawn in five requests over it (a background, then the picture, ...) within a
    // millisecond or two, each reported: not video.
    const enc = new ScreenEncoder({ lossy: webp });
    const still = textScreen();
    enc.update(still, undefined, 0, []);
    for (let k = 1; k <= 4; k++) {
      const requests = Array.from({ length: 5 }, (_, r) => ({ rect: VIDEO, at: k * 1000 - 500 + r / 2 }));
      assert.deepEqual(lossyRects(enc.update(withVideo(still, k), [VIDEO], k * 1000, requests)), [], `capture ${k}`);
    }
    // A large change over a small budget: it differs at every capture until it is all painted, changed only once.
    const slow = new ScreenEncoder({ lossy: webp });
    slow.losslessBudget(4096);
    const picture = new Uint8Array(W * H * 4);
    apply(slow.update(still, undefined, 0, [])!, picture, W);
    const changed = withVideo(still, 1);
    apply(slow.update(changed, [VIDEO], 10, [{ rect: VIDEO, at: 5 }])!, picture, W);
    let t = 10;
    while (slow.hasPending) {
      t += 40;
      const u = slow.update(changed, [], t, [])!;
      assert.deepEqual(lossyRects(u), [], `at ${t} ms`);
      apply(u, picture, W);
    }
    assert.ok(t >= 400, `painted over ${t} ms`);
    assert.deepEqual(picture, opaque(changed.data));
  });

  it('without a lossy encoder everything stays lossless', () => {
    const enc = new ScreenEncoder();
    const still = textScreen();
    enc.update(still, undefined, 0);
    for (let n = 1; n <= 12; n++) assert.deepEqual(lossyRects(enc.update(withVideo(still, n), [VIDEO], n * FRAME_MS)), []);
    assert.equal(enc.settleDueIn(12 * FRAME_MS), undefined);
  });

  it('the quality follows the bit budget: down while over it, back up once well under it', () => {
    const q = new VideoQuality();
    const start = q.quality;
    const perFrame = (VIDEO_BUDGET_BPS / 8 / 30) * 2; // twice the budget at 30 fps
    for (let n = 0; n < 30; n++) q.record(perFrame, n * FRAME_MS);
    assert.ok(q.quality < start - 10, `quality ${q.quality} after a second at twice the budget`);
    const low = q.quality;
    for (let n = 30; n < 120; n++) q.record(perFrame / 10, n * FRAME_MS);
    assert.ok(q.quality > low, `quality ${q.quality} after 3 s at a fifth of the budget`);
  });

  it('keeps to the budget the host passes (what the link leaves room for), lowered while it plays', () => {
    const q = new VideoQuality();
    const perFrame = VIDEO_BUDGET_BPS / 8 / 30 / 2; // half the agent's own budget at 30 fps: quality rises
    for (let n = 0; n < 60; n++) q.record(perFrame, n * FRAME_MS);
    const high = q.quality;
    q.budgetBps = 300_000; // a slow link: the same pictures are now far over it
    for (let n = 60; n < 90; n++) q.record(perFrame, n * FRAME_MS);
    assert.ok(q.quality < high - 10, `quality ${q.quality} a second after the budget fell (was ${high})`);
  });

  it('the capture request carries the budget as a bit rate, or none', () => {
    assert.equal(isAgentRequest({ type: 'capture', id: 1, lossyBps: 300_000 }), true);
    assert.equal(isAgentRequest({ type: 'capture', id: 1 }), true);
    for (const bad of [0, -1, 999, Number.NaN, Infinity, 2e9, '300000', null]) {
      assert.equal(isAgentRequest({ type: 'capture', id: 1, lossyBps: bad }), false, `lossyBps ${String(bad)}`);
    }
  });
});

describe('video: the lossy picture on the wire', () => {
  // A picture as videos have them: smooth shading and edges (the noise of the frames above does not compress).
  const frame = textScreen();
  for (let y = VIDEO.y; y < VIDEO.y + VIDEO.height; y++) {
    for (let x = VIDEO.x; x < VIDEO.x + VIDEO.width; x++) {
      const ring = Math.hypot(x - 200, y - 180) % 60 < 30;
      frame.data.set([ring ? 40 : 200, (x * 3) & 0xff, (y * 2) & 0xff, 255], (y * W + x) * 4);
    }
  }

  it('is a simple lossy WebP of its rectangle, round-trips through an update and decodes to the picture', async () => {
    const bytes = webp(frame, VIDEO, 70);
    assert.deepEqual(webpSize(bytes), { width: VIDEO.width, height: VIDEO.height });
    assert.deepEqual(imageSize(bytes), { format: 'webp', width: VIDEO.width, height: VIDEO.height });
    const update: ScreenUpdate = { full: false, ops: [{ kind: 'lossy', rect: VIDEO, webp: bytes }] };
    const parsed = parseUpdate(encodeUpdate(update), W, H)!;
    assert.deepEqual(parsed.ops.map((o) => (o.kind === 'lossy' ? [o.rect, o.webp.length] : o.kind)), [[VIDEO, bytes.length]]);
    assert.equal(decodedPixels(parsed), VIDEO.width * VIDEO.height);
    // libwebp's own decoder (the browser's is libwebp too): close to the captured pixels, not equal.
    const decoder = await webpDecoder();
    const image = decoder.decode(bytes)!;
    assert.equal(image.width, VIDEO.width);
    let squared = 0;
    for (let y = 0; y < VIDEO.height; y++) {
      for (let x = 0; x < VIDEO.width; x++) {
        const s = ((VIDEO.y + y) * W + VIDEO.x + x) * 4;
        const d = (y * VIDEO.width + x) * 4;
        for (const [a, b] of [[s + 2, d], [s + 1, d + 1], [s, d + 2]] as const) squared += (frame.data[a]! - image.data[b]!) ** 2;
      }
    }
    const psnr = 10 * Math.log10(255 ** 2 / (squared / (VIDEO.width * VIDEO.height * 3)));
    assert.ok(psnr > 25, `PSNR ${psnr.toFixed(1)} dB`);
  });

  it('is refused, never thrown on, when it is not what it says', () => {
    const bytes = webp(frame, VIDEO, 70);
    const lossy = (rect: Rect, data: Uint8Array) => encodeUpdate({ full: false, ops: [{ kind: 'lossy', rect, webp: data }] });
    const png = encodePng(frame, VIDEO.x, VIDEO.y, VIDEO.width, VIDEO.height);
    assert.equal(parseUpdate(lossy({ ...VIDEO, width: VIDEO.width - 1 }, bytes), W, H), undefined, 'a WebP of another size');
    assert.equal(parseUpdate(lossy(VIDEO, png), W, H), undefined, 'a PNG where a WebP belongs');
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'image', rect: VIDEO, png: bytes }] }), W, H), undefined, 'a WebP where a PNG belongs');
    assert.equal(parseUpdate(lossy({ ...VIDEO, x: W - 100 }, bytes), W, H), undefined, 'off the screen');
    assert.equal(parseUpdate(lossy(VIDEO, bytes.subarray(0, bytes.length - 2)), W, H), undefined, 'a WebP cut short');
    const patched = (at: number, value: number) => {
      const copy = new Uint8Array(bytes);
      copy[at] = value;
      return copy;
    };
    assert.equal(webpSize(patched(15, 0x4c)), undefined, 'VP8L (lossless) is not a lossy picture');
    assert.equal(webpSize(patched(15, 0x58)), undefined, 'VP8X (alpha, animation)');
    assert.equal(webpSize(patched(4, bytes[4]! + 2)), undefined, 'a RIFF length that is not the file');
    assert.equal(webpSize(patched(20, bytes[20]! | 1)), undefined, 'not a key frame');
    assert.equal(webpSize(patched(23, 0)), undefined, 'no start code');
    assert.equal(webpSize(patched(27, bytes[27]! | 0x40)), undefined, 'an upscaled frame');
    const huge = new Uint8Array(bytes);
    new DataView(huge.buffer).setUint16(26, 0x3fff, true);
    assert.equal(parseUpdate(lossy(VIDEO, huge), W, H), undefined, 'a header that declares more than its rectangle');
    for (let cut = 0; cut < 40; cut++) assert.equal(webpSize(bytes.subarray(0, cut)), undefined, `the first ${cut} bytes`);
  });

  it('counts against the panel\'s pixel budget: lossy pictures that would decode to more than it are refused', () => {
    const whole = { x: 0, y: 0, width: W, height: H };
    const screenWebp = webp(frame, whole, 50);
    const update = (n: number) => encodeUpdate({ full: false, ops: Array.from({ length: n }, () => ({ kind: 'lossy' as const, rect: whole, webp: screenWebp })) });
    const checked = checkFrame({ id: 1, format: 'update', width: W, height: H, data: update(2) });
    assert.equal(typeof checked === 'object' && checked.kind === 'update' && checked.update?.ops.length, 2, 'twice the screen is within the budget');
    assert.match(String(checkFrame({ id: 2, format: 'update', width: W, height: H, data: update(3) })), /decodes to/, 'three times the screen is not');
  });
});

interface WebpDecoder {
  decode(data: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } | null;
}

/** libwebp's decoder, the same package's WebAssembly build: a real decoder for the test, not the product's. */
async function webpDecoder(): Promise<WebpDecoder> {
  const compiled = await WebAssembly.compile(decoderWasm as Uint8Array<ArrayBuffer>);
  const factory = decoderFactory as unknown as (o: object) => Promise<WebpDecoder>;
  return factory({
    noInitialRun: true,
    locateFile: (f: string) => f,
    instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(compiled, imports);
      done(instance);
      return instance.exports;
    },
  });
}
