/**
 * Text mode end to end (issue 11), with the real parts: Xvfb whose layout is set to `us`, `de` and `fr` in turn
 * (setxkbmap, during the session), the host session and its agent (nut-js and the X keyboard), the helper's panel
 * in Chromium receiving key events as a US, a German and a French keyboard make the browser send them (through the
 * DevTools protocol: key/code pairs, AltGr as Windows reports it, dead keys, an IME composition, text without keys).
 * An xterm on the host runs `cat > FILE`; the file must hold exactly the text meant, whatever the host's layout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, waitFor } from '../support/env';
import { allowView, grantControl, heldDown, newHost, newPrompts, newRig, openHelper, pagepoint, windowGeometry } from '../support/session';

const stack = new Stack();
const rig = newRig();
let workDir = '';
let file = '';

/** CDP's modifier bits. */
const ALT = 1;
const CTRL = 2;
const SHIFT = 8;

/** One thing a helper's keyboard makes the browser do. */
type Step =
  /** A key press: key-down (with `key` as the character it types, if any) and key-up. */
  | { readonly key: string; readonly code: string; readonly mods?: number; readonly vk?: number }
  /** A modifier key going down or up (Shift, Ctrl, AltGr), as its own event. */
  | { readonly hold: string; readonly code: string; readonly down: boolean; readonly mods?: number; readonly vk?: number }
  /** An IME composing `reading`, then committing `text`. */
  | { readonly ime: string; readonly text: string }
  /** Text arriving with no key at all (dictation, an on-screen keyboard). */
  | { readonly insert: string };

const k = (key: string, code: string, mods = 0): Step => ({ key, code, mods });
const shifted = (key: string, code: string): Step[] => [
  { hold: 'Shift', code: 'ShiftLeft', down: true, mods: SHIFT, vk: 16 },
  k(key, code, SHIFT),
  { hold: 'Shift', code: 'ShiftLeft', down: false, vk: 16 },
];
/** AltGr as Chromium on Windows reports it: a fake Ctrl, then AltGraph, and the character with Ctrl+Alt. */
const altGr = (key: string, code: string): Step[] => [
  { hold: 'Control', code: 'ControlLeft', down: true, mods: CTRL, vk: 17 },
  { hold: 'AltGraph', code: 'AltRight', down: true, mods: CTRL | ALT, vk: 18 },
  k(key, code, CTRL | ALT),
  { hold: 'AltGraph', code: 'AltRight', down: false, mods: CTRL, vk: 18 },
  { hold: 'Control', code: 'ControlLeft', down: false, vk: 17 },
];
const dead = (code: string, key: string, keyCode: string): Step[] => [k('Dead', code), k(key, keyCode)];
const plain = (text: string, codes: Record<string, string>): Step[] =>
  [...text].map((ch) => k(ch, codes[ch] ?? (/[a-z]/.test(ch) ? `Key${ch.toUpperCase()}` : ch === ' ' ? 'Space' : /\d/.test(ch) ? `Digit${ch}` : '')));

/** What each helper keyboard types, and the text that must arrive. */
const HELPERS: readonly { readonly name: string; readonly steps: readonly Step[]; readonly text: string }[] = [
  {
    name: 'US keyboard',
    steps: [...shifted('H', 'KeyH'), ...plain('ello', {}), k(',', 'Comma'), k(' ', 'Space'), ...shifted('!', 'Digit1'), ...shifted('@', 'Digit2'), ...shifted('{', 'BracketLeft'), k('y', 'KeyY'), ...shifted('}', 'BracketRight'), ...shifted('~', 'Backquote')],
    text: 'Hello, !@{y}~',
  },
  {
    name: 'German keyboard (QWERTZ, AltGr, dead keys)',
    steps: [
      k(' ', 'Space'), ...shifted('G', 'KeyG'), k('r', 'KeyR'), k('ü', 'BracketLeft'), k('ß', 'Minus'), k('z', 'KeyY'), k('y', 'KeyZ'),
      ...altGr('@', 'KeyQ'), ...altGr('€', 'KeyE'), ...altGr('{', 'Digit7'), ...altGr('|', 'IntlBackslash'),
      ...dead('Equal', 'é', 'KeyE'), ...shifted('"', 'Digit2'),
    ],
    text: ' Grüßzy@€{|é"',
  },
  {
    name: 'French keyboard (AZERTY, dead circumflex)',
    steps: [k(' ', 'Space'), k('a', 'KeyQ'), k('z', 'KeyW'), k('à', 'Digit0'), k('é', 'Digit2'), ...shifted('1', 'Digit1'), ...dead('BracketLeft', 'ê', 'KeyE'), ...altGr('#', 'Digit3'), k('ç', 'Digit9')],
    text: ' azàé1ê#ç',
  },
  {
    name: 'keys that carry a shifted character with no Shift event, an IME, text without keys',
    steps: [k(' ', 'Space'), k('Z', 'KeyZ'), k('Q', 'KeyQ'), k('?', 'Slash'), k('Ä', 'Quote'), { ime: 'にほん', text: '日本' }, { insert: '漢字 ñ' }],
    text: ' ZQ?Ä日本漢字 ñ',
  },
];

describe('text mode: the host types what the helper meant, whatever both layouts', { timeout: 240_000 }, () => {
  const prompts = newPrompts();
  let host: HostSession;
  let page: Page;
  let cdp: CDPSession;

  const setLayout = (layout: string) => execFileSync('setxkbmap', ['-display', rig.display, layout], { encoding: 'utf8' });

  async function dispatch(type: 'keyDown' | 'keyUp' | 'rawKeyDown', key: string, code: string, mods = 0, vk?: number, text?: string): Promise<void> {
    await cdp.send('Input.dispatchKeyEvent', {
      type,
      key,
      code,
      modifiers: mods,
      ...(vk === undefined ? {} : { windowsVirtualKeyCode: vk }),
      ...(text === undefined ? {} : { text, unmodifiedText: text }),
    });
  }

  async function play(steps: readonly Step[]): Promise<void> {
    for (const step of steps) {
      // A fast typist's pace (the host's rate limits are for people, not for CDP at full speed).
      await new Promise((r) => setTimeout(r, 12));
      if ('ime' in step) {
        await cdp.send('Input.imeSetComposition', { text: step.ime, selectionStart: step.ime.length, selectionEnd: step.ime.length });
        await cdp.send('Input.insertText', { text: step.text });
      } else if ('insert' in step) {
        await cdp.send('Input.insertText', { text: step.insert });
      } else if ('hold' in step) {
        await dispatch(step.down ? 'rawKeyDown' : 'keyUp', step.hold, step.code, step.mods ?? 0, step.vk);
      } else if (step.key === 'Dead') {
        await dispatch('rawKeyDown', 'Dead', step.code, step.mods ?? 0);
        await dispatch('keyUp', 'Dead', step.code, step.mods ?? 0);
      } else {
        await dispatch('keyDown', step.key, step.code, step.mods ?? 0, undefined, step.key);
        await dispatch('keyUp', step.key, step.code, step.mods ?? 0);
      }
    }
  }

  const enter = async () => {
    await dispatch('rawKeyDown', 'Enter', 'Enter', 0, 13);
    await dispatch('keyUp', 'Enter', 'Enter', 0, 13);
  };

  const written = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

  before(async () => {
    // xterm turns keysyms into UTF-8 only in a UTF-8 locale (C.UTF-8 is in every Debian).
    process.env['LC_ALL'] = 'C.UTF-8';
    rig.display = await startXvfb(stack, 1280, 800);
    setLayout('us');
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-keyboard-'));
    stack.add(() => fs.rmSync(workDir, { recursive: true, force: true }));
    file = path.join(workDir, 'FILE');
    await startXterm(stack, rig.display, ['-u8', '-geometry', '100x12+40+420', '-bg', 'black', '-fg', 'white', '-e', 'sh', '-c', `cat > '${file}'`], 'ra-cat');
    host = newHost(rig, prompts);
    stack.add(() => host.end());
    await host.start();
    page = await openHelper(rig, host.code);
    await allowView(page, prompts);
    await grantControl(page, prompts);
    await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
    // No window manager: the keyboard focus follows the pointer, so the helper points into the xterm.
    const g = windowGeometry(rig, 'ra-cat');
    const at = await pagepoint(page, g.x + 60, g.y + 60);
    await page.mouse.click(at.x, at.y);
    cdp = await page.context().newCDPSession(page);
  });

  after(async () => {
    await stack.stop();
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results/keyboard.log'), rig.lines.join('\n') + '\n');
  });

  it('keeps the keyboard in the panel, in text mode by default', async () => {
    const focus = await page.evaluate(() => ({ cls: document.activeElement?.className ?? '', mode: document.querySelector<HTMLElement>('#screen')?.dataset['keyboardMode'] ?? 'text' }));
    assert.equal(focus.cls, 'keyboard-sink');
    assert.equal(focus.mode, 'text');
  });

  let expected = '';
  for (const layout of ['us', 'de', 'fr']) {
    it(`types every helper keyboard's text on a host with the ${layout} layout`, async () => {
      setLayout(layout);
      for (const helper of HELPERS) {
        const line = `${layout} ${helper.name}:${helper.text}`;
        await play(plain(`${layout} `, {}));
        await cdp.send('Input.insertText', { text: `${helper.name}:` });
        await play(helper.steps);
        await enter();
        expected += `${line}\n`;
        await waitFor(`the line ${JSON.stringify(line)}`, () => written() === expected, 10_000).catch(() => {
          assert.equal(written(), expected, `host layout ${layout}, ${helper.name}`);
        });
      }
      // Enter's key-up may still be on its way when its key-down has written the line.
      await waitFor('nothing held', () => heldDown(rig).length === 0, 3_000).catch(() => assert.deepEqual(heldDown(rig), [], 'nothing is left held'));
    });
  }

  it('the toolbar toggle switches to physical keys (positions: the host layout decides) and back', async () => {
    setLayout('us');
    const toggle = page.locator('#keyboard-mode');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'keyboard-sink', 'the keyboard is back on the screen');
    // A German helper's z is the US host's y when positions travel.
    await play([k('z', 'KeyY'), k('Z', 'KeyY', SHIFT)]);
    await enter();
    expected += 'yy\n';
    await waitFor('the line yy', () => written() === expected, 10_000).catch(() => assert.equal(written(), expected));
    // Keyboard accessible: the toggle is a button, Space works it.
    await toggle.focus();
    await page.keyboard.press('Space');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await page.evaluate(() => (document.querySelector('.keyboard-sink') as HTMLElement).focus());
  });

  it('text travels as text, shortcuts and editing keys as keys: Ctrl+U kills the line in the terminal', async () => {
    setLayout('de');
    const before = rig.inputs.length;
    await play(plain('wrong', {}));
    await dispatch('rawKeyDown', 'Control', 'ControlLeft', CTRL, 17);
    await dispatch('rawKeyDown', 'u', 'KeyU', CTRL, 85);
    await dispatch('keyUp', 'u', 'KeyU', CTRL, 85);
    await dispatch('keyUp', 'Control', 'ControlLeft', 0, 17);
    await play(plain('right', {}));
    await enter();
    expected += 'right\n';
    await waitFor('the line right', () => written() === expected, 10_000).catch(() => assert.equal(written(), expected));
    const sent = rig.inputs.slice(before);
    assert.ok(sent.includes('key KeyU true') && sent.includes('key ControlLeft true'), sent.join(', '));
    assert.ok(sent.some((s) => s.startsWith('text ') && s.includes('"w"')), sent.join(', '));
    assert.ok(!sent.some((s) => s.includes('"u"')), 'Ctrl+U is no text');
    assert.ok(sent.includes('key Enter true'));
  });
});
