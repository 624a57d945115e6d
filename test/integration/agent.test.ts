/**
 * The host agent against a real X server: Xvfb at 1280x800, xterm windows, the bundled dist/agent.js with
 * real nut-js and screenshot-desktop. What the agent did is read back with X tools (xdotool, xinput,
 * ImageMagick), not with the agent itself.
 *
 * Needs: Xvfb, xterm, xdotool, xinput, ImageMagick. Build first (`node esbuild.js`).
 */

import * as assert from 'node:assert/strict';
import { execFileSync, fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { HostAgent, InputEvent } from '../../src/agent/contract';
import { AgentError, describeAgentExit, startAgent, type AgentHandle } from '../../src/host/agentClient';
import { isAgentMessage, type AgentMessage } from '../../src/agent/contract';
import { pickLinuxOutput } from '../../src/agent/screenshotDesktopSource';
import { HOST_PAUSE_MS } from '../../src/agent/input';
import { loadXshm } from '../../src/agent/nativeScreen';
import type { Logger } from '../../src/shared/log';
import { applyFrame, rgbAt } from '../support/screenPixels';
import { ROOT, Stack, keystrokes, startXterm, startXvfb, waitFor } from '../support/env';

const AGENT = path.join(ROOT, 'dist', 'agent.js');
const WIDTH = 1280;
const HEIGHT = 800;

/** Collects the agent's log; printed when a test fails, so the reason is in the output. */
const lines: string[] = [];
const log: Logger = {
  trace: (m) => lines.push(`trace ${m}`),
  debug: (m) => lines.push(`debug ${m}`),
  info: (m) => lines.push(`info  ${m}`),
  warn: (m) => lines.push(`warn  ${m}`),
  error: (m) => lines.push(`error ${m instanceof Error ? (m.stack ?? m.message) : m}`),
};

describe('host agent on Xvfb', { timeout: 90_000 }, () => {
  const stack = new Stack();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
  let display = '';
  let agent: AgentHandle;

  /** Runs an X tool on the test display. */
  const x = (command: string, ...args: string[]): string =>
    execFileSync(command, args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 5000 });

  /** Lines of `xinput query-state` that say "down", for the XTEST device nut-js injects through. */
  const down = (device: 'pointer' | 'keyboard'): string[] =>
    x('xinput', 'query-state', `Virtual core XTEST ${device}`).split('\n').map((l) => l.trim()).filter((l) => l.endsWith('=down'));

  const send = (target: HostAgent, events: InputEvent[]): void => events.forEach((e) => target.input(e));

  /** Runs `f` in this process with $DISPLAY set to the test's display (Xlib reads it when a connection opens). */
  const withDisplay = <T>(f: () => T): T => {
    const before = process.env['DISPLAY'];
    process.env['DISPLAY'] = display;
    try {
      return f();
    } finally {
      if (before === undefined) delete process.env['DISPLAY'];
      else process.env['DISPLAY'] = before;
    }
  };

  before(async () => {
    assert.ok(fs.existsSync(AGENT), `${AGENT} is missing: run node esbuild.js first`);
    display = await startXvfb(stack, WIDTH, HEIGHT);
    agent = await startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: display } });
    stack.add(() => agent.dispose());
  });

  after(async () => {
    await stack.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('measures the screen', { timeout: 5000 }, async () => {
    assert.deepEqual(await agent.screenSize(), { width: WIDTH, height: HEIGHT });
  });

  it('runs with a small young generation collected on its main thread and a fixed mmap threshold (few grabs held, no helper threads woken)', () => {
    const argv = fs.readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-semi-space-size=2'), argv.join(' '));
    assert.ok(argv.includes('--single-threaded-gc'), argv.join(' '));
    const environ = fs.readFileSync(`/proc/${agent.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('MALLOC_MMAP_THRESHOLD_=33554432'), environ.filter((e) => e.startsWith('MALLOC')).join(' ') || 'no MALLOC_ variable');
  });

  it('captures the screen as a key update of its size, then only what changed, and nothing while it stands still', { timeout: 20_000 }, async () => {
    const title = 'agent-red';
    await startXterm(stack, display, ['-geometry', '40x10+100+100', '-bg', '#ff0000', '-fg', '#ff0000', '-cr', '#ff0000', '-e', 'sleep', '60'], title);
    const info = x('xwininfo', '-name', title);
    const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(info)?.[1]);
    const [left, top, w, h] = [field('Absolute upper-left X'), field('Absolute upper-left Y'), field('Width'), field('Height')];
    assert.ok(w > 50 && h > 50, info);

    const key = await agent.capture({ full: true });
    assert.ok(key);
    assert.deepEqual([key.format, key.width, key.height], ['update', WIDTH, HEIGHT]);
    const picture = new Uint8Array(WIDTH * HEIGHT * 4);
    assert.equal(applyFrame(key, picture).full, true);
    const isRed = ([r, g, b]: [number, number, number]): boolean => r > 200 && g < 60 && b < 60;
    const inside = rgbAt(picture, WIDTH, left + Math.floor(w / 2), top + Math.floor(h / 2));
    assert.ok(isRed(inside), `window centre is ${inside.join(',')}`);
    const outside = rgbAt(picture, WIDTH, WIDTH - 50, HEIGHT - 50);
    assert.ok(!isRed(outside), `far corner is ${outside.join(',')}`);
    // Exactly what ImageMagick reads off the X server (lossless).
    const raw = path.join(scratch, 'root.rgb');
    execFileSync('import', ['-window', 'root', '-depth', '8', `rgb:${raw}`], { env: { ...process.env, DISPLAY: display }, timeout: 10_000 });
    const truth = fs.readFileSync(raw);
    assert.equal(truth.length, WIDTH * HEIGHT * 3);
    let differ = 0;
    for (let i = 0, j = 0; i < truth.length; i += 3, j += 4) if (truth[i] !== picture[j + 2] || truth[i + 1] !== picture[j + 1] || truth[i + 2] !== picture[j]) differ++;
    assert.equal(differ, 0, `${differ} pixels differ from the X server's own picture`);

    // A still screen: nothing, after waiting for a change that does not come.
    const started = Date.now();
    assert.equal(await agent.capture({ waitMs: 300 }), undefined);
    assert.ok(Date.now() - started >= 250, 'it waited for a change');

    // A change: a small blue window. The update holds about that window, not the screen; it arrives within the wait.
    const waiting = agent.capture({ waitMs: 5000 });
    await startXterm(stack, display, ['-geometry', '10x3+600+500', '-bg', '#0000ff', '-fg', '#0000ff', '-cr', '#0000ff', '-e', 'sleep', '60'], 'agent-blue');
    let frame = await waiting;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      assert.ok(frame && frame.format === 'update');
      assert.ok(frame.data.length < key.data.length / 4, `${frame.data.length} bytes against the key's ${key.data.length}`);
      applyFrame(frame, picture);
      const blueInfo = x('xwininfo', '-name', 'agent-blue');
      const bx = Number(/Absolute upper-left X:\s+(\d+)/.exec(blueInfo)?.[1]);
      const by = Number(/Absolute upper-left Y:\s+(\d+)/.exec(blueInfo)?.[1]);
      const [r, g, b] = rgbAt(picture, WIDTH, bx + 10, by + 10);
      if (b > 200 && r < 60 && g < 60) break;
      frame = await agent.capture({ waitMs: 1000 });
    }
    const [r, g, b] = rgbAt(picture, WIDTH, 610, 510);
    assert.ok(b > 200 && r < 60 && g < 60, `the new window is blue at the helper: ${r},${g},${b}`);
  });

  it('moves the pointer to normalised coordinates', { timeout: 5000 }, async () => {
    send(agent, [{ type: 'pointerMove', x: 0.5, y: 0.5 }]);
    await waitFor('pointer at 640,400', () => /^x:640 y:400 /.test(x('xdotool', 'getmouselocation')), 3000);
    send(agent, [{ type: 'pointerMove', x: 1, y: 0 }]);
    await waitFor('pointer clamped to 1279,0', () => /^x:1279 y:0 /.test(x('xdotool', 'getmouselocation')), 3000);
  });

  it('holds buttons and keys until releaseAll, which is idempotent', { timeout: 8000 }, async () => {
    send(agent, [
      { type: 'pointerButton', button: 'left', down: true, x: 0.9, y: 0.9 },
      { type: 'pointerButton', button: 'right', down: true, x: 0.9, y: 0.9 },
      { type: 'key', code: 'ShiftLeft', down: true },
      { type: 'key', code: 'ControlLeft', down: true },
    ]);
    await waitFor('two buttons and two keys down', () => down('pointer').length === 2 && down('keyboard').length === 2, 3000);
    assert.deepEqual(down('pointer'), ['button[1]=down', 'button[3]=down']);

    await agent.releaseAll();
    assert.deepEqual(down('pointer'), []);
    assert.deepEqual(down('keyboard'), []);
    await agent.releaseAll();
    assert.deepEqual(down('pointer'), []);
  });

  it('ignores key-ups for keys not held, and keeps repeated key-downs held once', { timeout: 8000 }, async () => {
    send(agent, [
      { type: 'key', code: 'AltLeft', down: false },
      { type: 'key', code: 'ShiftLeft', down: true },
      { type: 'key', code: 'ShiftLeft', down: true },
      { type: 'key', code: 'ShiftLeft', down: false },
    ]);
    await agent.releaseAll(); // ordered after the events: a barrier
    assert.deepEqual(down('keyboard'), []);
    assert.ok(!lines.some((l) => l.startsWith('error')), lines.join('\n'));
  });

  it('types into a focused window with physical keys, Shift for shifted symbols', { timeout: 20_000 }, async () => {
    const file = path.join(scratch, 'typed.txt');
    const title = 'agent-typing';
    await startXterm(stack, display, ['-geometry', '60x5+600+400', '-e', 'sh', '-c', `IFS= read -r line; printf '%s\\n' "$line" > '${file}'`], title);
    // No window manager: the keyboard focus follows the pointer, so point into the window.
    send(agent, [{ type: 'pointerMove', x: 800 / WIDTH, y: 440 / HEIGHT }]);
    await waitFor('pointer in the xterm', () => x('xdotool', 'getmouselocation').includes('x:800 y:440'), 3000);

    const text = "echo 'Hi! #1'";
    for (const { code, shift } of keystrokes(`${text}\n`)) {
      if (shift) send(agent, [{ type: 'key', code: 'ShiftLeft', down: true }]);
      send(agent, [{ type: 'key', code, down: true }, { type: 'key', code, down: false }]);
      if (shift) send(agent, [{ type: 'key', code: 'ShiftLeft', down: false }]);
    }
    const typed = await waitFor('the typed line', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8'), 8000);
    assert.equal(typed, `${text}\n`);
    assert.deepEqual(down('keyboard'), []);
  });

  it('leaves key auto-repeat to the X server: repeated key-downs type one character', { timeout: 20_000 }, async () => {
    const file = path.join(scratch, 'repeat.txt');
    const title = 'agent-repeat';
    // Away from the window of the previous test, which may still be closing.
    await startXterm(stack, display, ['-geometry', '60x5+600+150', '-e', 'sh', '-c', `IFS= read -r line; printf '%s\\n' "$line" > '${file}'`], title);
    send(agent, [{ type: 'pointerMove', x: 800 / WIDTH, y: 190 / HEIGHT }]);
    await waitFor('pointer in the xterm', () => x('xdotool', 'getmouselocation').includes('x:800 y:190'), 3000);
    // A browser repeats keydown while a key is held. Sent faster than the X server's own repeat delay
    // (660 ms), they must not type a character each: the X server repeats held keys itself.
    send(agent, Array.from({ length: 10 }, (): InputEvent => ({ type: 'key', code: 'KeyA', down: true })));
    send(agent, [{ type: 'key', code: 'KeyA', down: false }, { type: 'key', code: 'Enter', down: true }, { type: 'key', code: 'Enter', down: false }]);
    const typed = await waitFor('the typed line', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8'), 8000);
    assert.equal(typed, 'a\n');
  });

  it("pauses remote input while the host's own mouse moves, releasing what it held, and resumes once it is still", { timeout: 20_000 }, async () => {
    const pauses: { paused: boolean; at: number }[] = [];
    const subscription = agent.onInputPause((paused) => pauses.push({ paused, at: Date.now() }));
    const at = (): string => /^x:(\d+) y:(\d+) /.exec(x('xdotool', 'getmouselocation'))!.slice(1, 3).join(',');
    try {
      // The helper moves about on its own for a while: its own moves never count as the host's.
      for (let i = 0; i < 20; i++) {
        send(agent, [{ type: 'pointerMove', x: 0.2 + i / 100, y: 0.25 }]);
        await new Promise((r) => setTimeout(r, 30));
      }
      send(agent, [
        { type: 'pointerButton', button: 'left', down: true, x: 0.25, y: 0.25 },
        { type: 'key', code: 'ShiftLeft', down: true },
      ]);
      await waitFor('a button and Shift held', () => down('pointer').length === 1 && down('keyboard').length === 1, 3000);
      assert.equal(pauses.length, 0, 'no pause from the helper alone');

      // The person at the machine moves their mouse (another X client, as their own mouse would be).
      const moved = Date.now();
      x('xdotool', 'mousemove', '900', '600');
      await waitFor('the pause', () => pauses.length === 1, 2000, 10);
      assert.equal(pauses[0]!.paused, true);
      const noticedAfter = pauses[0]!.at - moved;
      assert.ok(noticedAfter < 500, `noticed after ${noticedAfter} ms (polled every 50 ms)`);
      await waitFor('everything released', () => down('pointer').length === 0 && down('keyboard').length === 0, 1000, 10);

      // Remote input is dropped during the pause, and the pause lasts while the host keeps moving.
      send(agent, [{ type: 'pointerMove', x: 0.1, y: 0.1 }, { type: 'key', code: 'ControlLeft', down: true }]);
      await new Promise((r) => setTimeout(r, 700));
      const lastHostMove = Date.now(); // before the move: the agent cannot see it earlier than this
      x('xdotool', 'mousemove', '910', '610');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(at(), '910,610', 'the helper did not move the pointer during the pause');
      assert.deepEqual(down('keyboard'), []);
      assert.equal(pauses.length, 1, 'still paused');

      await waitFor('the end of the pause', () => pauses.length === 2, 3000, 10);
      assert.equal(pauses[1]!.paused, false);
      const stillFor = pauses[1]!.at - lastHostMove;
      assert.ok(stillFor >= HOST_PAUSE_MS && stillFor < HOST_PAUSE_MS + 1000, `resumed ${stillFor} ms after the host's last move`);
      send(agent, [{ type: 'pointerMove', x: 0.5, y: 0.5 }]);
      await waitFor('the helper drives again', () => at() === '640,400', 2000);

      // Once the helper lets go of everything (releaseAll), the host's mouse is theirs without a pause.
      await agent.releaseAll();
      x('xdotool', 'mousemove', '100', '100');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(pauses.length, 2, 'no pause while no remote input is active');
    } finally {
      subscription.dispose();
    }
  });

  it('captures and drives only the primary monitor when there are several', { timeout: 15_000 }, async () => {
    // Xvfb has one output; a stand-in xrandr (first on the agent's PATH) describes two monitors side by side,
    // the primary on the right. screenshot-desktop crops to it; the pointer must follow. The product's own source
    // reads the layout over RandR instead (no xrandr; its choice of monitor is unit-tested in monitors.test.ts, and
    // Xvfb cannot be given a second monitor), so this runs the screenshot-desktop source, which still runs xrandr.
    const bin = path.join(scratch, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'xrandr'), `#!/bin/sh
cat <<'EOF'
Screen 0: minimum 1 x 1, current ${WIDTH} x ${HEIGHT}, maximum ${WIDTH} x ${HEIGHT}
LEFT-1 connected 640x800+0+0 0mm x 0mm
   640x800       60.00*+
RIGHT-1 connected primary 640x800+640+0 0mm x 0mm
   640x800       60.00*+
EOF
`, { mode: 0o755 });
    const dual = await startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: display, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, REMOTE_ASSIST_FRAME_SOURCE: 'screenshot-desktop' } });
    stack.add(() => dual.dispose());
    assert.deepEqual(await dual.screenSize(), { width: 640, height: 800 });
    const frame = await dual.capture({ full: true });
    assert.deepEqual([frame?.width, frame?.height], [640, 800]);
    dual.input({ type: 'pointerMove', x: 0.5, y: 0.5 });
    await waitFor('pointer at 960,400', () => /^x:960 y:400 /.test(x('xdotool', 'getmouselocation')), 3000);
    dual.dispose();
  });

  it('gives up a capture that never ends, within 5 s, and lives on', { timeout: 20_000 }, async () => {
    // screenshot-desktop never settles when xrandr fails (and leaves the rejection unhandled, which would end
    // a Node process by default). A stand-in xrandr fails once a flag file exists.
    const bin = path.join(scratch, 'failing-bin');
    const flag = path.join(scratch, 'xrandr-fails');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'xrandr'), `#!/bin/sh
if [ -e '${flag}' ]; then echo "xrandr: cannot open display" >&2; exit 1; fi
exec /usr/bin/xrandr "$@"
`, { mode: 0o755 });
    // screenshot-desktop alone: the default source would not even capture while the screen stands still.
    const env = { ...process.env, DISPLAY: display, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, REMOTE_ASSIST_FRAME_SOURCE: 'screenshot-desktop' };
    const flaky = await startAgent({ log, agentPath: AGENT, env });
    stack.add(() => flaky.dispose());
    await flaky.capture(); // reads the monitor layout, which is then trusted for 2 s
    fs.writeFileSync(flag, '');
    const started = Date.now();
    await assert.rejects(flaky.capture(), /took more than 5 s/);
    assert.ok(Date.now() - started < 6500, `gave up after ${Date.now() - started} ms`);
    assert.ok(lines.some((l) => l.includes('unhandled rejection') && l.includes('xrandr')), lines.join('\n'));
    // Past the 2 s, the agent reads the layout itself and gets xrandr's own words, at once.
    await assert.rejects(flaky.capture(), /Cannot read the monitor layout: .*cannot open display/s);
    await flaky.releaseAll(); // still alive and answering
    assert.deepEqual(await flaky.screenSize(), { width: WIDTH, height: HEIGHT });
    flaky.dispose();
  });

  it('refuses to start without a display, with a clear message, and no process', { timeout: 8000 }, async () => {
    await assert.rejects(startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: ':999' } }), (error: unknown) => {
      assert.ok(error instanceof AgentError);
      assert.equal(error.kind, 'noDisplay');
      assert.match(error.message, /Cannot connect to the X display ":999"/);
      return true;
    });
    const { DISPLAY: _unused, ...noDisplay } = process.env;
    await assert.rejects(startAgent({ log, agentPath: AGENT, env: { ...noDisplay, WAYLAND_DISPLAY: 'wayland-0' } }), /Wayland/);
  });

  it('an X server that refuses us crashes only the agent, which says why', { timeout: 15_000 }, async () => {
    // A server that wants a cookie we do not have: the socket answers (so the display check passes) and
    // libX11 refuses, and nut-js segfaults. That must end the agent alone, with libX11's reason in the error.
    const cookie = crypto.randomBytes(16);
    const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    const entry = Buffer.concat([Buffer.from([0xff, 0xff]), field(Buffer.alloc(0)), field(Buffer.alloc(0)), field(Buffer.from('MIT-MAGIC-COOKIE-1')), field(cookie)]);
    const serverAuth = path.join(scratch, 'server.Xauthority');
    fs.writeFileSync(serverAuth, entry);
    const guarded = await startXvfb(stack, 320, 200, ['-auth', serverAuth]);
    await assert.rejects(
      startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: guarded, XAUTHORITY: path.join(scratch, 'no.Xauthority') } }),
      (error: unknown) => {
        assert.ok(error instanceof AgentError, String(error));
        assert.equal(error.kind, 'noDisplay', error.message);
        assert.match(error.message, /could not open the X display \(the X server said: ".*authori[sz]ation.*"\) and was killed by SIGSEGV/i);
        return true;
      },
    );
  });

  it('the agent itself refuses a missing display before nut-js can crash it', { timeout: 8000 }, async () => {
    // Forked directly, so its own check runs (startAgent would not even start it).
    const child = fork(AGENT, [], { serialization: 'advanced', env: { ...process.env, DISPLAY: ':999' }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const messages: AgentMessage[] = [];
    child.on('message', (m: unknown) => {
      if (isAgentMessage(m)) messages.push(m);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1);
    const failed = messages.find((m) => m.type === 'startFailed');
    assert.ok(failed?.type === 'startFailed' && failed.message.includes('Cannot connect to the X display ":999"'), JSON.stringify(messages));
  });

  it('releases and exits when its parent disconnects', { timeout: 8000 }, async () => {
    const child = fork(AGENT, [], { serialization: 'advanced', env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    stack.add(() => child.kill('SIGKILL'));
    await new Promise<void>((resolve) => child.on('message', (m: unknown) => isAgentMessage(m) && m.type === 'ready' && resolve()));
    child.send({ type: 'input', event: { type: 'key', code: 'ShiftRight', down: true } });
    await waitFor('ShiftRight down', () => down('keyboard').length === 1, 3000);
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.disconnect();
    assert.equal(await exited, 0);
    assert.ok(Date.now() - started < 1500);
    assert.deepEqual(down('keyboard'), []);
  });

  it('reports an agent killed from outside through onExit, and fails what was pending', { timeout: 15_000 }, async () => {
    const victim = await startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: display } });
    stack.add(() => victim.dispose());
    const exited = new Promise<Error>((resolve) => victim.onExit(resolve));
    const pending = victim.capture();
    process.kill(victim.pid!, 'SIGKILL');
    const error = await exited;
    assert.ok(error instanceof AgentError && error.kind === 'exited');
    assert.match(error.message, /SIGKILL/);
    await assert.rejects(pending, /SIGKILL/);
    await assert.rejects(victim.screenSize(), /not running/);
    victim.input({ type: 'pointerMove', x: 0, y: 0 }); // dropped, does not throw
  });

  it('stops within a second on dispose, without calling onExit', { timeout: 8000 }, async () => {
    const short = await startAgent({ log, agentPath: AGENT, env: { ...process.env, DISPLAY: display } });
    let called = false;
    short.onExit(() => (called = true));
    short.input({ type: 'key', code: 'KeyQ', down: true });
    const started = Date.now();
    short.dispose();
    await waitFor('the agent gone', () => {
      try {
        process.kill(short.pid!, 0);
        return false;
      } catch {
        return true;
      }
    }, 2000, 20);
    assert.ok(Date.now() - started < 1200, `took ${Date.now() - started} ms`);
    assert.equal(called, false);
    assert.deepEqual(down('keyboard'), []);
  });

  it("grabs through MIT-SHM (dist/xshm.node), exactly the X server's pixels, and a part outside the screen is an error", { timeout: 20_000 }, async () => {
    assert.ok(lines.some((l) => l.includes('grabs through MIT-SHM')), `the agent's log says how it grabs:\n${lines.join('\n')}`);
    // The same binary's passes over the pixels (native/kernels.c), which the log names beside the grabs.
    assert.ok(lines.some((l) => l.includes('pixel kernels native')), `the agent's log says its passes over the pixels are native:\n${lines.join('\n')}`);
    // Last of these tests: the window it opens would be a change to the ones that expect a still screen.
    await startXterm(stack, display, ['-geometry', '40x10+30+40', '-bg', 'navy'], 'agent-shm');
    const xshm = withDisplay(() => loadXshm(path.join(ROOT, 'dist', 'xshm.node')));
    try {
      const raw = path.join(scratch, 'shm.rgb');
      execFileSync('import', ['-window', 'root', '-depth', '8', `rgb:${raw}`], { env: { ...process.env, DISPLAY: display }, timeout: 10_000 });
      const truth = fs.readFileSync(raw);
      for (const r of [{ x: 0, y: 0, width: WIDTH, height: HEIGHT }, { x: 17, y: 23, width: 301, height: 97 }, { x: WIDTH - 3, y: HEIGHT - 2, width: 3, height: 2 }]) {
        const got = xshm.grab(r.x, r.y, r.width, r.height);
        assert.equal(got.length, r.width * r.height * 4);
        let differ = 0;
        let navy = 0;
        for (let row = 0; row < r.height; row++) {
          for (let col = 0; col < r.width; col++) {
            const t = ((r.y + row) * WIDTH + r.x + col) * 3;
            const g = (row * r.width + col) * 4;
            if (truth[t] !== got[g + 2] || truth[t + 1] !== got[g + 1] || truth[t + 2] !== got[g]) differ++;
            if (got[g] === 128 && got[g + 1] === 0 && got[g + 2] === 0) navy++;
          }
        }
        assert.equal(differ, 0, `${differ} pixels of ${JSON.stringify(r)} differ from the X server's own picture`);
        if (r.width === WIDTH) assert.ok(navy > 1000, `the xterm's navy background is in the grab (${navy} pixels)`);
      }
      // Straight into a larger picture, at a place of its own: the rows land where they belong, nothing around them.
      const into = new Uint8Array(400 * 300 * 4).fill(7);
      xshm.grab(30, 40, 200, 100, into, 50, 60, 400);
      let wrong = 0;
      for (let row = 0; row < 300; row++) {
        for (let col = 0; col < 400; col++) {
          const g = (row * 400 + col) * 4;
          const inside = col >= 50 && col < 250 && row >= 60 && row < 160;
          if (!inside) {
            if (into[g] !== 7 || into[g + 1] !== 7 || into[g + 2] !== 7 || into[g + 3] !== 7) wrong++;
            continue;
          }
          const t = ((40 + row - 60) * WIDTH + 30 + col - 50) * 3;
          if (truth[t] !== into[g + 2] || truth[t + 1] !== into[g + 1] || truth[t + 2] !== into[g]) wrong++;
        }
      }
      assert.equal(wrong, 0, `${wrong} pixels of the picture grabbed into are wrong`);
      assert.throws(() => xshm.grab(0, 0, 200, 100, into, 250, 0, 400), /bad place/);
      assert.throws(() => xshm.grab(0, 0, 200, 100, into, 0, 250, 400), /too small/);
      assert.throws(() => xshm.grab(WIDTH - 10, 0, 20, 20), /outside the screen/);
      // The process lives on, and so does the grabber.
      assert.equal(xshm.grab(0, 0, 1, 1).length, 4);
    } finally {
      xshm.close();
    }
  });
});

describe('describeAgentExit', () => {
  it('names a display the X server refused as the user\'s to fix', () => {
    const said = 'Authorization required, but no authorization protocol specified';
    const { kind, message } = describeAgentExit(null, 'SIGSEGV', [said, 'Could not open main display']);
    assert.equal(kind, 'noDisplay');
    assert.ok(message.includes(said) && message.includes('XAUTHORITY'), message);
  });

  it('names the signal or code, and the error lines of the output', () => {
    assert.equal(describeAgentExit(null, 'SIGKILL', []).message, 'The screen agent was killed by SIGKILL.');
    assert.equal(describeAgentExit(null, 'SIGSEGV', ['noise']).message, 'The screen agent was killed by SIGSEGV (a crash in native code).');
    const missing = describeAgentExit(1, null, ['throw err;', "Error: Cannot find module '/x/agent.js'", '  at Module._load', 'Node.js v20']);
    assert.deepEqual(missing, { kind: 'exited', message: "The screen agent exited with code 1. Error: Cannot find module '/x/agent.js'" });
  });
});

describe('pickLinuxOutput', () => {
  it('takes the primary monitor, else the first with a size, with its place on the screen', () => {
    const left = { id: 'HDMI-1', primary: false, width: 1920, height: 1080, offsetX: 0, offsetY: 0 };
    const right = { id: 'eDP-1', primary: true, width: 1280, height: 800, offsetX: 1920, offsetY: 280 };
    assert.deepEqual(pickLinuxOutput([left, right]), { id: 'eDP-1', area: { x: 1920, y: 280, width: 1280, height: 800 } });
    assert.deepEqual(pickLinuxOutput([{ ...right, primary: false }, left])?.id, 'eDP-1');
    assert.deepEqual(pickLinuxOutput([{ id: 'broken', width: Number.NaN, height: 0 }, left])?.id, 'HDMI-1');
    assert.equal(pickLinuxOutput([]), undefined);
  });
});

process.on('exit', (code) => {
  if (code !== 0 && lines.length > 0) process.stderr.write(`agent log:\n${lines.join('\n')}\n`);
});

describe('host agent on a machine without xrandr', { timeout: 60_000 }, () => {
  const stack = new Stack();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-noxrandr-'));
  let display = '';
  /** Every program on this PATH but xrandr, as on a fresh Debian without x11-xserver-utils. */
  let pathWithoutXrandr = '';

  before(async () => {
    display = await startXvfb(stack, WIDTH, HEIGHT);
    const bin = path.join(scratch, 'bin');
    fs.mkdirSync(bin);
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d && fs.existsSync(d))) {
      for (const name of fs.readdirSync(dir)) {
        if (name === 'xrandr' || fs.existsSync(path.join(bin, name))) continue;
        fs.symlinkSync(path.join(dir, name), path.join(bin, name));
      }
    }
    pathWithoutXrandr = bin;
  });

  after(async () => {
    await stack.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('starts, measures and captures the screen without running xrandr', { timeout: 20_000 }, async () => {
    const env = { ...process.env, DISPLAY: display, PATH: pathWithoutXrandr };
    assert.throws(() => execFileSync('sh', ['-c', 'command -v xrandr'], { env, stdio: 'pipe' }), 'xrandr is hidden from the agent');
    const bare = await startAgent({ log, agentPath: AGENT, env });
    stack.add(() => bare.dispose());
    assert.deepEqual(await bare.screenSize(), { width: WIDTH, height: HEIGHT });
    const frame = await bare.capture({ full: true });
    assert.deepEqual([frame?.format, frame?.width, frame?.height], ['update', WIDTH, HEIGHT]);
    assert.deepEqual(bare.warnings, []);
    bare.dispose();
  });

  it('warns, through ready, that a Wayland session shares only X11 (XWayland) windows', { timeout: 20_000 }, async () => {
    const env = { ...process.env, DISPLAY: display, PATH: pathWithoutXrandr, XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-test' };
    const wayland = await startAgent({ log, agentPath: AGENT, env });
    stack.add(() => wayland.dispose());
    assert.equal(wayland.warnings.length, 1);
    assert.match(wayland.warnings[0]!, /only X11 \(XWayland\) windows will be seen and controlled/);
    assert.ok(lines.some((l) => l.startsWith('warn') && l.includes('XWayland')), 'the warning is logged');
    wayland.dispose();
  });
});
