/**
 * Driving code-server's workbench in headless Chromium (playwright-core): open it, wait until it is ready, run a
 * command from the palette, find a status-bar item.
 */

import type { Browser, ConsoleMessage, Locator, Page } from 'playwright-core';

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
