/**
 * Which native grabber the agent uses (nativeScreen.ts): MIT-SHM when it opens, libnut's XGetImage when it does not
 * or when it fails later, with the reason said once. Both grabbers are fakes here; test/integration/agent.test.ts
 * checks the real MIT-SHM grabs against the X server's pixels.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedAgainst, loadNativeScreen, type Libnut, type XshmGrabber } from '../../src/agent/nativeScreen';

function fakeLibnut(calls: string[]): () => Libnut {
  return () => ({
    screen: {
      capture: (x?: number, y?: number, width = 4, height = 2) => {
        calls.push(`libnut ${x ?? '-'},${y ?? '-'} ${width}x${height}`);
        return { width, height, image: new Uint8Array(width * height * 4).fill(1) };
      },
    },
    getScreenSize: () => ({ width: 4, height: 2 }),
  });
}

function fakeXshm(calls: string[], fail?: () => string | undefined): XshmGrabber {
  return {
    open: () => {},
    grab: (x: number, y: number, width: number, height: number, into?: Uint8Array, intoX?: number, intoY?: number, intoWidth?: number) => {
      const why = fail?.();
      if (why) throw new Error(why);
      if (into) {
        calls.push(`xshm ${x},${y} ${width}x${height} into ${intoX},${intoY} of ${intoWidth}`);
        into.fill(2);
        return into;
      }
      calls.push(`xshm ${x},${y} ${width}x${height}`);
      return new Uint8Array(width * height * 4).fill(2);
    },
    size: () => ({ width: 4, height: 2 }),
    close: () => calls.push('xshm closed'),
  };
}

describe('the native screen grabber', () => {
  it('grabs through MIT-SHM when it opens, the whole screen at its size', () => {
    const calls: string[] = [];
    const said: string[] = [];
    const screen = loadNativeScreen((m) => said.push(m), { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls) });
    assert.equal(screen.how, 'MIT-SHM');
    const part = screen.grab({ x: 1, y: 1, width: 2, height: 1 });
    assert.deepEqual([part.width, part.height, part.data[0]], [2, 1, 2]);
    const whole = screen.grab(undefined);
    assert.deepEqual([whole.width, whole.height, whole.data.length], [4, 2, 32]);
    assert.deepEqual(calls, ['xshm 1,1 2x1', 'xshm 0,0 4x2']);
    assert.deepEqual(said, []);
  });

  it('writes a part straight into a picture through MIT-SHM; libnut cannot, and says so by false', () => {
    const calls: string[] = [];
    const picture = { data: new Uint8Array(4 * 2 * 4), width: 4, height: 2 };
    const screen = loadNativeScreen(() => {}, { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls) });
    assert.equal(screen.grabInto({ x: 5, y: 6, width: 2, height: 1 }, picture, 1, 1), true);
    assert.equal(picture.data[0], 2);
    const noShm = loadNativeScreen(() => {}, {
      libnut: fakeLibnut(calls),
      xshm: () => {
        throw new Error('no');
      },
    });
    assert.equal(noShm.grabInto({ x: 0, y: 0, width: 1, height: 1 }, picture, 0, 0), false);
    assert.deepEqual(calls, ['xshm 5,6 2x1 into 1,1 of 4']);
  });

  it('the whole screen goes straight into a picture only of its size (else false: grab() tells the new size)', () => {
    const calls: string[] = [];
    const screen = loadNativeScreen(() => {}, { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls) });
    assert.equal(screen.grabInto(undefined, { data: new Uint8Array(4 * 2 * 4), width: 4, height: 2 }, 0, 0), true);
    assert.equal(screen.grabInto(undefined, { data: new Uint8Array(3 * 2 * 4), width: 3, height: 2 }, 0, 0), false);
    assert.equal(screen.grabInto(undefined, { data: new Uint8Array(8 * 2 * 4), width: 8, height: 2 }, 4, 0), false);
    assert.deepEqual(calls, ['xshm 0,0 4x2 into 0,0 of 4']);
  });

  it('a part that fails to go straight into the picture is false, and libnut takes over', () => {
    const calls: string[] = [];
    const said: string[] = [];
    const picture = { data: new Uint8Array(16), width: 2, height: 2 };
    const screen = loadNativeScreen((m) => said.push(m), { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls, () => 'grab: XShmGetImage failed') });
    assert.equal(screen.grabInto({ x: 0, y: 0, width: 1, height: 1 }, picture, 0, 0), false);
    assert.equal(screen.how, 'XGetImage (libnut)');
    assert.equal(said.length, 1);
  });

  it("is used only once its pixels are libnut's (another namespace's shared memory answers without an error)", () => {
    const calls: string[] = [];
    const same = fakeXshm(calls);
    const libnutSame = (): Libnut => ({ screen: { capture: (_x, _y, w = 1, h = 1) => ({ width: w, height: h, image: new Uint8Array(w * h * 4).fill(2) }) }, getScreenSize: () => ({ width: 4, height: 2 }) });
    assert.equal(checkedAgainst(libnutSame(), same), same);
    // Someone else's memory: zeros, or anything but the screen.
    assert.throws(() => checkedAgainst(fakeLibnut([])(), fakeXshm(calls)), /differ from the X server's/);
    assert.equal(calls.at(-1), 'xshm closed');
    // The padding byte does not count.
    const padded = (): Libnut => ({ screen: { capture: (_x, _y, w = 1, h = 1) => ({ width: w, height: h, image: new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 0 : 2)) }) }, getScreenSize: () => ({ width: 4, height: 2 }) });
    assert.equal(checkedAgainst(padded(), same), same);
  });

  it("uses libnut's grabs when MIT-SHM does not open, and says why once", () => {
    const calls: string[] = [];
    const said: string[] = [];
    const screen = loadNativeScreen((m) => said.push(m), {
      libnut: fakeLibnut(calls),
      xshm: () => {
        throw new Error('the X server has no MIT-SHM extension');
      },
    });
    assert.equal(screen.how, 'XGetImage (libnut)');
    screen.grab({ x: 0, y: 0, width: 2, height: 2 });
    screen.grab(undefined);
    assert.deepEqual(calls, ['libnut 0,0 2x2', 'libnut -,- 4x2']);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /XGetImage, not MIT-SHM: the X server has no MIT-SHM extension/);
  });

  it('falls back to libnut for good when a grab fails, and that grab still answers', () => {
    const calls: string[] = [];
    const said: string[] = [];
    let failing = false;
    const screen = loadNativeScreen((m) => said.push(m), { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls, () => (failing ? 'grab: XShmGetImage failed' : undefined)) });
    screen.grab({ x: 0, y: 0, width: 1, height: 1 });
    failing = true;
    const got = screen.grab({ x: 0, y: 0, width: 2, height: 1 });
    assert.equal(got.data[0], 1, "libnut's pixels");
    failing = false;
    screen.grab({ x: 0, y: 0, width: 1, height: 1 });
    assert.equal(screen.how, 'XGetImage (libnut)');
    assert.deepEqual(calls, ['xshm 0,0 1x1', 'xshm closed', 'libnut 0,0 2x1', 'libnut 0,0 1x1']);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /MIT-SHM grabs failed \(grab: XShmGetImage failed\)/);
  });

  it('passes on a rectangle outside the screen (it shrank) without giving up MIT-SHM', () => {
    const calls: string[] = [];
    const said: string[] = [];
    let outside = true;
    const screen = loadNativeScreen((m) => said.push(m), { libnut: fakeLibnut(calls), xshm: () => fakeXshm(calls, () => (outside ? 'grab: the rectangle is outside the screen' : undefined)) });
    assert.throws(() => screen.grab({ x: 3, y: 0, width: 4, height: 2 }), /outside the screen/);
    outside = false;
    screen.grab({ x: 0, y: 0, width: 1, height: 1 });
    assert.equal(screen.how, 'MIT-SHM');
    assert.deepEqual(calls, ['xshm 0,0 1x1']);
    assert.deepEqual(said, []);
  });
});
