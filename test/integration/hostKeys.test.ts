/**
 * The person at the machine wins with their keyboard too (src/agent/hostKeys.ts, input.ts), against a real X server:
 * Xvfb, the bundled dist/agent.js with real nut-js, remote input applied as a helper's would be.
 *
 * The host's keyboard is Xvfb's own slave device "Xvfb keyboard", driven through XTEST's device form
 * (test/support/deviceKeyboard.ts): the server posts those presses on that device, so they reach the agent with
 * its id as `sourceid`, as a USB keyboard's would. xdotool cannot play the host here: it injects through the same
 * "Virtual core XTEST keyboard" as the agent.
 *
 * Needs: Xvfb, xdotool, xinput. Build first (`node esbuild.js`).
 */

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { HostAgent, InputEvent } from '../../src/agent/contract';
import { startAgent, type AgentHandle } from '../../src/host/agentClient';
import { HOST_PAUSE_MS } from '../../src/agent/input';
import type { Logger } from '../../src/shared/log';
import { DeviceKeyboard } from '../support/deviceKeyboard';
import { ROOT, Stack, startXvfb, waitFor } from '../support/env';

const AGENT = path.join(ROOT, 'dist', 'agent.js');
/** Shift_R in Xvfb's keymap: pressing it alone does nothing anywhere. */
const HOST_KEY = 62;

const lines: string[] = [];
const log: Logger = {
  trace: (m) => lines.push(`trace ${m}`),
  debug: (m) => lines.push(`debug ${m}`),
  info: (m) => lines.push(`info  ${m}`),
  warn: (m) => lines.push(`warn  ${m}`),
  error: (m) => lines.push(`error ${m instanceof Error ? (m.stack ?? m.message) : m}`),
};

describe("the host's own keyboard on Xvfb", { timeout: 60_000 }, () => {
  const stack = new Stack();
  let display = '';
  let agent: AgentHandle;
  let keyboard: DeviceKeyboard;

  const x = (command: string, ...args: string[]): string =>
    execFileSync(command, args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 5000 });
  const down = (device: 'pointer' | 'keyboard'): string[] =>
    x('xinput', 'query-state', `Virtual core XTEST ${device}`).split('\n').map((l) => l.trim()).filter((l) => l.endsWith('=down'));
  const at = (): string => /^x:(\d+) y:(\d+) /.exec(x('xdotool', 'getmouselocation'))!.slice(1, 3).join(',');
  const send = (target: HostAgent, events: InputEvent[]): void => events.forEach((e) => target.input(e));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    assert.ok(fs.existsSync(AGENT), `${AGENT} is missing: run node esbuild.js first`);
    display = await startXvfb(stack, 1280, 800);
    agent = await startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: display } });
    stack.add(() => agent.dispose());
    keyboard = await DeviceKeyboard.open(display);
    stack.add(() => keyboard.close());
  });

  after(async () => {
    await stack.stop();
  });

  it("pauses remote input when the host presses a key, releasing what it held, and resumes once they are still", { timeout: 20_000 }, async (t) => {
    const pauses: { paused: boolean; at: number }[] = [];
    const subscription = agent.onInputPause((paused) => pauses.push({ paused, at: Date.now() }));
    t.after(() => subscription.dispose());
    try {
      // The helper drives and types; its own keys (XTEST) never count as the host's.
      send(agent, [{ type: 'pointerMove', x: 0.25, y: 0.25 }]);
      for (const code of ['KeyA', 'KeyB', 'Space', 'KeyC']) {
        send(agent, [{ type: 'key', code, down: true }, { type: 'key', code, down: false }]);
        await sleep(30);
      }
      send(agent, [
        { type: 'pointerButton', button: 'left', down: true, x: 0.25, y: 0.25 },
        { type: 'key', code: 'ShiftLeft', down: true },
      ]);
      await waitFor('a button and Shift held', () => down('pointer').length === 1 && down('keyboard').length === 1, 3000);
      await sleep(300);
      assert.equal(pauses.length, 0, 'no pause from the helper alone');
      const where = at();

      // The person at the machine presses a key on their own keyboard; the mouse stays still.
      const pressed = Date.now();
      await keyboard.tap(HOST_KEY);
      await waitFor('the pause', () => pauses.length === 1, 2000, 10);
      assert.equal(pauses[0]!.paused, true);
      const noticedAfter = pauses[0]!.at - pressed;
      assert.ok(noticedAfter < 300, `noticed after ${noticedAfter} ms`);
      await waitFor('everything released', () => down('pointer').length === 0 && down('keyboard').length === 0, 1000, 10);

      // Remote input is dropped during the pause, and every key the host presses starts the quiet time again.
      send(agent, [{ type: 'pointerMove', x: 0.1, y: 0.1 }, { type: 'key', code: 'ControlLeft', down: true }]);
      await sleep(900);
      const lastHostKey = Date.now();
      await keyboard.tap(HOST_KEY);
      await sleep(900);
      assert.equal(at(), where, 'the helper did not move the pointer during the pause');
      assert.deepEqual(down('keyboard'), []);
      assert.equal(pauses.length, 1, 'still paused 1.8 s after the first key: the second one started the quiet time again');

      await waitFor('the end of the pause', () => pauses.length === 2, 3000, 10);
      assert.equal(pauses[1]!.paused, false);
      const stillFor = pauses[1]!.at - lastHostKey;
      assert.ok(stillFor >= HOST_PAUSE_MS && stillFor < HOST_PAUSE_MS + 1000, `resumed ${stillFor} ms after the host's last key`);
      send(agent, [{ type: 'pointerMove', x: 0.5, y: 0.5 }]);
      await waitFor('the helper drives again', () => at() === '640,400', 2000);

      // Once the helper lets go of everything, the host's keyboard is theirs without a pause.
      await agent.releaseAll();
      await keyboard.tap(HOST_KEY);
      await sleep(300);
      assert.equal(pauses.length, 2, 'no pause while no remote input is active');
    } catch (error) {
      process.stderr.write(`agent log:\n${lines.join('\n')}\n`);
      throw error;
    }
  });
});
