/**
 * The monitor layout read over RandR (src/agent/monitors.ts) against a real X server: Xvfb speaks RandR 1.6 with one
 * output, so the layout must equal what `xrandr` and `xdpyinfo` (the tests may use them; the product must not)
 * report; an Xvfb started without RandR must give the whole root window, with a log line.
 *
 * Needs: Xvfb, xrandr (x11-xserver-utils), xdpyinfo (x11-utils).
 */

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { MonitorLayout, connectRandr, monitorsFromOutputs, pickMonitor, readMonitors, type RandrConnection } from '../../src/agent/monitors';
import type { Logger } from '../../src/shared/log';
import { Stack, startXvfb } from '../support/env';

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, log: { trace: push('trace'), debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
}

const tool = (display: string, command: string, ...args: string[]): string =>
  execFileSync(command, args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 5000 });

describe('monitor layout over RandR on Xvfb, and without RandR', { timeout: 30_000 }, () => {
  const stack = new Stack();
  let display = '';
  /** Started up front with the other: a display number let go of mid-file was seen taken over and lost (env.ts). */
  let withoutRandr = '';
  let connection: RandrConnection;

  before(async () => {
    display = await startXvfb(stack, 1600, 900);
    withoutRandr = await startXvfb(stack, 800, 600, ['-extension', 'RANDR']);
    connection = await connectRandr(display);
    stack.add(() => connection.close());
  });

  after(() => stack.stop());

  it('reads the layout xrandr reports, through GetMonitors and through outputs and CRTCs alike', async () => {
    // "screen connected 1600x900+0+0 ...": the line screenshot-desktop reads.
    const line = /^(\S+) connected (primary )?(\d+)x(\d+)\+(\d+)\+(\d+)/m.exec(tool(display, 'xrandr', '--current'));
    assert.ok(line, 'xrandr lists a connected output');
    const expected = { name: line[1], primary: line[2] !== undefined, area: { x: Number(line[5]), y: Number(line[6]), width: Number(line[3]), height: Number(line[4]) } };

    const randr = connection.randr;
    assert.ok(randr, 'Xvfb has RandR');
    assert.ok(randr.version.major > 1 || randr.version.minor >= 5, `RandR ${randr.version.major}.${randr.version.minor}`);
    assert.deepEqual(await monitorsFromOutputs(randr), [expected]);
    const monitors = await readMonitors(randr);
    assert.deepEqual(monitors.map((m) => m.area), [expected.area]);
    // `xrandr --listmonitors`: " 0: +screen 1600/423x900/238+0+0  screen".
    const listed = /^\s*\d+: [+*]*(\S+) (\d+)\/\d+x(\d+)\/\d+\+(\d+)\+(\d+)/m.exec(tool(display, 'xrandr', '--listmonitors'));
    assert.ok(listed);
    assert.deepEqual(monitors[0], { name: listed[1], primary: monitors[0]!.primary, area: { x: Number(listed[4]), y: Number(listed[5]), width: Number(listed[2]), height: Number(listed[3]) } });
    assert.deepEqual(pickMonitor(monitors)?.area, { x: 0, y: 0, width: 1600, height: 900 });
  });

  it('gives the agent that area, names it in the log once, and matches xdpyinfo', async () => {
    const { log, lines } = recorder();
    const layout = new MonitorLayout(log, () => connectRandr(display));
    try {
      const area = await layout.area();
      const dims = /dimensions:\s+(\d+)x(\d+) pixels/.exec(tool(display, 'xdpyinfo'));
      assert.deepEqual(area, { x: 0, y: 0, width: Number(dims?.[1]), height: Number(dims?.[2]) });
      assert.deepEqual(await layout.area(), area);
      assert.equal(lines.filter((l) => l.includes('capturing monitor')).length, 1, lines.join('\n'));
    } finally {
      layout.dispose();
    }
  });

  it('reads the layout again after its X connection broke', async () => {
    const { log } = recorder();
    let opened = 0;
    let last: RandrConnection | undefined;
    const layout = new MonitorLayout(log, async () => {
      opened++;
      last = await connectRandr(display);
      return last;
    });
    try {
      await layout.area();
      last!.close();
      // The close is noticed asynchronously; until then a reading may fail, after it a new connection is opened.
      const area = await (async () => {
        for (let i = 0; i < 20; i++) {
          try {
            if (opened > 1) return await layout.area();
            await layout.area();
          } catch {
            // the broken connection was dropped
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        return undefined;
      })();
      assert.equal(opened, 2);
      assert.deepEqual(area, { x: 0, y: 0, width: 1600, height: 900 });
    } finally {
      layout.dispose();
    }
  });

  it('without RandR, captures the whole root window and says why once', async () => {
    assert.doesNotMatch(tool(withoutRandr, 'xdpyinfo', '-queryExtensions'), /RANDR/);
    const { log, lines } = recorder();
    const layout = new MonitorLayout(log, () => connectRandr(withoutRandr));
    try {
      assert.deepEqual(await layout.area(), { x: 0, y: 0, width: 800, height: 600 });
      assert.deepEqual(await layout.area(), { x: 0, y: 0, width: 800, height: 600 });
      const said = lines.filter((l) => l.startsWith('warn') && l.includes('no RandR'));
      assert.equal(said.length, 1, lines.join('\n'));
      assert.match(said[0]!, /capturing the whole screen \(800x600\)/);
    } finally {
      layout.dispose();
    }
  });
});
