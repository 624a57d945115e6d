/**
 * Driving code-server's workbench in headless Chromium (playwright-core): open it, wait until it is ready, run a
 * command from the palette, find a status-bar item; and what the editor tests do with Remote Assist's own parts in
 * it: the invitation's code, Join, the modal prompts, the helper's panel (its document and its canvas), the host's
 * Session view and its buttons.
 */

import type { Browser, ConsoleMessage, FrameLocator, Locator, Page } from 'playwright-core';

export interface WorkbenchOptions {
  /** Every console line of the page (the workbench forwards the extension host's console here). */
  readonly onConsole?: (line: string) => void;
  /** Ready within this long, or fail. */
  readonly timeoutMs?: number;
}

/** Opens the workbench in a new 1600x1000 page and resolves once it is ready (see `waitForWorkbench`). */
export async function openWorkbench(browser: Browser, url: string, options: WorkbenchOptions = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  if (options.onConsole) {
    const onConsole = options.onConsole;
    // consoleText is asynchronous: chain the calls so that the lines keep their order.
    let last = Promise.resolve();
    page.on('console', (message) => {
      last = last.then(async () => onConsole(`${message.type()}: ${await consoleText(message)}`));
    });
    page.on('pageerror', (error) => onConsole(`pageerror: ${error.stack ?? error.message}`));
  }
  await page.goto(url);
  await waitForWorkbench(page, options.timeoutMs);
  return page;
}

/**
 * The workbench is ready when its frame is laid out and the Problems item is in the status bar: the workbench
 * adds it once it has restored its parts, by which time the remote connection is up and the extension host has
 * been asked to start. An extension's own items come a little later: wait for those by name (`statusBarItem`).
 */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.statusbar [id="status.problems"]').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** A status-bar item whose text contains `text` (icons are glyphs, so only the words count). */
export function statusBarItem(page: Page, text: string): Locator {
  return page.locator('.part.statusbar .statusbar-item').filter({ hasText: text });
}

/**
 * Runs a command by its palette title ("Remote Assist: Invite Helper"), as a person would: F1, type, Enter on
 * the row that has exactly that title (the first row may be a fuzzier match or a recently used command).
 */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // Focus the workbench first: F1 goes nowhere while the focus is in a webview or on the page body.
  await page.locator('.monaco-workbench').focus().catch(() => undefined);
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
  });
  await row.first().waitFor({ state: 'visible', timeout: timeoutMs });
  await row.first().click();
  // The palette closes, or the command opens a quick input of its own in the same widget (Join does).
  await waitUntil(async () => !(await input.isVisible()) || !(await input.inputValue()).startsWith('>'), timeoutMs);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out waiting for the command palette to close');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The visible notifications' messages (toasts), newest last. */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
}

/**
 * A console message as the devtools would show it: the workbench logs `console.log('%c INFO', 'color: …', message)`,
 * and Playwright's `text()` keeps the `%c` and the CSS. Arguments that are gone already fall back to `text()`.
 */
export async function consoleText(message: ConsoleMessage): Promise<string> {
  try {
    const args = await Promise.all(message.args().map((a) => a.jsonValue() as Promise<unknown>));
    if (typeof args[0] !== 'string') return message.text();
    const styles = args[0].match(/%c/g)?.length ?? 0;
    const rest = args.slice(1 + styles).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
    return [args[0].replace(/%c/g, '').trim(), ...rest].join(' ').trimEnd();
  } catch {
    return message.text();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The Join box's folder button, then code-server's own (simple) file dialog, to open `file`. That dialog lists the
 * folder it shows while the path is typed and may put its own folder back into the box after the fill (seen: Enter
 * then opened the folder, not the file); so the path is typed again until the box holds it twice in a row, and the
 * whole is tried again while the dialog stays open after Enter.
 */
export async function openThroughJoinFolderButton(page: Page, file: string): Promise<void> {
  const button = page.locator('.quick-input-widget .codicon-folder-opened');
  await button.first().waitFor({ state: 'visible', timeout: 15_000 });
  await button.first().click();
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const value = async () => ((await input.isVisible()) ? await input.inputValue() : undefined);
  const deadline = Date.now() + 15_000;
  while ((await value())?.startsWith('/') !== true) {
    if (Date.now() > deadline) throw new Error('the file dialog did not open');
    await page.waitForTimeout(100);
  }
  for (let attempt = 1; ; attempt++) {
    for (let settled = 0; settled < 2; ) {
      if ((await value()) !== file) {
        await input.fill(file);
        settled = 0;
      } else settled++;
      await page.waitForTimeout(250);
    }
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
    const left = await value();
    if (left === undefined || !left.startsWith('/') || attempt === 3) return;
  }
}

/** The invitation code in the host's "Invitation code …" notification, once it shows (after Invite Helper). */
export async function invitationCode(page: Page, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator('.notification-toast').filter({ hasText: 'Invitation code' });
  await toast.first().waitFor({ timeout: timeoutMs });
  const text = await toast.first().innerText();
  const match = /([0-9A-Z]{5}(?:-[0-9A-Z]{5}){5})/.exec(text);
  if (!match) throw new Error(`no invitation code in: ${text}`);
  return match[1]!;
}

/** The helper's "Remote Assist: Join" with `text` typed into its box (Enter, the details and Connect are the caller's). */
export async function join(page: Page, text: string): Promise<void> {
  await runCommand(page, 'Remote Assist: Join');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
}

/** A modal dialog's button, by its label. */
export async function clickDialogButton(page: Page, label: string): Promise<void> {
  const button = page.locator('.monaco-dialog-box .dialog-buttons a.monaco-button, .monaco-dialog-box .dialog-buttons .monaco-button').filter({ hasText: new RegExp(`^${escapeRegExp(label)}$`) });
  await button.first().waitFor({ state: 'visible', timeout: 20_000 });
  await button.first().click();
}

/** The text of the modal dialog that shows (or shows within 20 s). */
export async function dialogText(page: Page): Promise<string> {
  const box = page.locator('.monaco-dialog-box');
  await box.waitFor({ state: 'visible', timeout: 20_000 });
  return box.innerText();
}

/** A page's only webview (the helper's panel, the host's chat view): its inner document. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The helper panel's canvas: its size (the host's picture, pixel for pixel: display.ts) as "WxH". */
export async function canvasSize(page: Page): Promise<string> {
  return webview(page).locator('#screen').evaluate((c: HTMLCanvasElement) => `${c.width}x${c.height}`);
}

/** The RGB of one pixel of the helper panel's canvas, in the host picture's coordinates. */
export async function canvasPixel(page: Page, sx: number, sy: number): Promise<number[]> {
  return webview(page)
    .locator('#screen')
    .evaluate((c: HTMLCanvasElement, [px, py]) => Array.from(c.getContext('2d')!.getImageData(px!, py!, 1, 1).data.slice(0, 3)), [sx, sy]);
}

/** The host's Session view (a tree in the Remote Assist panel container). */
export function sessionView(page: Page): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Session/ }) });
}

/** A row of the Session view, by its label. */
export function sessionRow(view: Locator, label: string): Locator {
  return view.locator('.monaco-list-row').filter({ has: view.page().locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

/** Clicks a button of a view's title bar or of a row, by its name (its label may go on with a keybinding), after hovering where it shows. */
export async function clickViewButton(where: Locator, name: string): Promise<void> {
  await where.first().hover();
  await where.locator(`.action-label[aria-label^="${name}"]`).first().click();
}
