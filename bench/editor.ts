/**
 * `npm run bench -- --editor`: the product's helper panel where its users have it, inside a real VS Code, beside
 * the bare page of the other systems (issue 15). code-server serves the workbench with the linux-x64 VSIX
 * installed (test/support/codeServer.ts, as the editor tests do); the helper joins through the command palette
 * and the Connect dialog; the probe (probe.ts) runs in the panel's own document, two iframes down
 * (workbench > webview > #active-frame), where the canvas is. The host is the same process as the bare page's.
 *
 * The workbench costs the panel what it costs users: its own main thread, the webview's message hops, its
 * layout. The panel is an editor tab at the workbench's default layout (side bar and all), in the same
 * 1280x800 browser window as the bare page.
 */

import type { Browser, Frame, Page } from 'playwright-core';
import { loopbackSettings, startCodeServer } from '../test/support/codeServer';
import { type Stack, waitFor } from '../test/support/env';
import { runCommand, waitForWorkbench } from '../test/support/workbench';
import { installProbe, type ProbeConfig } from './probe';

export interface EditorHelper {
  /** The workbench page (for the mouse). */
  readonly page: Page;
  /** The panel's document: where the probe reads the picture. */
  readonly view: Frame;
  /** code-server's process group: the helper's editor, not the host. */
  readonly serverPid: number;
  /** A point of the panel's document in the page's coordinates (for the mouse). */
  toPage(point: { x: number; y: number }): Promise<{ x: number; y: number }>;
}

export interface EditorHelperOptions {
  readonly stack: Stack;
  readonly browser: Browser;
  readonly viewport: { readonly width: number; readonly height: number };
  readonly peerPort: number;
  readonly code: string;
  readonly probe: ProbeConfig;
}

/** Opens VS Code (code-server) in a probed page, joins the host with `code` as a person would, and finds the panel. */
export async function openEditorHelper(options: EditorHelperOptions): Promise<EditorHelper> {
  const { stack, browser } = options;
  const server = await startCodeServer({
    stack,
    installExtension: true,
    userSettings: { ...loopbackSettings(options.peerPort), 'remoteAssist.displayName': 'Bench helper' },
  });
  const page = await browser.newPage({ viewport: options.viewport });
  stack.add(() => page.close());
  // Every frame gets the probe; `exclusive` keeps it idle in those without the panel's canvas (the workbench's
  // own canvases must not be read, or the probe would cost the helper's browser what the panel does not).
  await page.addInitScript(installProbe, { ...options.probe, exclusive: true });
  await page.goto(server.url);
  await waitForWorkbench(page);
  await runCommand(page, 'Remote Assist: Join');
  await page.locator('.quick-input-widget .quick-input-box input').fill(options.code);
  await page.locator('.quick-input-widget').filter({ hasText: /Valid until/ }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  const connect = page.locator('.monaco-dialog-box .dialog-buttons .monaco-button').filter({ hasText: /^Connect$/ });
  await connect.first().waitFor({ state: 'visible', timeout: 30_000 });
  await connect.first().click();
  const view = await waitFor('the panel with the host screen in VS Code', async () => {
    for (const frame of page.frames()) {
      const ready = await frame.evaluate(() => !!document.querySelector('#screen') && !!(window as { __bench?: unknown }).__bench).catch(() => false);
      if (ready) return frame;
    }
    return undefined;
  }, 60_000, 250);
  return {
    page,
    view,
    serverPid: server.pid,
    toPage: async (point) => {
      // Each frame's element is placed relative to the main frame's viewport (Playwright's boundingBox).
      const box = await (await view.frameElement()).boundingBox();
      if (!box) throw new Error('the panel is not on screen');
      return { x: box.x + point.x, y: box.y + point.y };
    },
  };
}
