import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MonitorLayout, parseMonitorsReply, pickMonitor, readMonitors, type Monitor, type RandrConnection, type RandrRequests } from '../../src/agent/monitors';
import type { Logger } from '../../src/shared/log';

const area = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

interface FakeOutput {
  readonly id: number;
  readonly name: string;
  readonly connection: number;
  readonly crtc: number;
}

/** An X server's RandR as the requests see it: outputs, CRTCs, a primary, and GetMonitors' answer. */
function fakeRandr(options: {
  version: [number, number];
  outputs?: readonly FakeOutput[];
  crtcs?: Readonly<Record<number, { x: number; y: number; width: number; height: number; mode: number }>>;
  primary?: number;
  monitors?: readonly Monitor[];
}): RandrRequests & { asked: string[] } {
  const asked: string[] = [];
  const outputs = options.outputs ?? [];
  return {
    asked,
    version: { major: options.version[0], minor: options.version[1] },
    getMonitors: async () => {
      asked.push('GetMonitors');
      return options.monitors ?? [];
    },
    getScreenResources: async () => {
      asked.push('GetScreenResourcesCurrent');
      return { outputs: outputs.map((o) => o.id), configTimestamp: 7 };
    },
    getOutputPrimary: async () => {
      asked.push('GetOutputPrimary');
      return options.primary ?? 0;
    },
    getOutputInfo: async (id, ts) => {
      assert.equal(ts, 7);
      const o = outputs.find((x) => x.id === id)!;
      return { name: o.name, connection: o.connection, crtc: o.crtc };
    },
    getCrtcInfo: async (crtc, ts) => {
      assert.equal(ts, 7);
      return options.crtcs![crtc]!;
    },
  };
}

/** Two monitors side by side, the primary on the right; one output unplugged, one plugged in but off. */
const DUAL = {
  outputs: [
    { id: 61, name: 'DP-1', connection: 1, crtc: 0 },
    { id: 62, name: 'HDMI-1', connection: 0, crtc: 41 },
    { id: 63, name: 'eDP-1', connection: 0, crtc: 42 },
    { id: 64, name: 'DP-2', connection: 0, crtc: 0 },
  ],
  crtcs: { 41: { x: 0, y: 0, width: 1920, height: 1080, mode: 90 }, 42: { x: 1920, y: 280, width: 1280, height: 800, mode: 91 } },
  primary: 63,
};

describe('readMonitors', () => {
  it('lists connected outputs with an active CRTC on RandR 1.2 to 1.4, as xrandr --current does', async () => {
    const randr = fakeRandr({ version: [1, 4], ...DUAL });
    assert.deepEqual(await readMonitors(randr), [
      { name: 'HDMI-1', primary: false, area: area(0, 0, 1920, 1080) },
      { name: 'eDP-1', primary: true, area: area(1920, 280, 1280, 800) },
    ]);
    assert.ok(!randr.asked.includes('GetMonitors'));
  });

  it('skips a CRTC without a mode, and asks no primary of RandR 1.2', async () => {
    const randr = fakeRandr({ version: [1, 2], ...DUAL, crtcs: { ...DUAL.crtcs, 41: { x: 0, y: 0, width: 0, height: 0, mode: 0 } } });
    assert.deepEqual(await readMonitors(randr), [{ name: 'eDP-1', primary: false, area: area(1920, 280, 1280, 800) }]);
    assert.ok(!randr.asked.includes('GetOutputPrimary'));
  });

  it('asks GetMonitors from RandR 1.5 on', async () => {
    const monitors = [{ name: 'LEFT', primary: false, area: area(0, 0, 640, 800) }, { name: 'RIGHT', primary: true, area: area(640, 0, 640, 800) }];
    const randr = fakeRandr({ version: [1, 6], ...DUAL, monitors });
    assert.deepEqual(await readMonitors(randr), monitors);
    assert.deepEqual(randr.asked, ['GetMonitors']);
  });

  it('lists nothing below RandR 1.2 (the root window is all there is)', async () => {
    assert.deepEqual(await readMonitors(fakeRandr({ version: [1, 1], ...DUAL })), []);
  });
});

describe('pickMonitor', () => {
  const left = { name: 'HDMI-1', primary: false, area: area(0, 0, 1920, 1080) };
  const right = { name: 'eDP-1', primary: true, area: area(1920, 280, 1280, 800) };

  it('takes the primary, else the one called default, else the first with a size (screenshot-desktop\'s rules)', () => {
    assert.equal(pickMonitor([left, right]), right);
    assert.equal(pickMonitor([left, { ...right, primary: false }])?.name, 'HDMI-1');
    assert.equal(pickMonitor([left, { ...right, primary: false, name: 'default' }])?.name, 'default');
    assert.equal(pickMonitor([{ ...right, area: area(0, 0, 0, 800) }, left]), left);
    assert.equal(pickMonitor([{ ...right, area: area(0, 0, Number.NaN, 800) }]), undefined);
    assert.equal(pickMonitor([]), undefined);
  });
});

/** A GetMonitors reply body (after the 8-byte header) holding these monitors. */
function monitorsReply(monitors: readonly { atom: number; primary: boolean; x: number; y: number; width: number; height: number; outputs: readonly number[] }[]): Uint8Array {
  const size = 24 + monitors.reduce((n, m) => n + 24 + 4 * m.outputs.length, 0);
  const body = new DataView(new ArrayBuffer(size));
  body.setUint32(4, monitors.length, true);
  body.setUint32(8, monitors.reduce((n, m) => n + m.outputs.length, 0), true);
  let at = 24;
  for (const m of monitors) {
    body.setUint32(at, m.atom, true);
    body.setUint8(at + 4, m.primary ? 1 : 0);
    body.setUint16(at + 6, m.outputs.length, true);
    body.setInt16(at + 8, m.x, true);
    body.setInt16(at + 10, m.y, true);
    body.setUint16(at + 12, m.width, true);
    body.setUint16(at + 14, m.height, true);
    m.outputs.forEach((o, i) => body.setUint32(at + 24 + 4 * i, o, true));
    at += 24 + 4 * m.outputs.length;
  }
  return new Uint8Array(body.buffer);
}

describe('parseMonitorsReply', () => {
  it('reads each monitor past its list of outputs, with signed positions', () => {
    const body = monitorsReply([
      { atom: 300, primary: false, x: -1280, y: 0, width: 1280, height: 1024, outputs: [61, 62] },
      { atom: 301, primary: true, x: 0, y: 0, width: 3840, height: 2160, outputs: [] },
    ]);
    assert.deepEqual(parseMonitorsReply(body), [
      { nameAtom: 300, primary: false, area: area(-1280, 0, 1280, 1024) },
      { nameAtom: 301, primary: true, area: area(0, 0, 3840, 2160) },
    ]);
  });

  it('refuses counts that the bytes do not hold, without reading past the end', () => {
    const one = monitorsReply([{ atom: 1, primary: true, x: 0, y: 0, width: 10, height: 10, outputs: [5, 6] }]);
    assert.throws(() => parseMonitorsReply(one.subarray(0, 20)), /reply of 20 bytes/);
    assert.throws(() => parseMonitorsReply(one.subarray(0, one.length - 4)), /ends inside the outputs/);
    const lying = one.slice();
    new DataView(lying.buffer).setUint32(4, 0xffffffff, true);
    assert.throws(() => parseMonitorsReply(lying), /claims 4294967295 monitors/);
    const manyOutputs = one.slice();
    new DataView(manyOutputs.buffer).setUint16(24 + 6, 0xffff, true);
    assert.throws(() => parseMonitorsReply(manyOutputs), /ends inside the outputs/);
  });
});

describe('MonitorLayout', () => {
  function recorder(): { log: Logger; lines: string[] } {
    const lines: string[] = [];
    const push = (level: string) => (m: string | Error) => lines.push(`${level} ${String(m)}`);
    return { lines, log: { trace: push('trace'), debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
  }
  function connection(randr: RandrRequests | undefined, root = { width: 3200, height: 1360 }): RandrConnection & { closed: number } {
    const c = { closed: 0, root: 1, randr, rootSize: async () => root, onBroken: () => undefined, close: () => void c.closed++ };
    return c;
  }

  it('gives the chosen monitor, and logs only when the choice changes', async () => {
    const { log, lines } = recorder();
    let primary = 63;
    const randr = { ...fakeRandr({ version: [1, 4], ...DUAL }), getOutputPrimary: async () => primary };
    const layout = new MonitorLayout(log, async () => connection(randr));
    assert.deepEqual(await layout.area(), area(1920, 280, 1280, 800));
    assert.deepEqual(await layout.area(), area(1920, 280, 1280, 800));
    primary = 62;
    assert.deepEqual(await layout.area(), area(0, 0, 1920, 1080));
    assert.deepEqual(lines.filter((l) => l.includes('capturing monitor')), [
      'info capturing monitor eDP-1 (primary) at 1280x800+1920+280 (2 listed)',
      'info capturing monitor HDMI-1 (primary) at 1920x1080+0+0 (2 listed)',
    ]);
  });

  it('falls back to the whole root window without RandR, or with no monitor, saying so once', async () => {
    const { log, lines } = recorder();
    const layout = new MonitorLayout(log, async () => connection(undefined));
    assert.deepEqual(await layout.area(), area(0, 0, 3200, 1360));
    assert.deepEqual(await layout.area(), area(0, 0, 3200, 1360));
    assert.deepEqual(lines, ['warn the X server has no RandR extension: capturing the whole screen (3200x1360), every monitor at once']);

    const empty = recorder();
    const none = new MonitorLayout(empty.log, async () => connection(fakeRandr({ version: [1, 6] })));
    assert.deepEqual(await none.area(), area(0, 0, 3200, 1360));
    assert.match(empty.lines.join('\n'), /RandR 1\.6 lists no monitor with a size: capturing the whole screen/);
  });

  it('rejects with the reason when the layout cannot be read, and opens a new connection next time', async () => {
    const { log } = recorder();
    let fail = true;
    const opened: ReturnType<typeof connection>[] = [];
    const randr = { ...fakeRandr({ version: [1, 6], monitors: [{ name: 'A', primary: true, area: area(0, 0, 800, 600) }] }) };
    const flaky = { ...randr, getMonitors: () => (fail ? Promise.reject(new Error('BadImplementation')) : randr.getMonitors()) };
    const layout = new MonitorLayout(log, async () => {
      const c = connection(flaky);
      opened.push(c);
      return c;
    });
    await assert.rejects(layout.area(), /Cannot read the monitor layout: BadImplementation/);
    await new Promise((r) => setImmediate(r));
    fail = false;
    assert.deepEqual(await layout.area(), area(0, 0, 800, 600));
    assert.equal(opened.length, 2);
    assert.equal(opened[0]!.closed, 1);
  });

  it('captures the monitor the host selects, refuses one that is not there, and tells no change for a selection', async () => {
    const { log } = recorder();
    const randr = fakeRandr({ version: [1, 6], monitors: [
      { name: 'LEFT', primary: true, area: area(0, 0, 1280, 800) },
      { name: 'RIGHT', primary: false, area: area(1280, 0, 800, 600) },
    ] });
    const layout = new MonitorLayout(log, async () => connection(randr));
    const changes: string[] = [];
    layout.onChange((reading, lost) => changes.push(`${reading.shared} ${lost ?? '-'}`));
    assert.deepEqual(await layout.list(), { monitors: [
      { name: 'LEFT', primary: true, area: area(0, 0, 1280, 800) },
      { name: 'RIGHT', primary: false, area: area(1280, 0, 800, 600) },
    ], shared: 'LEFT' });
    assert.equal((await layout.select('RIGHT')).shared, 'RIGHT');
    assert.deepEqual(await layout.area(), area(1280, 0, 800, 600));
    await assert.rejects(layout.select('HDMI-9'), /There is no monitor "HDMI-9"/);
    assert.deepEqual(await layout.area(), area(1280, 0, 800, 600), 'a refused choice changes nothing');
    assert.equal((await layout.select(undefined)).shared, 'LEFT');
    assert.deepEqual(changes, [], 'the host\'s own choices are not reported back as changes');
  });

  it('falls back to the default when the selected monitor is gone, and says so; reports monitors that come and go', async () => {
    const { log, lines } = recorder();
    let monitors: Monitor[] = [
      { name: 'LEFT', primary: true, area: area(0, 0, 1280, 800) },
      { name: 'RIGHT', primary: false, area: area(1280, 0, 800, 600) },
    ];
    const randr = { ...fakeRandr({ version: [1, 6] }), getMonitors: async () => monitors };
    const layout = new MonitorLayout(log, async () => connection(randr));
    const changes: string[] = [];
    layout.onChange((reading, lost) => changes.push(`${reading.monitors.map((m) => m.name).join('+')} shared ${reading.shared} lost ${lost ?? '-'}`));
    await layout.select('RIGHT');
    monitors = [monitors[0]!];
    assert.deepEqual(await layout.area(), area(0, 0, 1280, 800));
    assert.ok(lines.some((l) => l === 'warn the monitor RIGHT is gone: capturing the default one again'), lines.join('\n'));
    monitors = [...monitors, { name: 'DP-3', primary: false, area: area(1280, 0, 1920, 1080) }];
    await layout.area();
    await layout.area();
    assert.deepEqual(changes, ['LEFT shared LEFT lost RIGHT', 'LEFT+DP-3 shared LEFT lost -']);
  });

  it('rejects when the X server cannot be reached, and after dispose', async () => {
    const { log } = recorder();
    const layout = new MonitorLayout(log, () => Promise.reject(new Error('connect ENOENT /tmp/.X11-unix/X9')));
    await assert.rejects(layout.area(), /Cannot read the monitor layout: connect ENOENT/);
    layout.dispose();
    await assert.rejects(layout.area(), /closed/);
  });
});
