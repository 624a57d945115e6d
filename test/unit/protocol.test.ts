import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameAssembler, chunkFrame, imageSize, CHUNK_PAYLOAD } from '../../src/shared/frames';
import { KEY_CODES, isKnownKeyCode, nutKeyName, toPixel, toUnit } from '../../src/shared/keys';
import { decodeJson, encodeMessage, parseHelperMessage, parseHostMessage } from '../../src/shared/protocol';
import { HELPER_TRANSITIONS, HOST_TRANSITIONS, StateMachine, type HostState } from '../../src/shared/stateMachine';

describe('helper messages', () => {
  it('accepts every well-formed message', () => {
    const good = [
      { type: 'hello', version: 1, helperName: 'Grace', helperNonce: 'AAAA' },
      { type: 'proof', mac: 'abc=' },
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
      { type: 'pointerMove', x: '0.5', y: 0 }, { type: 'pointerButton', button: 'back', down: true, x: 0, y: 0 },
      { type: 'key', code: 'NotAKey', down: true }, { type: 'key', code: 'KeyA', down: 'yes' }, { type: 'wheel', dx: 0.5, dy: 0 },
      { type: 'wheel', dx: 0, dy: 1e9 }, { type: 'frameAck', id: -1 }, { type: 'bye', reason: 'because' },
      { type: 'hello', version: 1, helperName: 'x'.repeat(101), helperNonce: 'AA' }, { type: 'proof', mac: '<script>' },
      { type: 'key', code: '__proto__', down: true }, { type: 'key', code: 'constructor', down: true },
    ];
    for (const m of bad) assert.equal(parseHelperMessage(m), undefined, JSON.stringify(m));
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
    assert.equal(m.to({ kind: 'ended', message: 'bye' }), true);
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
