/**
 * Motion found as motion: scrolls of text whose lines look alike (code: blank rows, repeated lines, braces,
 * indentation) at any distance, several regions at once, a region narrower than the screen, and a window dragged
 * in two dimensions (VNC's CopyRect). Each update must rebuild the next screen exactly from the previous one, and
 * be small next to a repaint.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { encodeUpdate, type ScreenUpdate } from '../../src/shared/screenUpdate';
import { encodePng, type Pixels } from '../../src/agent/png';
import { apply } from '../support/screenPixels';
import { ScreenEncoder } from '../../src/agent/screenEncoder';
import { loadNativeKernels, type PixelKernels } from '../../src/agent/nativeKernels';

/** A small deterministic generator. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

const BG = [31, 31, 31];
const LINE = 16;

/**
 * A page of code `lines` lines long, LINE px a line: a few kinds of line only (braces, `return`, a blank row, the
 * same call again), each at its own indentation, so that most rows have twins elsewhere on the page; a share of
 * lines (`uniqueShare`) are text of their own.
 */
function codePage(width: number, lines: number, seed: number, uniqueShare = 0.05): Pixels {
  const rnd = random(seed);
  const height = lines * LINE;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([BG[2]!, BG[1]!, BG[0]!, 255], i * 4);
  // Glyph rows: a "character" is 7x12 px whose rows are drawn from a small alphabet, so rows repeat.
  const glyph = (x: number, y: number, code: number, colour: readonly number[]) => {
    for (let r = 0; r < 12; r++) {
      const bits = (code * (r + 3) * 2654435761) >>> 27; // 5 bits a row, the same for the same character
      for (let c = 0; c < 7; c++) {
        if (!((bits >> (c % 5)) & 1)) continue;
        const px = x + c;
        if (px >= width) return;
        data.set([colour[2]!, colour[1]!, colour[0]!, 255], ((y + r) * width + px) * 4);
      }
    }
  };
  const kinds = [
    { text: '}', colour: [212, 212, 212], indent: 1 },
    { text: '', colour: BG, indent: 0 },
    { text: 'return this.values.get(key) ?? fallback;', colour: [86, 156, 214], indent: 2 },
    { text: 'await call(alpha, beta, gamma);', colour: [220, 220, 170], indent: 2 },
    { text: '', colour: BG, indent: 0 },
    { text: '}', colour: [212, 212, 212], indent: 1 },
  ];
  for (let line = 0; line < lines; line++) {
    // A few lines are text of their own; most are one of a few kinds that repeat.
    let kind = kinds[Math.floor(rnd() * kinds.length)]!;
    if (rnd() < uniqueShare) {
      const n = 4 + Math.floor(rnd() * 50);
      let text = '';
      for (let k = 0; k < n; k++) text += String.fromCharCode(33 + Math.floor(rnd() * 94));
      kind = { text, colour: [150 + Math.floor(rnd() * 100), 150 + Math.floor(rnd() * 100), 150 + Math.floor(rnd() * 100)], indent: 1 };
    }
    const y = line * LINE + 2;
    // Line numbers would make every line unique: most editors show them, but a diff view or a terminal does not.
    for (let k = 0; k < kind.text.length; k++) glyph(8 + (kind.indent * 4 + k) * 7, y, kind.text.charCodeAt(k), kind.colour);
  }
  return { data, width, height };
}

/** `height` rows of `page` from row `top`, as a screen `width` wide placed at column 0. */
function view(page: Pixels, top: number, height: number): Pixels {
  const stride = page.width * 4;
  return { data: page.data.slice(top * stride, (top + height) * stride), width: page.width, height };
}

/** Random-ish texture: a desktop wallpaper that never repeats. */
function texture(width: number, height: number, seed: number): Pixels {
  const rnd = random(seed);
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = Math.floor(rnd() * 64);
    data.set([60 + v, 90 + (v >> 1), 120 + (v >> 2), 255], i * 4);
  }
  return { data, width, height };
}

/** `part` painted over a copy of `onto` at (x, y), clipped to `onto`. */
function paste(onto: Pixels, part: Pixels, x: number, y: number, from?: { x: number; y: number; width: number; height: number }): Pixels {
  const data = new Uint8Array(onto.data);
  const src = from ?? { x: 0, y: 0, width: part.width, height: part.height };
  for (let r = 0; r < src.height; r++) {
    const ty = y + r;
    if (ty < 0 || ty >= onto.height) continue;
    for (let c = 0; c < src.width; c++) {
      const tx = x + c;
      if (tx < 0 || tx >= onto.width) continue;
      const s = ((src.y + r) * part.width + src.x + c) * 4;
      data.set(part.data.subarray(s, s + 4), (ty * onto.width + tx) * 4);
    }
  }
  return { ...onto, data };
}

const opaque = (p: Uint8Array) => p.map((v, i) => (i % 4 === 3 ? 255 : v));
const wholePng = (p: Pixels) => encodePng(p, 0, 0, p.width, p.height, 6).length;
const copies = (u: ScreenUpdate) => u.ops.flatMap((o) => (o.kind === 'copy' ? [o] : []));

/** A session: the encoder, and the helper's picture kept by applying every update. */
function session(first: Pixels) {
  const enc = new ScreenEncoder();
  const picture = new Uint8Array(first.width * first.height * 4);
  apply(enc.update(first)!, picture, first.width);
  return {
    enc,
    /** Sends `next`; checks that the helper now has it exactly; returns the update and its size on the wire. */
    step(next: Pixels, what: string): { update: ScreenUpdate; bytes: number } {
      const update = enc.update(next)!;
      assert.ok(update, `${what}: an update`);
      apply(update, picture, next.width);
      assert.ok(Buffer.from(picture).equals(Buffer.from(opaque(next.data))), `${what}: rebuilt exactly`);
      return { update, bytes: encodeUpdate(update).length };
    },
  };
}

describe('motion', () => {
  const W = 640;
  const H = 400;

  it('a page of code whose lines repeat, scrolled by 1 px to nearly its height: a copy, exact, small', () => {
    const page = codePage(W, 120, 7, 0);
    for (const by of [1, 2, 3, 5, 8, 15, 16, 17, 40, 100, 250, 370, 392]) {
      for (const dir of [1, -1]) {
        const from = dir > 0 ? 400 : 400 + by;
        const first = view(page, from, H);
        const next = view(page, from + dir * by, H);
        const s = session(first);
        const whole = wholePng(next);
        const { update, bytes } = s.step(next, `by ${dir * by}`);
        const moves = copies(update);
        const ops = JSON.stringify(update.ops.map((o) => (o.kind === 'image' ? o.rect : o)));
        // Up to half the height the scroll itself explains the most; beyond, lines alike may be found elsewhere
        // too, at other distances: any copies that rebuild the most are right. The lines that scroll in may also
        // be copies of lines already there (a second copy).
        if (by <= H / 2) assert.deepEqual([moves[0]?.dx, moves[0]?.dy], [0, -dir * by], `by ${dir * by}: the scroll first (${ops})`);
        else assert.ok(moves.length >= 1, `by ${dir * by}: a copy (${ops})`);
        const budget = whole * (0.1 + by / H);
        assert.ok(bytes < budget, `by ${dir * by}: ${bytes} B against a repaint of ${whole} B`);
      }
    }
  });

  it('scrolling on and on through code with blank rows: every step a copy, each far under a repaint', () => {
    const page = codePage(W, 200, 11);
    let top = 0;
    const s = session(view(page, top, H));
    for (const by of [4, 4, 4, 12, 30, 1, 64, 7]) {
      top += by;
      const next = view(page, top, H);
      const { update, bytes } = s.step(next, `down ${by} to ${top}`);
      assert.equal(copies(update).length, 1, `down ${by}: a copy`);
      assert.ok(bytes < wholePng(next) * 0.1 + by * W * 2, `down ${by}: ${bytes} B`);
    }
  });

  it('two regions side by side, each scrolled by its own distance, beside a still sidebar', () => {
    const left = codePage(W, 120, 21);
    const right = codePage(W, 120, 22);
    const side = texture(W, H, 23);
    // Columns 0-99: a sidebar that stays; 100-409: one editor; 410-639: another (not on the 64 px strips).
    const compose = (a: number, b: number) => {
      let p = paste(view(left, a, H), side, 0, 0, { x: 0, y: 0, width: 100, height: H });
      p = paste(p, view(right, b, H), 410, 0, { x: 0, y: 0, width: 230, height: H });
      return p;
    };
    const s = session(compose(300, 300));
    const next = compose(307, 290);
    const { update, bytes } = s.step(next, 'two regions');
    const moves = copies(update).map((c) => c.dy).sort((x, y) => x - y);
    assert.deepEqual(moves, [-7, 10], JSON.stringify(update.ops.map((o) => (o.kind === 'image' ? o.rect : o))));
    assert.ok(bytes < wholePng(next) * 0.1, `${bytes} B against a repaint of ${wholePng(next)} B`);
  });

  it('a region narrower and shorter than the screen scrolls inside still surroundings', () => {
    const page = codePage(W, 120, 31);
    const around = texture(W, H, 32);
    const box = { x: 90, y: 50, width: 420, height: 300 };
    const at = (top: number) => paste(around, view(page, top, H), box.x, box.y, { x: box.x, y: 0, width: box.width, height: box.height });
    const s = session(at(200));
    for (const by of [3, 48, 250]) {
      const next = at(200 + by);
      const { update, bytes } = s.step(next, `narrow by ${by}`);
      const moves = copies(update);
      const ops = JSON.stringify(update.ops.map((o) => (o.kind === 'image' ? o.rect : o)));
      if (by < box.height / 2) assert.deepEqual(moves.map((m) => [m.rect.x, m.rect.width, m.dy]), [[box.x, box.width, -by]], `narrow by ${by}: one copy, the region's width (${ops})`);
      else assert.ok(moves.length >= 1, `narrow by ${by}: a copy (${ops})`);
      for (const m of moves) assert.ok(m.rect.x >= box.x && m.rect.x + m.rect.width <= box.x + box.width, `inside the region (${ops})`);
      assert.ok(bytes < wholePng(next) * (0.1 + by / H), `narrow by ${by}: ${bytes} B`);
      s.step(at(200), `narrow back from ${by}`);
    }
  });

  it('a small panel scrolled on a large screen (too small to be looked at for a scroll) is still a copy', () => {
    const SW = 1280;
    const SH = 800;
    const page = codePage(W, 120, 61);
    const around = texture(SW, SH, 62);
    const box = { x: 700, y: 300, width: 300, height: 180 };
    const at = (top: number) => paste(around, view(page, top, H), box.x, box.y, { x: 0, y: 0, width: box.width, height: box.height });
    const s = session(at(100));
    const next = at(124);
    const { update, bytes } = s.step(next, 'panel by 24');
    assert.deepEqual(copies(update).map((c) => [c.dx, c.dy]), [[0, -24]], JSON.stringify(update.ops.map((o) => (o.kind === 'image' ? o.rect : o))));
    assert.ok(bytes < wholePng(view(page, 124, box.height)) / 2, `${bytes} B`);
  });

  it('a 900x600 window dragged by (6, 4) a frame over a textured desktop is a copy, drawn whole', () => {
    const SW = 1280;
    const SH = 800;
    const desk = texture(SW, SH, 41);
    const win = codePage(900, 38, 42);
    // Give the window a title bar and a border, as a real one has.
    for (let x = 0; x < 900; x++) for (let y = 0; y < 24; y++) win.data.set([120, 80, 40, 255], (y * 900 + x) * 4);
    const at = (x: number, y: number) => paste(desk, win, x, y, { x: 0, y: 0, width: 900, height: 600 });
    let x = 100;
    let y = 60;
    const s = session(at(x, y));
    const whole = wholePng(at(x, y));
    for (let frame = 0; frame < 4; frame++) {
      x += 6;
      y += 4;
      const next = at(x, y);
      const { update, bytes } = s.step(next, `drag frame ${frame}`);
      const moves = copies(update);
      assert.equal(moves.length, 1, `frame ${frame}: one copy (${update.ops.map((o) => o.kind).join(', ')})`);
      assert.deepEqual([moves[0]!.dx, moves[0]!.dy], [6, 4]);
      assert.ok(bytes < whole * 0.1, `frame ${frame}: ${bytes} B against a repaint of ${whole} B`);
    }
    // Far, and in both directions at once.
    const far = s.step(at(x + 250, y - 70), 'drag by (250, -70)');
    assert.deepEqual(copies(far.update).map((c) => [c.dx, c.dy]), [[250, -70]]);
    x += 250;
    y -= 70;
    // Back the other way, and partly off the screen's edge.
    for (const [nx, ny] of [[90, 50], [400, 250], [420, 262]] as const) {
      const next = at(nx, ny);
      const { update } = s.step(next, `drag to ${nx},${ny}`);
      if (nx === 420) assert.deepEqual(copies(update).map((c) => [c.dx, c.dy]), [[20, 12]]);
    }
  });
});

describe('row prints carried from one scroll search to the next', () => {
  const W = 640;
  const H = 400;
  // The agent's native kernels where they are built (Linux), whose prints the checked mode compares with the JavaScript's.
  const hashers: [string, PixelKernels | undefined][] = [['hashed in JavaScript', undefined]];
  if (process.platform === 'linux') hashers.push(['hashed natively (dist/xshm.node)', loadNativeKernels(path.resolve(__dirname, '../../../dist/xshm.node'))]);

  for (const [how, kernels] of hashers) it(`are those of the old picture, change no update (the same bytes as hashing both pictures every time), and are used: ${how}`, () => {
    const page = codePage(W, 300, 71);
    const around = texture(W, H, 72);
    const box = { x: 90, y: 50, width: 420, height: 300 };
    const narrow = (top: number) => paste(around, view(page, top, H), box.x, box.y, { x: box.x, y: 0, width: box.width, height: box.height });
    const withKey = (p: Pixels, v: number) => {
      const d = new Uint8Array(p.data);
      for (let y = 10; y < 23; y++) for (let x = 600; x < 607; x++) d[(y * W + x) * 4 + 1] = v;
      return { ...p, data: d };
    };
    // Checked: each search that takes carried prints hashes its old picture again and throws if they differ.
    const blocks = (p: Pixels) => [[100, 60], [300, 200], [500, 320]].reduce((q, [x, y]) => paste(q, around, x!, y!, { x: 0, y: 0, width: 40, height: 40 }), p);
    const carried = new ScreenEncoder({ checkPrints: true, ...(kernels ? { kernels } : {}) });
    const fresh = new ScreenEncoder();
    // The second encoder never gets the prints it carried: it hashes both pictures at every search.
    (fresh as unknown as { carry: { take(): undefined } }).carry.take = () => undefined;
    let used = 0;
    const carry = (carried as unknown as { carry: { take(): unknown } }).carry;
    const take = carry.take.bind(carry);
    carry.take = () => {
      const kept = take();
      if (kept) used++;
      return kept;
    };
    // Each step: what the screen shows next, and what is done to both encoders first.
    const steps: [string, Pixels, ((e: ScreenEncoder) => void)?][] = [
      ['first', view(page, 0, H)],
      ...[4, 8, 12, 30, 31, 1, 64].map((top): [string, Pixels] => [`scroll to ${top}`, view(page, top, H)]),
      ['a keystroke, no search', withKey(view(page, 64, H), 250)],
      ['scroll after it', withKey(view(page, 80, H), 250)],
      ['a small window drawn', paste(withKey(view(page, 80, H), 250), around, 200, 120, { x: 0, y: 0, width: 100, height: 100 })],
      ['scroll on', withKey(view(page, 96, H), 250)],
      ['after a repaint', withKey(view(page, 112, H), 250), (e) => e.repaint([{ x: 0, y: 100, width: W, height: 60 }])],
      ['scroll on', withKey(view(page, 120, H), 250)],
      // A slow link: changes wait over the budget, and the old picture of the search is the last capture.
      ['over a small budget', view(page, 180, H), (e) => e.losslessBudget(4096)],
      ['still over it', view(page, 190, H)],
      ['and again', view(page, 230, H)],
      ['budget back', view(page, 236, H), (e) => e.losslessBudget(Infinity)],
      // A few small parts over a tiny budget: they wait, too few for a copy of the last capture (shown is searched).
      ['small parts wait', blocks(view(page, 236, H)), (e) => e.losslessBudget(1024)],
      ['a scroll while they wait', blocks(view(page, 240, H))],
      ['and on', blocks(view(page, 248, H)), (e) => e.losslessBudget(Infinity)],
      ['a narrower region', narrow(20)],
      ['it scrolls', narrow(28)],
      ['it scrolls on', narrow(60)],
      ['the page again', view(page, 40, H)],
      ['scroll', view(page, 44, H)],
      ['after a reset', view(page, 52, H), (e) => e.reset()],
      ['scroll after the key', view(page, 60, H)],
    ];
    for (const [what, next, before] of steps) {
      before?.(carried);
      before?.(fresh);
      const a = carried.update(next);
      const b = fresh.update(next);
      assert.deepEqual(a && encodeUpdate(a), b && encodeUpdate(b), `${what}: the same update`);
    }
    assert.ok(used >= 10, `prints carried ${used} times`);
  });
});

describe('motion at 1080p: encode time (a micro benchmark; the figures are printed, the bound is loose)', () => {
  const W = 1920;
  const H = 1080;
  /** Median ms of enc.update over frames that alternate between a and b (each one a change of the same kind). */
  const timeIt = (a: Pixels, b: Pixels, rounds = 15): { ms: number; bytes: number } => {
    const enc = new ScreenEncoder();
    enc.update(a);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const next = i % 2 === 0 ? b : a;
      const t0 = process.hrtime.bigint();
      const u = enc.update(next);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (i === 0 && u) bytes = encodeUpdate(u).length;
    }
    times.sort((x, y) => x - y);
    return { ms: times[times.length >> 1]!, bytes };
  };

  it('scrolls, a drag, typing and a new page each encode in bounded time', (t) => {
    const page = codePage(W, 200, 51);
    const unique = texture(W, H * 2, 52);
    const desk = texture(W, H, 53);
    const win = codePage(900, 38, 54);
    const at = (x: number, y: number) => paste(desk, win, x, y, { x: 0, y: 0, width: 900, height: 600 });
    const typed = (p: Pixels) => {
      const d = new Uint8Array(p.data);
      for (let y = 500; y < 513; y++) for (let x = 900; x < 907; x++) d[(y * W + x) * 4 + 1] = 250;
      return { ...p, data: d };
    };
    // What the bench's barcode does over a scrolling page: a box of its own changes too.
    const typedBox = (p: Pixels) => {
      const d = new Uint8Array(p.data);
      for (let y = 160; y < 240; y++) {
        for (let x = 640; x < 848; x++) {
          const at = (y * W + x) * 4 + ((x >> 4) & 1);
          d[at] = 255 - d[at]!;
        }
      }
      return { ...p, data: d };
    };
    const cases: [string, Pixels, Pixels][] = [
      ['scroll 12 px, every row unique', view(unique, 0, H), view(unique, 12, H)],
      ['scroll 16 px, lines alike', view(page, 0, H), view(page, 16, H)],
      ['scroll 7 px, lines alike', view(page, 100, H), view(page, 107, H)],
      ['scroll 900 px, lines alike', view(page, 0, H), view(page, 900, H)],
      ['scroll 4 px, lines alike, a 208x80 region changing apart', view(page, 0, H), typedBox(view(page, 4, H))],
      ['drag 900x600 by (6, 4)', at(300, 200), at(306, 204)],
      ['typing 7x13', view(page, 0, H), typed(view(page, 0, H))],
      ['a new page of code', view(page, 0, H), view(codePage(W, 70, 55), 0, H)],
    ];
    for (const [what, a, b] of cases) {
      const { ms, bytes } = timeIt(a, b);
      t.diagnostic(`${what}: median ${ms.toFixed(1)} ms, ${bytes} B`);
      assert.ok(ms < 1500, `${what}: ${ms} ms`);
    }
  });
});
