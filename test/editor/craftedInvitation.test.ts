/**
 * A crafted invitation file, joined through a real VS Code's UI (code-server in headless Chromium): its signaling
 * host is a Markdown command link and its host name has a line break and bidirectional overrides. Join must refuse
 * it with a clear error, show no link in any notification, and run nothing (the link's command would open an
 * untitled editor). A second file with a valid server and the same kind of name gets as far as the details
 * dialog, which shows the name cleaned. Screenshots in test-results/crafted-*.png.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createInvitation, makeInvitationFile } from '../../src/shared/invitation';
import { loopbackSettings, startCodeServer, type CodeServer } from '../support/codeServer';
import { ROOT, Stack, launchChromium } from '../support/env';
import { openThroughJoinFolderButton, openWorkbench, runCommand, statusBarItem } from '../support/workbench';

const stack = new Stack();
const results = path.join(ROOT, 'test-results');
const LINK = '[Retry](command:workbench.action.files.newUntitledFile)';
const HOSTILE_NAME = `Ada\n${LINK}\u202Enimda\u2066`;
let server: CodeServer;
let browser: Browser;
let page: Page;

async function shot(name: string): Promise<void> {
  fs.mkdirSync(results, { recursive: true });
  await page.screenshot({ path: path.join(results, `crafted-${name}.png`) });
}

/** A valid code in a file whose other fields are as given (written as raw JSON: nothing here cleans them). */
function writeInvitation(name: string, signalingHost: string, hostName: string): string {
  const { invitation, code } = createInvitation((b) => b.fill(3), new Date(), 30);
  const file = { ...makeInvitationFile(code, invitation, 'x', { host: '127.0.0.1', port: 9, path: '/', secure: false, key: 'peerjs' }, []), hostName };
  const text = JSON.stringify({ ...file, signaling: { ...file.signaling, host: signalingHost } }, null, 2);
  // A folder of its own: VS Code's file dialog then lists no other invitation to pick by mistake.
  const dir = path.join(server.workspaceDir, path.basename(name, '.remoteassist'));
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  fs.writeFileSync(target, text);
  return target;
}

/** Join, the folder button of its input box, then the path typed into VS Code's own file dialog. */
async function joinWithFile(file: string): Promise<void> {
  await runCommand(page, 'Remote Assist: Join');
  await openThroughJoinFolderButton(page, file);
}

/** Anchors inside notification messages (the toasts' buttons are anchors too, so only the messages count). */
async function linksInNotifications(): Promise<number> {
  return page.locator('.notifications-toasts .notification-list-item-message a').count();
}

async function untitledTabs(): Promise<number> {
  return page.locator('.tabs-container .tab').filter({ hasText: /Untitled/ }).count();
}

describe('a crafted invitation file in a real VS Code', { timeout: 240_000 }, () => {
  before(async () => {
    server = await startCodeServer({
      stack,
      installExtension: true,
      userSettings: { ...loopbackSettings(9), 'remoteAssist.displayName': 'Grace' },
    });
    browser = await launchChromium(stack);
    page = await openWorkbench(browser, server.url);
    await statusBarItem(page, 'Remote Assist').first().waitFor({ timeout: 60_000 });
  });

  after(async () => {
    await stack.stop();
  });

  it('a signaling host that is a command link: a clear error, no link, nothing runs, no panel', async () => {
    const file = writeInvitation('crafted.remoteassist', LINK, HOSTILE_NAME);
    await joinWithFile(file);
    const toast = page.locator('.notification-toast').filter({ hasText: /signaling server/ });
    await toast.first().waitFor({ timeout: 30_000 });
    const text = await toast.first().innerText();
    assert.match(text, /host name or an IP address/);
    assert.ok(!text.includes('command:'), text);
    await shot('1-refused');
    assert.equal(await linksInNotifications(), 0);
    await page.waitForTimeout(1000);
    assert.equal(await untitledTabs(), 0, 'the link\'s command ran');
    assert.equal(await page.locator('.tabs-container .tab').filter({ hasText: 'Remote Assist' }).count(), 0, 'a panel opened');
    assert.equal(await statusBarItem(page, 'connecting').count(), 0);
  });

  it('a host name with a line break, bidi overrides and a link: shown cleaned in the details, as plain text', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    const file = writeInvitation('named.remoteassist', '127.0.0.1', HOSTILE_NAME);
    await joinWithFile(file);
    const box = page.locator('.monaco-dialog-box');
    await box.waitFor({ state: 'visible', timeout: 20_000 }).catch(async (error: unknown) => {
      await shot('2-no-details');
      const toasts = await page.locator('.notification-toast').allInnerTexts();
      throw new Error(`no details dialog; notifications: ${JSON.stringify(toasts)}`, { cause: error });
    });
    const details = await box.innerText();
    await shot('2-details');
    assert.match(details, /Ada \(Retry\)\(command:/);
    assert.doesNotMatch(details, /[\u202E\u2066]/);
    assert.equal(await box.locator('.dialog-message-container a').count(), 0);
    await page.keyboard.press('Escape');
    await box.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await linksInNotifications(), 0);
    assert.equal(await untitledTabs(), 0, 'the link\'s command ran');
    assert.equal(await page.locator('.tabs-container .tab').filter({ hasText: 'Remote Assist' }).count(), 0, 'a panel opened after Escape');
  });
});
