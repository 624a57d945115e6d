/**
 * What the frames a helper has not acknowledged painted (src/host/paintedLog.ts): after a cut, what a resumed helper
 * that still shows frame N may lack, or "the whole screen" when that cannot be told.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRgbaPng } from '../../src/agent/png';
import { PaintedLog } from '../../src/host/paintedLog';
import type { EncodedFrame } from '../../src/shared/frames';
import { encodeUpdate, type Rect, type UpdateOp } from '../../src/shared/screenUpdate';

const W = 64;
const H = 48;
const square = encodeRgbaPng(new Uint8Array(4 * 4 * 4).fill(100), 4, 4);
const whole = encodeRgbaPng(new Uint8Array(W * H * 4).fill(7), W, H);

const image = (x: number, y: number): UpdateOp => ({ kind: 'image', rect: { x, y, width: 4, height: 4 }, png: square });
const update = (ops: UpdateOp[], full = false): EncodedFrame => ({ format: 'update', width: W, height: H, data: encodeUpdate({ full, ops }) });
const key = (): EncodedFrame => update([{ kind: 'image', rect: { x: 0, y: 0, width: W, height: H }, png: whole }], true);
const at = (x: number, y: number): Rect => ({ x, y, width: 4, height: 4 });
const all: Rect = { x: 0, y: 0, width: W, height: H };

describe('painted log (what a resumed helper may lack)', () => {
  it('the parts of every frame after the one drawn: images where they go, copies where they land, pointers not at all', () => {
    const log = new PaintedLog();
    log.sent(0, key());
    log.sent(1, update([image(0, 0)]));
    log.sent(2, update([{ kind: 'copy', rect: { x: 8, y: 8, width: 10, height: 6 }, dx: 3, dy: -2 }, { kind: 'pointer', at: { x: 1, y: 1 } }]));
    log.sent(3, update([image(20, 20)]));
    assert.deepEqual(log.since(1), [{ x: 11, y: 6, width: 10, height: 6 }, at(20, 20)]);
    assert.deepEqual(log.since(3), [], 'drew the last one: nothing');
    assert.deepEqual(log.since(0), [at(0, 0), { x: 11, y: 6, width: 10, height: 6 }, at(20, 20)]);
  });

  it('a capture encoded and never sent counts too; acknowledged frames are forgotten', () => {
    const log = new PaintedLog();
    log.sent(0, key());
    log.sent(1, update([image(0, 0)]));
    log.acked(0);
    log.dropped(update([image(40, 40)]));
    assert.deepEqual(log.since(0), [at(0, 0), at(40, 40)]);
    log.acked(1);
    assert.deepEqual(log.since(1), [at(40, 40)]);
  });

  it('the whole screen when it cannot be told: no frame said, one never sent, one acknowledged and claimed not drawn, a failed capture, a whole picture', () => {
    const log = new PaintedLog();
    assert.equal(log.since(0), undefined, 'nothing sent yet');
    log.sent(0, key());
    log.sent(1, update([image(0, 0)]));
    log.sent(2, update([image(4, 0)]));
    assert.equal(log.since(undefined), undefined);
    assert.equal(log.since(3), undefined, 'never sent');
    log.acked(1);
    assert.equal(log.since(0), undefined, 'frame 1 was acknowledged: a helper that says it drew only 0 is wrong');
    assert.deepEqual(log.since(1), [at(4, 0)]);
    log.failed();
    assert.equal(log.since(1), undefined, 'the agent may have encoded an update that never came back');
    // A key frame paints everything: known again from there on.
    log.sent(3, key());
    assert.deepEqual(log.since(2), [all]);
    assert.deepEqual(log.since(3), []);
    const jpeg: EncodedFrame = { format: 'jpeg', width: W, height: H, data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) };
    log.sent(4, jpeg);
    assert.deepEqual(log.since(3), [all], 'a whole picture paints the whole screen');
  });

  it('too many frames not acknowledged: the whole screen', () => {
    const log = new PaintedLog();
    log.sent(0, key());
    for (let id = 1; id <= 300; id++) log.sent(id, update([image(id % 60, 0)]));
    assert.equal(log.since(0), undefined);
  });
});
