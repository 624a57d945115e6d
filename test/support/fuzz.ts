/**
 * Junk for the protocol's parsers and for the host: seeded (so a failure can be replayed), and sorted into what
 * the parser must refuse (`malformed`) and what it must accept (`wellFormed`, with the message it must give back).
 * The unit tests check the sorting against parseHelperMessage; the integration tests throw the same junk at a
 * running host.
 */

import { KEY_CODES } from '../../src/shared/keys';
import type { HelperMessage } from '../../src/shared/protocol';

/** mulberry32: small, fast, good enough to pick test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = Object.keys(KEY_CODES);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Names that mean something to JavaScript objects. */
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];

/** Wrong values for each kind of field: each one alone makes a message malformed. */
const BAD: Record<string, readonly unknown[]> = {
  unit: [-0.0001, 1.0001, 2, -1, 1e308, -1e308, '0.5', null, true, [], {}, [0.5], 'NaN', 'Infinity', { valueOf: 0.5 }],
  bool: [0, 1, 'true', 'false', null, [], {}, [true]],
  notch: [0.5, 51, -51, 1e9, -1e308, '1', null, [], true, 1.0000001],
  code: ['NotAKey', '', 'keya', 'KEYA', 'Key A', 5, null, [], ...PROTO_NAMES],
  button: ['Back', 'x1', 'button8', 'LEFT', '', 0, 8, null, ...PROTO_NAMES],
  b64: ['', 'AAAA', 'A'.repeat(44), `${'A'.repeat(43)}!`, `${'A'.repeat(42)}==`, '<script>', 'A'.repeat(200), 5, null, []],
  id: [-1, 0.5, 2 ** 32, 1e300, '1', null, [], true],
  reason: ['because', '', 5, null, ...PROTO_NAMES],
  version: [1.5, '2', null, [], true, 1e300 * 10],
  name: ['x'.repeat(101), 5, null, [], {}],
  chat: ['', 'x'.repeat(2001), '日'.repeat(2001), 'a\r\nb', '\r', '\t', '\u0000', '\u001b[2J', '\u007f', '\u0085', 'a\ud800', '\udfff', '\u2028', '\u2029', 5, null, [], {}, ['a'], true],
  clipboard: ['', 'x'.repeat(4067), 'a\u0000b', '\u001b[201~rm -rf ~', '\u007f', '\u0085', '\u009b', 'a\ud800', '\udfff', '\b', 5, null, [], {}, ['a'], true],
  monitor: ['', 'x'.repeat(65), ' DP-2', 'DP-2 ', 'DP  2', 'DP\n2', 'DP\u202e2', 'DP\u200b2', 'a\ud800', '\u0000', 5, null, [], {}, ['DP-2'], true],
  text: ['', 'x'.repeat(65), '日'.repeat(65), '\u{1F600}'.repeat(65), 'a\nb', '\r', '\t', '\u0000', '\u001b[2J', '\u007f', '\u0085', 'a\ud800', '\udfff', '\u2028', '\u2029', 5, null, [], {}, ['a'], true],
};

/** Each message kind's fields and what kind each is. */
const FIELDS: Record<HelperMessage['type'], Readonly<Record<string, keyof typeof BAD>>> = {
  hello: { version: 'version', helperName: 'name', helperNonce: 'b64' },
  resume: { version: 'version', helperNonce: 'b64' },
  proof: { mac: 'b64' },
  mediaProof: { mac: 'b64' },
  requestControl: {},
  releaseControl: {},
  pointerMove: { x: 'unit', y: 'unit' },
  pointerButton: { button: 'button', down: 'bool', x: 'unit', y: 'unit' },
  wheel: { dx: 'notch', dy: 'notch' },
  key: { code: 'code', down: 'bool' },
  text: { text: 'text' },
  chat: { text: 'chat' },
  clipboard: { text: 'clipboard' },
  clipboardRequest: {},
  // `at` may be left out (a hide): its wrong values are the protocol test's.
  laser: {},
  monitorRequest: { name: 'monitor' },
  releaseAll: {},
  frameAck: { id: 'id' },
  refresh: {},
  heartbeat: {},
  bye: { reason: 'reason' },
};

/** Raw texts the parser must refuse, the kind JSON.stringify never writes. */
const NASTY_TEXT = [
  '{"type":"pointerMove","x":NaN,"y":0}',
  '{"type":"pointerMove","x":1e999,"y":0}',
  '{"type":"pointerMove","x":-1e999,"y":0.5}',
  '{"type":"wheel","dx":1e999,"dy":0}',
  '{"type":"frameAck","id":1e999}',
  '{"type":"key","code":"KeyA","down":true',
  '{"type":"key","code":"KeyA","down":true}}',
  "{'type':'heartbeat'}",
  '{"type":"heartbeat",}',
  '{"__proto__":{"type":"heartbeat"}}',
  '{"constructor":{"prototype":{"type":"heartbeat"}}}',
  '{"type":{"toString":"heartbeat"}}',
  '{"type":["heartbeat"]}',
  '["heartbeat"]',
  '"heartbeat"',
  'null',
  'true',
  '42',
  '',
  ' ',
  '\u0000',
  '\ufeff{"type":"heartbeat"}',
  'undefined',
];

export type Junk = string | Uint8Array;

export class JunkMaker {
  private readonly random: () => number;

  /** `helloVersion`: the protocol version of every well-formed hello (random, 0 to 3, by default). */
  constructor(
    readonly seed: number,
    private readonly options: { readonly helloVersion?: number } = {},
  ) {
    this.random = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A well-formed message of one of `kinds`, with random values and random junk fields, and what it must parse to. */
  wellFormed(kinds: readonly HelperMessage['type'][]): { text: string; message: HelperMessage } {
    const type = this.pick(kinds);
    const unit = () => (this.int(10) === 0 ? this.pick([0, 1]) : this.random());
    let message: HelperMessage;
    switch (type) {
      case 'hello':
        message = { type, version: this.options.helloVersion ?? this.int(4), helperName: Array.from({ length: this.int(30) }, () => this.pick([...'AbcXyz'])).join(''), helperNonce: this.b64() };
        break;
      case 'resume':
        message = { type, version: this.options.helloVersion ?? this.int(4), helperNonce: this.b64() };
        break;
      case 'proof':
      case 'mediaProof':
        message = { type, mac: this.b64() };
        break;
      case 'pointerMove':
        message = { type, x: unit(), y: unit() };
        break;
      case 'pointerButton':
        message = { type, button: this.pick(['left', 'middle', 'right', 'back', 'forward'] as const), down: this.random() < 0.5, x: unit(), y: unit() };
        break;
      case 'wheel':
        message = { type, dx: this.int(101) - 50, dy: this.int(101) - 50 };
        break;
      case 'key':
        message = { type, code: this.pick(KEYS), down: this.random() < 0.5 };
        break;
      case 'text':
        message = { type, text: this.text(1 + this.int(64)) };
        break;
      case 'chat':
        message = { type, text: this.chat(1 + this.int(this.int(10) === 0 ? 2000 : 80)) };
        break;
      case 'clipboard':
        message = { type, text: this.clipboard(1 + this.int(this.int(10) === 0 ? 4000 : 200)) };
        break;
      case 'laser':
        message = this.int(4) === 0 ? { type } : { type, at: { x: unit(), y: unit() } };
        break;
      case 'monitorRequest':
        message = { type, name: this.pick(['DP-2', 'HDMI-1', 'eDP-1', 'default', 'LEFT 1', 'x'.repeat(64), 'Écran 2']) };
        break;
      case 'frameAck':
        message = { type, id: this.int(3) === 0 ? 0xffff_ffff : this.int(1_000_000) };
        break;
      case 'bye':
        message = { type, reason: this.pick(['helperEnded', 'peerGone', 'protocolError'] as const) };
        break;
      case 'requestControl':
      case 'releaseControl':
      case 'releaseAll':
      case 'refresh':
      case 'heartbeat':
      case 'clipboardRequest':
        message = { type };
        break;
    }
    // Extra fields are ignored (and never copied): prototype names among them.
    const extra: Record<string, unknown> = {};
    if (this.int(4) === 0) extra[this.pick(PROTO_NAMES)] = this.value(2);
    if (this.int(4) === 0) extra[this.string(6)] = this.value(2);
    const fields = JSON.stringify({ ...message, ...extra });
    return { text: fields, message };
  }

  /** Something parseHelperMessage must refuse. */
  malformed(): Junk {
    switch (this.int(8)) {
      case 0: {
        // Random bytes, often not UTF-8.
        const bytes = new Uint8Array(1 + this.int(200));
        for (let i = 0; i < bytes.length; i++) bytes[i] = this.int(256);
        return bytes;
      }
      case 1:
        return this.string(this.int(300));
      case 2:
        return this.pick(NASTY_TEXT);
      case 3: {
        // A good message cut short.
        const { text } = this.wellFormed(Object.keys(FIELDS) as HelperMessage['type'][]);
        return text.slice(0, Math.max(0, text.length - 1 - this.int(text.length)));
      }
      case 4: {
        // One field of a good message wrong, or missing.
        const kinds = (Object.keys(FIELDS) as HelperMessage['type'][]).filter((k) => Object.keys(FIELDS[k]).length > 0);
        const { message } = this.wellFormed(kinds);
        const fields = FIELDS[message.type];
        const name = this.pick(Object.keys(fields));
        const broken: Record<string, unknown> = { ...message };
        if (this.int(5) === 0) delete broken[name];
        else broken[name] = this.pick(BAD[fields[name]!]!);
        return JSON.stringify(broken);
      }
      case 5:
        // An unknown type, or a prototype name as the type.
        return JSON.stringify({ type: this.int(2) === 0 ? this.pick(PROTO_NAMES) : this.string(8), x: 0.5, y: 0.5 });
      case 6: {
        // Deep nesting, still under the size limit; or far over it.
        if (this.int(3) === 0) return `{"type":"heartbeat","pad":"${'x'.repeat(4_100 + this.int(60_000))}"}`;
        const depth = 100 + this.int(1_900);
        return this.int(2) === 0 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth / 4) + '1' + '}'.repeat(depth / 4);
      }
      default:
        // Not an object at all.
        return JSON.stringify(this.pick([null, true, 0, -1, 1e308, 'heartbeat', [], [{ type: 'heartbeat' }], this.value(3)]));
    }
  }

  /** Any JSON value, nested up to `depth`. */
  value(depth: number): unknown {
    switch (this.int(depth > 0 ? 7 : 5)) {
      case 0: return null;
      case 1: return this.random() < 0.5;
      case 2: return this.pick([0, -0, 1, -1, 0.5, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, this.random() * 1e6]);
      case 3: return this.string(this.int(20));
      case 4: return this.pick(PROTO_NAMES);
      case 5: return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) out[this.int(3) === 0 ? this.pick(PROTO_NAMES) : this.string(5)] = this.value(depth - 1);
        return out;
      }
    }
  }

  /** Random UTF-16, surrogates and control characters included. */
  string(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(this.int(3) === 0 ? this.int(0x10000) : 32 + this.int(95));
    return s;
  }

  /** `length` code points that a `text` message may carry: ASCII, accents, CJK, emoji (outside the BMP). */
  text(length: number): string {
    const pools = [[0x20, 0x7e], [0xa0, 0x17f], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0x1f300, 0x1f64f]] as const;
    let s = '';
    for (let i = 0; i < length; i++) {
      const [from, to] = this.pick(pools);
      s += String.fromCodePoint(from + this.int(to - from + 1));
    }
    return s;
  }

  /** Chat text of `length` code points or fewer (at most MAX_CHAT code units): what `text` may carry, and line breaks. */
  chat(length: number): string {
    let s = '';
    while (s.length < length) {
      const next = this.int(20) === 0 ? '\n' : this.text(1);
      if (s.length + next.length > 2000) break;
      s += next;
    }
    return s || 'x';
  }

  /**
   * Clipboard text of at most `length` code units that fits in one control message: what `text` may carry, tabs and
   * line breaks (each of which JSON writes as two characters), quotes and backslashes.
   */
  clipboard(length: number): string {
    let s = '';
    for (;;) {
      const next = this.int(8) === 0 ? this.pick(['\n', '\r\n', '\t', '"', '\\']) : this.text(1);
      const longer = s + next;
      // Room for the junk fields wellFormed may add.
      if (longer.length > length || JSON.stringify({ type: 'clipboard', text: longer }).length > 3_600) break;
      s = longer;
    }
    return s || 'x';
  }

  b64(): string {
    let s = '';
    for (let i = 0; i < 43; i++) s += B64[this.int(64)];
    // The last of 43 characters carries 2 bits of a 32-byte value: any works for the parser.
    return `${s}=`;
  }
}
