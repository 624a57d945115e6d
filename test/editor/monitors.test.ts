/**
 * Choosing the monitor to share (issue 13, item 2) through a real VS Code's UI: code-server with the extension
 * installed from its VSIX, two workbench windows in headless Chromium (the host's and the helper's), a PeerServer on
 * 127.0.0.1, and one wide Xvfb screen cut into two RandR monitors (`xrandr --setmonitor`: LEFT-1 1280x800, the
 * primary, over the screen's output; RIGHT-2 800x600 beside it), a red xterm on the first and a green one on the
 * second, at the same place on each, so that one pixel of the helper's picture tells which monitor it shows.
 *
 * The host picks RIGHT-2 in Invite Helper's "Which Monitor to Share?"; the helper joins and sees it at its size; the
 * host switches to LEFT-1 from the Session view's Monitor row; the helper asks for RIGHT-2 from its panel and the
 * host says Switch; it asks for LEFT-1 again and the host says Keep. Each step leaves a screenshot in
 * test-results/monitors-*.png (and one of each window when it fails).
 *
 * Xvfb forgets monitors set by a client when its last client leaves (a server reset): the xterms are up before
 * the monitors are set, and stay until the end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ROOT, Stack, launchChromium, startPeerServer, startXterm, startXvfb, waitFor } from '../support/env';
import { startEditorServer, type CodeServer } from '../support/codeServer';
import {
  canvasPixel, canvasSize, clickDialogButton, clickViewButton, dialogText, invitationCode, join, openWorkbench, runCommand, sessionRow, sessionView, statusBarItem, webview,
} from '../support/workbench';

const stack = new Stack();
const results = path.join(ROOT, 'test-results');
let display = '';
let server: CodeServer;
let browser: Browser;
let host: Page;
let helper: Page;
let code = '';
const consoleLines: string[] = [];

/** Each monitor's picture as the helper must see it: its size, and the colour of its xterm at PROBE. */
const LEFT = { name: 'LEFT-1', size: '1280x800', text: 'LEFT-1 (1280×800)', colour: 'red' } as const;
const RIGHT = { name: 'RIGHT-2', size: '800x600', text: 'RIGHT-2 (800×600)', colour: 'green' } as const;
type Picture = typeof LEFT | typeof RIGHT;
/** Inside both xterms (each at 100,100 of its monitor), in the coordinates of either monitor's picture. */
const PROBE = [150, 150] as const;

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(results, { recursive: true });
  await page.screenshot({ path: path.join(results, `monitors-${name}.png`) });
}

/** Runs a step's body; when it fails, a screenshot of each window is left (monitors-NAME-failed-host.png, …-helper.png). */
async function step(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    await shot(host, `${name}-failed-host`).catch(() => undefined);
    await shot(helper, `${name}-failed-helper`).catch(() => undefined);
    throw error;
  }
}

function xrandr(...args: string[]): string {
  return execFileSync('xrandr', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 5_000 });
}

const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/** What the helper's panel shows now: the picture's size and the colour at PROBE. */
async function seen(page: Page): Promise<string> {
  const [size, pixel] = await Promise.all([canvasSize(page), canvasPixel(page, PROBE[0], PROBE[1])]);
  const colour = near(pixel, [255, 0, 0]) ? 'red' : near(pixel, [0, 255, 0]) ? 'green' : `rgb(${pixel.join(',')})`;
  return `${size} ${colour}`;
}

/** Waits until the helper's panel shows `picture`; on a timeout the error says what it showed. */
async function helperSees(picture: Picture, timeoutMs = 20_000): Promise<void> {
  const want = `${picture.size} ${picture.colour}`;
  let last = '';
  await waitFor(`the helper to see ${picture.name} (${want})`, async () => (last = await seen(helper)) === want, timeoutMs).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; it showed ${last}`);
  });
}

/** The Session view's Monitor row naming `picture`'s monitor. */
async function monitorRowNames(picture: Picture): Promise<void> {
  await sessionRow(sessionView(host), 'Monitor').filter({ hasText: picture.text }).waitFor({ timeout: 20_000 });
}

/** The quick pick titled `title`: its rows' labels in order, the focused one's, and each row's whole text. */
async function monitorPick(title: string): Promise<{ labels: string[]; focused: string; rows: string[] }> {
  const widget = host.locator('.quick-input-widget').filter({ hasText: title });
  await widget.waitFor({ state: 'visible', timeout: 30_000 });
  const rows = widget.locator('.monaco-list-row');
  await waitFor('two monitors listed', async () => (await rows.count()) === 2, 10_000);
  // A row's first label is the item's; its detail ("at 0, 0 on your desktop") is a label too.
  const listed = await rows.evaluateAll((els) => els.map((e) => ({
    index: Number(e.getAttribute('data-index')),
    focused: e.classList.contains('focused'),
    text: (e as HTMLElement).innerText,
    label: (e.querySelector('.label-name') as HTMLElement | null)?.innerText.trim() ?? '',
  })));
  listed.sort((a, b) => a.index - b.index);
  return { labels: listed.map((r) => r.label), focused: listed.filter((r) => r.focused).map((r) => r.label).join(', '), rows: listed.map((r) => r.text) };
}

/** Clicks a row of the quick pick on screen, by its monitor's name. */
async function pickRow(name: string): Promise<void> {
  await host.locator('.quick-input-widget .monaco-list-row').filter({ has: host.locator('.label-name', { hasText: new RegExp(`^\\s*${name}\\s*$`) }) }).click();
  await host.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The helper's "Ask for Another Monitor", then `name` in its menu. */
async function askFor(name: string): Promise<void> {
  const pane = webview(helper);
  await pane.locator('#ask-monitor').click();
  await pane.locator('#monitor-menu').waitFor({ state: 'visible', timeout: 5_000 });
  await pane.locator(`#monitor-menu [data-monitor="${name}"]`).click();
  await pane.locator('#notice').filter({ hasText: `to show ${name}` }).waitFor({ timeout: 5_000 });
}

describe('choosing the monitor to share, in a real VS Code', { timeout: 300_000 }, () => {
  before(async () => {
    display = await startXvfb(stack, 2080, 800);
    // The windows first: they are the clients that keep the server from forgetting the monitors (see the header).
    await startXterm(stack, display, ['-geometry', '40x10+100+100', '-bg', '#ff0000', '-fg', '#ff0000', '-e', 'sleep', '900'], 'ra-monitor-red');
    await startXterm(stack, display, ['-geometry', '40x10+1380+100', '-bg', '#00ff00', '-fg', '#00ff00', '-e', 'sleep', '900'], 'ra-monitor-green');
    // `*`: LEFT-1 is the primary.
    xrandr('--setmonitor', '*LEFT-1', '1280/338x800/211+0+0', 'screen');
    xrandr('--setmonitor', 'RIGHT-2', '800/211x600/159+1280+0', 'none');
    assert.match(xrandr('--listmonitors'), /Monitors: 2[\s\S]*\*LEFT-1[\s\S]*RIGHT-2/);
    const peerPort = await startPeerServer(stack);
    server = await startEditorServer(stack, display, peerPort);
    browser = await launchChromium(stack);
    const onConsole = (line: string) => consoleLines.push(line);
    [host, helper] = await Promise.all([openWorkbench(browser, server.url, { onConsole }), openWorkbench(browser, server.url, { onConsole })]);
  });

  after(async () => {
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(path.join(results, 'monitors-console.log'), consoleLines.join('\n') + '\n');
    await stack.stop();
  });

  it('1. host: Invite Helper asks which monitor to share, the primary first and preselected; it picks the second', () => step('1', async () => {
    await statusBarItem(host, 'Remote Assist').first().waitFor({ timeout: 60_000 });
    await runCommand(host, 'Remote Assist: Invite Helper');
    const pick = await monitorPick('Which Monitor to Share?');
    assert.deepEqual(pick.labels, [LEFT.name, RIGHT.name]);
    assert.equal(pick.focused, LEFT.name, 'the primary is preselected');
    assert.match(pick.rows[0]!, /1280×800 · primary/);
    assert.match(pick.rows[1]!, /800×600/);
    assert.doesNotMatch(pick.rows[1]!, /primary/);
    await shot(host, '1-host-which-monitor');
    await pickRow(RIGHT.name);
    // The invitation is made once a monitor is chosen.
    code = await invitationCode(host);
    await statusBarItem(host, 'Awaiting helper').waitFor();
  }));

  it('2. helper: Join, Connect; host: Allow; the panel shows the second monitor at its size', () => step('2', async () => {
    await join(helper, code);
    await helper.locator('.quick-input-widget').filter({ hasText: /Valid until/ }).waitFor();
    await helper.keyboard.press('Enter');
    await dialogText(helper);
    await clickDialogButton(helper, 'Connect');
    assert.match(await dialogText(host), /wants to connect/);
    await clickDialogButton(host, 'Allow');
    await statusBarItem(helper, 'Viewing').waitFor({ timeout: 30_000 });
    // The host is asked what else to share: nothing (Escape), so that its quick input is free.
    await host.locator('.quick-input-widget').filter({ hasText: 'Also share with' }).waitFor({ timeout: 20_000 });
    await host.keyboard.press('Escape');
    await helperSees(RIGHT);
    const ask = webview(helper).locator('#ask-monitor');
    await ask.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await ask.getAttribute('aria-label'), `Ask for Another Monitor (showing ${RIGHT.text})`);
    await shot(helper, '2-helper-sees-second');
  }));

  it('3. host: the Session view names the shared monitor; its Monitor button switches to the other, and the picture follows', () => step('3', async () => {
    await runCommand(host, 'Remote Assist: Focus on Session View');
    await monitorRowNames(RIGHT);
    await shot(host, '3-host-session-view');
    await clickViewButton(sessionRow(sessionView(host), 'Monitor'), 'Share Another Monitor');
    const pick = await monitorPick('Share Another Monitor with Ada');
    assert.equal(pick.focused, LEFT.name, 'the monitor not shared is preselected');
    assert.match(pick.rows[1]!, /shared now/);
    await host.keyboard.press('Enter');
    await host.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    await helperSees(LEFT);
    await webview(helper).locator('#notice').filter({ hasText: `Now showing ${LEFT.text}` }).waitFor({ timeout: 10_000 });
    await monitorRowNames(LEFT);
    await shot(helper, '3-helper-follows-host');
  }));

  it('4. helper: Ask for Another Monitor; host: Switch, the picture changes; a second ask answered Keep changes nothing', () => step('4', async () => {
    await askFor(RIGHT.name);
    const prompt = await dialogText(host);
    assert.match(prompt, new RegExp(`Ada asks to see ${RIGHT.text.replace(/[()]/g, '\\$&')}\\.`));
    assert.match(prompt, new RegExp(`instead of ${LEFT.text.replace(/[()]/g, '\\$&')}`));
    await shot(host, '4-host-asked');
    // Nothing switches before the host's answer.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await seen(helper), `${LEFT.size} ${LEFT.colour}`);
    await clickDialogButton(host, 'Switch');
    await helperSees(RIGHT);
    await monitorRowNames(RIGHT);
    await shot(helper, '4-helper-switched');

    await askFor(LEFT.name);
    assert.match(await dialogText(host), new RegExp(`Ada asks to see ${LEFT.text.replace(/[()]/g, '\\$&')}\\.`));
    await clickDialogButton(host, 'Keep');
    await webview(helper).locator('#notice').filter({ hasText: 'Ada kept the current monitor.' }).waitFor({ timeout: 20_000 });
    // Long enough for a switch that should not happen to reach the panel.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await seen(helper), `${RIGHT.size} ${RIGHT.colour}`);
    await monitorRowNames(RIGHT);
    await shot(helper, '4-helper-refused');
  }));
});
