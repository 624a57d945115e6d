import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameAssembler, chunkFrame, imageSize, CHUNK_PAYLOAD } from '../../src/shared/frames';
import { KEY_CODES, isKnownKeyCode, nutKeyName, toPixel, toUnit } from '../../src/shared/keys';
import { cleanName, decodeJson, encodeMessage, parseHelperMessage, parseHostMessage, type HelperMessage } from '../../src/shared/protocol';
import { JunkMaker } from '../support/fuzz';
import { HELPER_TRANSITIONS, HOST_TRANSITIONS, StateMachine, type HostState } from '../../src/shared/stateMachine';

/** 32 bytes of base64, the size of every nonce and MAC. */
const B64 = 'A'.repeat(43) + '=';

describe('helper messages', () => {
  it('accepts every well-formed message', () => {
    const good = [
      { type: 'hello', version: 2, helperName: 'Grace', helperNonce: B64 },
      { type: 'proof', mac: B64 },
      { type: 'mediaProof', mac: B64 },
      { type: 'requestControl' },
      { type: 'releaseControl' },
      { type: 'pointerMove', x: 0, y: 1 },
      { type: 'pointerButton', button: 'right', down: true, x: 0.5, y: 0.25 },
      { type: 'wheel', dx: 0, dy: -3 },
      { type: 'key', code: 'Digit1', down: true },
      { type: 'releaseAll' },
      { type: 'frameAck', id: 7 },
      { type: 'heartbeat' },
      { type: 'bye', reason: 'helperEnded' },
    ];
    for (const m of good) assert.deepEqual(parseHelperMessage(decodeJson(encodeMessage(m as never))), m, JSON.stringify(m));
  });

  it('drops what is out of shape, out of range or unknown', () => {
    const bad: unknown[] = [
      null, 3, 'x', [], {}, { type: 'nope' }, { type: 'pointerMove', x: 1.5, y: 0 }, { type: 'pointerMove', x: NaN, y: 0 },
      { type: 'pointerMove', x: '0.5', y: 0 }, { type: 'pointerButton', button: 'x1', down: true, x: 0, y: 0 },
      { type: 'key', code: 'NotAKey', down: true }, { type: 'key', code: 'KeyA', down: 'yes' }, { type: 'wheel', dx: 0.5, dy: 0 },
      { type: 'wheel', dx: 0, dy: 1e9 }, { type: 'frameAck', id: -1 }, { type: 'bye', reason: 'because' },
      { type: 'hello', version: 1, helperName: 'x'.repeat(101), helperNonce: 'AA' }, { type: 'proof', mac: '<script>' },
      { type: 'key', code: '__proto__', down: true }, { type: 'key', code: 'constructor', down: true },
    ];
    for (const m of bad) assert.equal(parseHelperMessage(m), undefined, JSON.stringify(m));
  });

  it('refuses prototype keys, huge and non-finite numbers, wrong-sized nonces and nested junk', () => {
    const bad: unknown[] = [
      decodeJson('{"__proto__":{"type":"heartbeat"}}'),
      decodeJson('{"type":"pointerMove","x":1e999,"y":0}'),
      decodeJson('{"type":"frameAck","id":1e300}'),
      { type: 'frameAck', id: 2 ** 32 },
      { type: 'hello', version: 1.5, helperName: 'G', helperNonce: B64 },
      { type: 'hello', version: 2, helperName: 'G', helperNonce: 'AAAA' },
      { type: 'hello', version: 2, helperName: 'G', helperNonce: B64 + B64 },
      { type: 'proof', mac: '' },
      { type: 'key', code: 'toString', down: true },
      { type: 'pointerButton', button: '__proto__', down: true, x: 0, y: 0 },
      { type: 'wheel', dx: [1], dy: 0 },
      { type: { toString: 'heartbeat' } },
      Object.create({ type: 'heartbeat' }),
    ];
    for (const m of bad) assert.equal(parseHelperMessage(m), undefined, JSON.stringify(m));
    // Extra fields, prototype names among them, are never copied into the message.
    const parsed = parseHelperMessage(decodeJson('{"type":"pointerMove","x":0.5,"y":0.5,"__proto__":{"x":2},"constructor":1}'));
    assert.deepEqual(parsed, { type: 'pointerMove', x: 0.5, y: 0.5 });
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it('sorts 20,000 random messages exactly: every malformed one refused, every well-formed one rebuilt', () => {
    const junk = new JunkMaker(0x5eed);
    const kinds = [
      'hello', 'proof', 'mediaProof', 'requestControl', 'releaseControl', 'pointerMove', 'pointerButton', 'wheel', 'key',
      'releaseAll', 'frameAck', 'refresh', 'heartbeat', 'bye', 'text', 'chat', 'clipboard', 'clipboardRequest',
    ] as const satisfies readonly HelperMessage['type'][];
    for (let i = 0; i < 10_000; i++) {
      const m = junk.malformed();
      assert.equal(parseHelperMessage(decodeJson(m)), undefined, `seed ${junk.seed}, #${i}: ${typeof m === 'string' ? m.slice(0, 200) : `bytes ${m.length}`}`);
      const good = junk.wellFormed(kinds);
      assert.deepEqual(parseHelperMessage(decodeJson(good.text)), good.message, good.text);
    }
  });

  it('cleans names: no line breaks, control or bidirectional characters to fake a prompt with', () => {
    assert.equal(cleanName('Grace\n\nVerified by Microsoft'), 'Grace Verified by Microsoft');
    assert.equal(cleanName('\u202eecarG\u200b  Hopper\t'), 'ecarG Hopper');
    assert.equal(cleanName('\u0000\u0085\u2028x'), 'x');
    const hello = parseHelperMessage({ type: 'hello', version: 2, helperName: 'Eve\r\nThis request is safe: Allow', helperNonce: B64 });
    assert.equal(hello?.type === 'hello' && hello.helperName, 'Eve This request is safe: Allow');
  });

  it('parses JSON text without ever throwing', () => {
    assert.equal(decodeJson('{'), undefined);
    assert.equal(decodeJson(new Uint8Array([0xff, 0xfe])), undefined);
    assert.equal(decodeJson('x'.repeat(10_000)), undefined);
    assert.equal(decodeJson(42), undefined);
    assert.deepEqual(decodeJson(new TextEncoder().encode('{"type":"heartbeat"}')), { type: 'heartbeat' });
  });
});

describe('host messages', () => {
  it('accepts good ones and drops bad ones', () => {
    assert.deepEqual(parseHostMessage({ type: 'viewGranted', width: 1920, height: 1080 }), { type: 'viewGranted', width: 1920, height: 1080 });
    assert.equal(parseHostMessage({ type: 'viewGranted', width: 0, height: 1080 }), undefined);
    assert.equal(parseHostMessage({ type: 'control', granted: true, reason: 'whatever' }), undefined);
    // Granted and reason must agree.
    assert.deepEqual(parseHostMessage({ type: 'control', granted: true, reason: 'resumed' }), { type: 'control', granted: true, reason: 'resumed' });
    assert.deepEqual(parseHostMessage({ type: 'control', granted: false, reason: 'paused' }), { type: 'control', granted: false, reason: 'paused' });
    assert.equal(parseHostMessage({ type: 'control', granted: true, reason: 'paused' }), undefined);
    assert.equal(parseHostMessage({ type: 'control', granted: false, reason: 'granted' }), undefined);
    assert.equal(parseHostMessage({ type: 'control', granted: 'yes', reason: 'granted' }), undefined);
    assert.equal(parseHostMessage({ type: 'challenge', hostNonce: 'AAAA' }), undefined);
    const welcome = parseHostMessage({ type: 'welcome', mac: B64, hostName: 'Ada\u202e\nClick here', createdAt: 'x', expiresAt: 'y', consentTimeoutMs: 1000 });
    assert.equal(welcome?.type === 'welcome' && welcome.hostName, 'Ada Click here');
    assert.equal(parseHostMessage({ type: 'bye', reason: 'hostEnded', message: 'x'.repeat(600) }), undefined);
  });
});

describe('keys and coordinates', () => {
  it('maps physical keys to nut-js names, shifted symbols by their base key', () => {
    assert.equal(nutKeyName('Digit1'), 'Num1');
    assert.equal(nutKeyName('ShiftLeft'), 'LeftShift');
    assert.equal(nutKeyName('Quote'), 'Quote');
    assert.equal(nutKeyName('KeyA'), 'A');
    assert.equal(nutKeyName('Unknown'), undefined);
    assert.equal(isKnownKeyCode('toString'), false);
    assert.ok(Object.keys(KEY_CODES).length > 100);
  });

  it('maps normalised coordinates to pixels, clamped, and back', () => {
    assert.equal(toPixel(0, 1920), 0);
    assert.equal(toPixel(1, 1920), 1919);
    assert.equal(toPixel(-3, 1920), 0);
    assert.equal(toPixel(Number.NaN, 1920), 0);
    for (const px of [0, 1, 959, 1919]) assert.equal(toPixel(toUnit(px, 1920), 1920), px);
  });
});

describe('frames', () => {
  it('cuts a frame in chunks and puts it back together', () => {
    const data = new Uint8Array(CHUNK_PAYLOAD * 2 + 17).map((_, i) => i % 251);
    const chunks = chunkFrame(9, { format: 'jpeg', width: 1920, height: 1080, data });
    assert.equal(chunks.length, 3);
    const a = new FrameAssembler();
    assert.equal(a.push(chunks[0]!), undefined);
    assert.equal(a.push(chunks[1]!), undefined);
    const frame = a.push(chunks[2]!);
    assert.ok(frame);
    assert.equal(frame.id, 9);
    assert.equal(frame.width, 1920);
    assert.deepEqual(frame.data, data);
  });

  it('drops garbage and a frame whose chunks are out of order', () => {
    const a = new FrameAssembler();
    assert.equal(a.push(new Uint8Array(3)), undefined);
    assert.equal(a.push(new Uint8Array(40)), undefined);
    const chunks = chunkFrame(1, { format: 'png', width: 10, height: 10, data: new Uint8Array(CHUNK_PAYLOAD + 1) });
    assert.equal(a.push(chunks[1]!), undefined);
    assert.equal(a.malformed, 3);
  });

  it('reads JPEG and PNG sizes', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 0x04, 0x38, 0x07, 0x80, 3, 0, 0, 0]);
    assert.deepEqual(imageSize(jpeg), { format: 'jpeg', width: 1920, height: 1080 });
    const png = new Uint8Array(32);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    new DataView(png.buffer).setUint32(16, 800);
    new DataView(png.buffer).setUint32(20, 600);
    assert.deepEqual(imageSize(png), { format: 'png', width: 800, height: 600 });
    assert.equal(imageSize(new Uint8Array([1, 2, 3])), undefined);
  });
});

describe('state machines', () => {
  it('moves along allowed transitions and refuses the rest', () => {
    const refused: string[] = [];
    const m = new StateMachine<HostState>({ kind: 'idle' }, HOST_TRANSITIONS, (f, t) => refused.push(`${f.kind}->${t.kind}`));
    const seen: string[] = [];
    m.onChange((s) => seen.push(s.kind));
    assert.equal(m.to({ kind: 'viewing', helperName: 'x' }), false);
    assert.equal(m.to({ kind: 'starting' }), true);
    assert.equal(m.to({ kind: 'awaiting', code: 'c', expiresAt: new Date() }), true);
    assert.equal(m.to({ kind: 'controlled', helperName: 'x' }), false);
    assert.equal(m.to({ kind: 'ended', message: 'bye', reason: 'hostEnded', by: 'local' }), true);
    assert.equal(m.to({ kind: 'starting' }), false);
    assert.deepEqual(seen, ['starting', 'awaiting', 'ended']);
    assert.deepEqual(refused, ['idle->viewing', 'awaiting->controlled', 'ended->starting']);
  });

  it('lets every non-final state end or fail', () => {
    for (const table of [HOST_TRANSITIONS, HELPER_TRANSITIONS] as Record<string, readonly string[]>[]) {
      for (const [from, to] of Object.entries(table)) {
        if (from === 'ended' || from === 'failed') assert.deepEqual(to, []);
        else assert.ok(to.includes('ended'), from);
      }
    }
  });
});
