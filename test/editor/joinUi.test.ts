/**
 * The three ways into Join that need no typing, through a real VS Code's UI (code-server in headless Chromium):
 * the folder button of the Join box and code-server's own file dialog; a `.remoteassist` file opened from the
 * Explorer (the custom editor: its details and a Join button); a join link (Developer: Open URL, as the OS would
 * hand it over). Each must end in the details dialog, and none may connect before Connect: the signaling server
 * here is a closed port, and nothing is ever pressed but Escape. Screenshots in test-results/join-*.png.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { createInvitation, makeInvitationFile } from '../../src/shared/invitation';
import { loopbackSettings, startCodeServer, type CodeServer } from '../support/codeServer';
import { ROOT, Stack, launchChromium, waitFor } from '../support/env';
import { openThroughJoinFolderButton, openWorkbench, runCommand, statusBarItem } from '../support/workbench';

const stack = new Stack();
const results = path.join(ROOT, 'test-results');
const HOST_NAME = 'Ada <b>Lovelace</b>';
let server: CodeServer;
let browser: Browser;
let page: Page;
const consoleLines: string[] = [];
/** The code of the file in the Explorer (the file dialog's has another). */
let code = '';

async function shot(name: string): Promise<void> {
  fs.mkdirSync(results, { recursive: true });
  await page.screenshot({ path: path.join(results, `join-${name}.png`) });
}

/** A valid invitation file at `relative` in the workspace; returns its absolute path and its code. */
function writeInvitation(relative: string, fill: number): { file: string; code: string } {
  const created = createInvitation((b) => b.fill(fill), new Date(), 30);
  const file = makeInvitationFile(created.code, created.invitation, HOST_NAME, { host: '127.0.0.1', port: 9, path: '/', secure: false, key: 'peerjs' }, []);
  const target = path.join(server.workspaceDir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, JSON.stringify(file, null, 2));
  return { file: target, code: created.code };
}

/**
 * Runs a test's body; on failure leaves a screenshot, the notifications, the webview frames' text and the
 * workbench's last console lines in the error.
 */
async function step(name: string, body: () => Promise<void>): Promise<void> {
  // Whatever an earlier test left open (a quick input, a dialog) must not swallow this one's keys.
  for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
  try {
    await body();
  } catch (error) {
    await shot(`${name}-failed`).catch(() => undefined);
    const toasts = await page.locator('.notification-toast').allInnerTexts().catch(() => []);
    const tabs = await page.locator('.tabs-container .tab').allInnerTexts().catch(() => []);
    const frames = await Promise.all(page.frames().map(async (f) => `${f.url().slice(0, 120)}: ${(await f.locator('body').innerText({ timeout: 1000 }).catch(() => '')).slice(0, 300)}`));
    const log = consoleLines.filter((l) => /remote|error/i.test(l)).slice(-30);
    throw new Error(`${String(error)}\nnotifications: ${JSON.stringify(toasts)}\ntabs: ${JSON.stringify(tabs)}\nframes:\n${frames.join('\n')}\nconsole:\n${log.join('\n')}`, { cause: error });
  }
}

/** The details dialog's text; fails with the notifications when it does not come. */
async function detailsDialog(step: string): Promise<string> {
  const box = page.locator('.monaco-dialog-box');
  await box.waitFor({ state: 'visible', timeout: 20_000 }).catch(async (error: unknown) => {
    await shot(`${step}-no-details`);
    const toasts = await page.locator('.notification-toast').allInnerTexts();
    throw new Error(`no details dialog; notifications: ${JSON.stringify(toasts)}`, { cause: error });
  });
  const text = await box.innerText();
  await shot(`${step}-details`);
  return text;
}

/** Escape on the details dialog: nothing may have connected, before or after. */
async function dismissAndCheckNothingConnected(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('.monaco-dialog-box').waitFor({ state: 'detached', timeout: 10_000 });
  await page.waitForTimeout(500);
  assert.equal(await page.locator('.tabs-container .tab').filter({ hasText: /^Remote Assist/ }).count(), 0, 'a helper panel opened');
  assert.equal(await statusBarItem(page, 'connecting').count(), 0);
}

/** The document of the webview editor that is shown (the custom editor's page). */
function webview(): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

describe('Join without typing, in a real VS Code', { timeout: 240_000 }, () => {
  before(async () => {
    server = await startCodeServer({
      stack,
      installExtension: true,
      userSettings: { ...loopbackSettings(9), 'remoteAssist.displayName': 'Grace' },
    });
    // Written before the workbench opens, so that the Explorer lists it at once.
    code = writeInvitation('from-ada.remoteassist', 5).code;
    browser = await launchChromium(stack);
    page = await openWorkbench(browser, server.url, { onConsole: (line) => consoleLines.push(line) });
    await statusBarItem(page, 'Remote Assist').first().waitFor({ timeout: 60_000 });
  });

  after(async () => {
    await stack.stop();
  });

  it('the folder button of the Join box and the file dialog: a valid file reaches the details dialog', () => step('1', async () => {
    // A folder of its own: the file dialog then lists no other invitation to pick by mistake.
    const { file } = writeInvitation(path.join('picked', 'picked.remoteassist'), 6);
    await runCommand(page, 'Remote Assist: Join');
    await openThroughJoinFolderButton(page, file);
    const details = await detailsDialog('1');
    assert.match(details, /Connect to Ada <b>Lovelace<\/b>'s computer\?/);
    assert.match(details, /Signaling server: 127\.0\.0\.1:9/);
    assert.equal(await page.locator('.monaco-dialog-box b').count(), 0, 'the name became markup');
    await dismissAndCheckNothingConnected();
  }));

  it('a .remoteassist file opened from the Explorer shows its details and a Join button, and connects to nothing', () => step('2', async () => {
    const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: 'from-ada.remoteassist' });
    await row.first().waitFor({ state: 'visible', timeout: 20_000 });
    await row.first().dblclick();
    const join = webview().locator('button#join');
    await join.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await webview().locator('main').innerText();
    await shot('2-editor');
    assert.match(text, /Remote Assist Invitation/);
    assert.match(text, /Ada <b>Lovelace<\/b>/, 'the name shown as text');
    assert.equal(await webview().locator('main b').count(), 0, 'the name became markup');
    assert.match(text, /127\.0\.0\.1:9\//);
    assert.ok(!text.includes(code), 'the editor shows the secret code');
    assert.doesNotMatch(text, /"type": "remote-assist-invitation"/, 'the JSON is shown instead');
    assert.equal(await statusBarItem(page, 'connecting').count(), 0, 'opening the file connected');
    // By keyboard, as a person without a mouse would.
    await join.press('Enter');
    const details = await detailsDialog('2');
    assert.match(details, /Connect to Ada <b>Lovelace<\/b>'s computer\?/);
    await dismissAndCheckNothingConnected();
  }));

/**
 * Hands a link to VS Code as the OS would (Developer: Open URL goes through the same URL service). VS Code asks
 * whether the extension may open it; `expect` is what should follow once that is answered with Open.
 */
async function openLink(link: string, expect: Locator, step: string): Promise<void> {
  await runCommand(page, 'Developer: Open URL');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(link);
  await page.keyboard.press('Enter');
  const allow = page.locator('.monaco-dialog-box .dialog-buttons .monaco-button').filter({ hasText: /^Open$/ });
  await waitFor('Join or VS Code\'s question', async () => (await expect.first().isVisible()) || (await allow.first().isVisible()), 20_000);
  if (await allow.first().isVisible()) {
    await shot(`${step}-allow-uri`);
    await allow.first().click();
  }
  await expect.first().waitFor({ state: 'visible', timeout: 20_000 });
}

  it('a join link opens Join with the code filled in and checked; Enter leads to the details dialog', () => step('3', async () => {
    const box = page.locator('.quick-input-widget').filter({ hasText: /Valid until/ });
    await openLink(`code-oss://remote-assist.remote-assist/join?code=${code}`, box, '3');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await shot('3-link-filled');
    assert.equal(await input.inputValue(), code);
    await page.keyboard.press('Enter');
    const details = await detailsDialog('3');
    assert.match(details, /Connect with this invitation\?/);
    await dismissAndCheckNothingConnected();
  }));

  it('a join link with a bad code or extra parameters: an error in our words, nothing of the link quoted', () => step('4', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    const toast = page.locator('.notification-toast').filter({ hasText: /nothing else/ });
    await openLink(`code-oss://remote-assist.remote-assist/join?code=${code}&host=evil.example`, toast, '4');
    const text = await toast.first().innerText();
    assert.ok(!text.includes('evil.example') && !text.includes(code), text);
    assert.equal(await page.locator('.quick-input-widget').filter({ hasText: /Valid until/ }).count(), 0);
  }));
});
