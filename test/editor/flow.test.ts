/**
 * The whole flow through a real VS Code's UI, as two people do it: code-server with the extension installed, two
 * workbench windows in headless Chromium (the host's and the helper's), a PeerServer on 127.0.0.1, and an X display
 * whose screen the host shares. Each step leaves a screenshot in test-results/editor-*.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createInvitation } from '../../src/shared/invitation';
import { ROOT, Stack, launchChromium, startPeerServer, startXterm, startXvfb, typePhysically, waitFor } from '../support/env';
import { startEditorServer, type CodeServer } from '../support/codeServer';
import { canvasPixel, clickDialogButton, clickViewButton, dialogText, invitationCode, join, openWorkbench, runCommand, sessionRow, sessionView, statusBarItem, webview } from '../support/workbench';

const stack = new Stack();
const results = path.join(ROOT, 'test-results');
let display = '';
let server: CodeServer;
let browser: Browser;
let host: Page;
let helper: Page;
let code = '';
const consoleLines: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(results, { recursive: true });
  await page.screenshot({ path: path.join(results, `editor-${name}.png`) });
}

function x(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' }).trim();
}

function windowGeometry(title: string): { x: number; y: number; width: number; height: number } {
  const id = x('xdotool', 'search', '--onlyvisible', '--name', `^${title}$`).split('\n')[0]!;
  const v = Object.fromEntries(x('xdotool', 'getwindowgeometry', '--shell', id).split('\n').map((l) => l.split('=') as [string, string]));
  return { x: Number(v['X']), y: Number(v['Y']), width: Number(v['WIDTH']), height: Number(v['HEIGHT']) };
}

/** Where a host screen pixel is on the helper's page (canvas letterboxed in the panel, panel in two iframes). */
async function pagePoint(page: Page, sx: number, sy: number): Promise<{ x: number; y: number }> {
  const canvas = webview(page).locator('#screen');
  const box = await canvas.boundingBox();
  assert.ok(box, 'the canvas is on screen');
  const size = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height] as const);
  const scale = Math.min(box.width / size[0], box.height / size[1]);
  const ox = box.x + (box.width - size[0] * scale) / 2;
  const oy = box.y + (box.height - size[1] * scale) / 2;
  return { x: ox + (sx + 0.5) * scale, y: oy + (sy + 0.5) * scale };
}

const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/** Closes the Remote Assist panel's editor tab, as a person does with its close button. */
async function closePanel(page: Page): Promise<void> {
  const tab = page.locator('.tabs-container .tab').filter({ hasText: 'Remote Assist' });
  await tab.first().hover();
  await tab.first().locator('.tab-actions .action-label').click();
  await tab.first().waitFor({ state: 'detached' });
}

describe('Remote Assist in a real VS Code, through its UI', { timeout: 300_000 }, () => {
  before(async () => {
    display = await startXvfb(stack, 1280, 800);
    const peerPort = await startPeerServer(stack);
    server = await startEditorServer(stack, display, peerPort);
    browser = await launchChromium(stack);
    await startXterm(stack, display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '900'], 'ra-magenta');
    await startXterm(stack, display, ['-geometry', '100x12+40+420', '-bg', 'black', '-fg', 'white', '-e', 'sh', '-c', `cd '${server.workspaceDir}' && exec sh`], 'ra-shell');
    const onConsole = (line: string) => consoleLines.push(line);
    [host, helper] = await Promise.all([openWorkbench(browser, server.url, { onConsole }), openWorkbench(browser, server.url, { onConsole })]);
  });

  after(async () => {
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(path.join(results, 'editor-console.log'), consoleLines.join('\n') + '\n');
    await stack.stop();
  });

  it('1. host: Invite Helper shows the code and the status bar says a helper is awaited', async () => {
    await statusBarItem(host, 'Remote Assist').first().waitFor({ timeout: 60_000 });
    await runCommand(host, 'Remote Assist: Invite Helper');
    code = await invitationCode(host);
    await statusBarItem(host, 'Awaiting helper').waitFor();
    await shot(host, '1-host-invited');
  });

  it('2. helper: Join, paste the code, see the details, Connect', async () => {
    await join(helper, code);
    await helper.locator('.quick-input-widget').filter({ hasText: /Valid until/ }).waitFor();
    await helper.keyboard.press('Enter');
    const details = await dialogText(helper);
    assert.match(details, /Created:/);
    assert.match(details, /Valid until:/);
    await shot(helper, '2-helper-details');
    await clickDialogButton(helper, 'Connect');
  });

  it('3. host: Allow; the helper panel shows the host screen (pixels of a known window)', async () => {
    const prompt = await dialogText(host);
    assert.match(prompt, /wants to connect/);
    assert.match(prompt, /Verification code: \d{3} \d{3}/);
    await shot(host, '3-host-consent');
    await clickDialogButton(host, 'Allow');
    await statusBarItem(helper, 'Viewing').waitFor({ timeout: 20_000 });
    await statusBarItem(host, 'sees your screen').waitFor();
    const g = windowGeometry('ra-magenta');
    const centre = [g.x + Math.floor(g.width / 2), g.y + Math.floor(g.height / 2)] as const;
    await waitFor('magenta in the panel', async () => near(await canvasPixel(helper, centre[0], centre[1]), [255, 0, 255]), 20_000);
    assert.ok(!near(await canvasPixel(helper, g.x - 30, g.y + 10), [255, 0, 255]));
    await shot(helper, '3-helper-viewing');
  });

  it('4. helper: Request Control; host: Allow Control; both status bars show it', async () => {
    await webview(helper).locator('#request-control').click();
    await dialogText(host);
    await clickDialogButton(host, 'Allow Control');
    await statusBarItem(host, 'controls your screen').waitFor({ timeout: 20_000 });
    await statusBarItem(helper, 'Controlling').waitFor({ timeout: 20_000 });
    await shot(host, '4-host-controlled');
  });

  it('5. helper: clicks into the host xterm through the panel and types a line with shifted symbols', async () => {
    const shell = windowGeometry('ra-shell');
    const at = await pagePoint(helper, shell.x + 60, shell.y + 60);
    await helper.mouse.click(at.x, at.y);
    await typePhysically(helper, "echo 'Hello, World! #1 (x+y)' > FILE\n");
    const file = path.join(server.workspaceDir, 'FILE');
    await waitFor('FILE', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n'), 15_000);
    assert.equal(fs.readFileSync(file, 'utf8'), 'Hello, World! #1 (x+y)\n');
    await shot(helper, '5-helper-controlling');
  });

  it('6. host: the session view shows the helper and the code; its Pause and Resume buttons work', async () => {
    await runCommand(host, 'Remote Assist: Focus on Session View');
    const view = sessionView(host);
    await sessionRow(view, 'Ada').filter({ hasText: 'controls your screen' }).waitFor({ timeout: 20_000 });
    assert.match(await sessionRow(view, 'Verification code').innerText(), /\d{3} \d{3}/);
    await sessionRow(view, 'Screen').filter({ hasText: 'shared' }).waitFor();
    await shot(host, '6-host-session-view');
    // The title bar's Pause button: the helper is told, the row says so, and the helper's input stops counting.
    await clickViewButton(view.locator('.pane-header'), 'Pause Sharing');
    await webview(helper).locator('#paused').filter({ hasText: /Paused by Ada/ }).waitFor({ timeout: 20_000 });
    await sessionRow(view, 'Screen').filter({ hasText: 'paused' }).waitFor();
    // The Screen row's own button resumes.
    await clickViewButton(sessionRow(view, 'Screen'), 'Resume Sharing');
    await sessionRow(view, 'Screen').filter({ hasText: 'shared' }).waitFor({ timeout: 20_000 });
    await webview(helper).locator('#paused').waitFor({ state: 'hidden', timeout: 20_000 });
  });

  it('7. host: takes control back from the session view (keys stop arriving), then ends; the helper is told', async () => {
    await clickViewButton(sessionRow(sessionView(host), 'Control'), 'Take Back Control');
    await statusBarItem(helper, 'Viewing').waitFor({ timeout: 20_000 });
    await statusBarItem(host, 'sees your screen').waitFor();
    const shell = windowGeometry('ra-shell');
    const at = await pagePoint(helper, shell.x + 60, shell.y + 60);
    await helper.mouse.click(at.x, at.y);
    await typePhysically(helper, 'echo late > LATE\n');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(fs.existsSync(path.join(server.workspaceDir, 'LATE')), false);
    await runCommand(host, 'Remote Assist: End Session');
    await statusBarItem(helper, 'ended').waitFor({ timeout: 20_000 });
    await webview(helper).locator('#status').filter({ hasText: /ended the session/ }).waitFor();
    await statusBarItem(host, 'ended').waitFor();
    await shot(helper, '6-helper-ended');
  });

  it('8. a code whose host has gone, and a code nobody is waiting with, give a clear error', async () => {
    await join(helper, code);
    await helper.keyboard.press('Enter');
    await clickDialogButton(helper, 'Connect');
    const gone = helper.locator('.notification-toast').filter({ hasText: /No one is waiting/ });
    await gone.first().waitFor({ timeout: 30_000 });
    await shot(helper, '7-helper-host-gone');
    await closePanel(helper);
    // A well-formed code for which no host exists.
    const { code: nobody } = createInvitation((b) => b.fill(7), new Date(), 30);
    await join(helper, nobody);
    await helper.keyboard.press('Enter');
    await clickDialogButton(helper, 'Connect');
    await waitFor('a second error', async () => (await helper.locator('.notification-toast').filter({ hasText: /No one is waiting/ }).count()) >= 1, 30_000);
    await webview(helper).locator('#app[data-state="failed"]').waitFor({ timeout: 30_000 });
    await closePanel(helper);
    // And a typo is caught before connecting.
    await join(helper, code.slice(0, -1) + (code.endsWith('0') ? '1' : '0'));
    await helper.locator('.quick-input-widget').filter({ hasText: /typo/ }).waitFor();
    await helper.keyboard.press('Escape');
  });
});
