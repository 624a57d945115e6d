#!/usr/bin/env node
// `npm run screenshot`: the README's picture, docs/helper-debugging.png, taken from a real session on this machine.
//
// The host's VS Code (code-server's workbench in a HEADED Chromium, full screen on an Xvfb display of its own) has a
// small checkout project open, a breakpoint set and the Node debugger stopped on it; the helper's VS Code (another
// workbench of the same code-server, in headless Chromium) has joined, the host has allowed it and shared its editor
// and debugger. The picture is the helper's window: the host's screen live in the panel, the Context pane beside it.
//
// The pieces are the editor tests' drivers (test/support/codeServer.ts, env.ts, workbench.ts), bundled here with
// esbuild as scripts/demo.js does. Everything listens on 127.0.0.1 and is stopped at the end, or on Ctrl+C.
//
// SCREENSHOT_OUT chooses the file (default docs/helper-debugging.png); SCREENSHOT_KEEP=1 also writes the host's own
// window to test-results/screenshot-host.png. On a failure, each window's last picture is in test-results/.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, testExternals, nodeOptions } = require('./buildConfig');

// The host's screen: 4:3, about the shape of the helper's panel beside the Context pane (less letterboxing).
const SCREEN = { width: 1440, height: 1080 };
// The helper's window.
const WIDTH = 1600;
const HEIGHT = 1000;
// The host's Chromium draws at this scale, so that its text is still legible once scaled into the helper's panel.
const HOST_SCALE = 1.2;
const OUT = path.resolve(ROOT, process.env.SCREENSHOT_OUT || path.join('docs', 'helper-debugging.png'));
const KEEP = process.env.SCREENSHOT_KEEP === '1';

function step(message) {
  console.log(`[screenshot] ${message}`);
}

function build() {
  step('building the extension (node esbuild.js)…');
  const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed; see above');
  // Three folders down, as env.ts expects (it finds the repository three folders up), but out of out/test/, so
  // that `node --test out/test/editor/` does not take it for a test file.
  const outfile = path.join(ROOT, 'out', 'tools', 'screenshot', 'parts.js');
  require('esbuild').buildSync({
    ...nodeOptions({ external: testExternals, peerjs: false }),
    stdin: {
      contents: "export * from './test/support/codeServer';\nexport * from './test/support/env';\nexport * from './test/support/workbench';\n",
      resolveDir: ROOT,
      sourcefile: 'screenshot-parts.ts',
      loader: 'ts',
    },
    outfile,
  });
  return require(outfile);
}

// --- The sample project: a checkout's order total, with a bug to find -------------------------------------------

const ORDERS_JS = `// Order totals for the checkout page.
const TAX_RATE = 0.08;

function lineTotal(item) {
  return item.price * item.quantity;
}

function orderTotal(order) {
  let subtotal = 0;
  for (const item of order.items) {
    subtotal += lineTotal(item);
  }
  const discount = order.coupon ? subtotal * order.coupon.percent : 0;
  const tax = (subtotal - discount) * TAX_RATE;
  return Math.round((subtotal - discount + tax) * 100) / 100;
}

const order = {
  id: 'A-1042',
  customer: 'grace@example.com',
  items: [
    { sku: 'MUG-01', price: 12.5, quantity: 2 },
    { sku: 'TEE-M', price: 18, quantity: 1 },
    { sku: 'STICKER', price: 2.25, quantity: 4 },
  ],
  coupon: { code: 'SPRING15', percent: 15 },
};

// Expected $47.74; the page shows a negative total.
console.log(\`Total for \${order.id}: $\${orderTotal(order)}\`);
`;
/** The line of the breakpoint (1-based): `const tax = …`, where `discount` is already wrong. */
const BREAK_LINE = ORDERS_JS.split('\n').findIndex((l) => l.includes('const tax')) + 1;

function writeProject(dir) {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'orders.js'), ORDERS_JS);
  fs.writeFileSync(path.join(dir, 'src', 'format.js'), "exports.money = (n) => '$' + n.toFixed(2);\n");
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'checkout', version: '1.4.0', private: true, main: 'src/orders.js', scripts: { start: 'node src/orders.js' } }, null, 2) + '\n',
  );
  fs.writeFileSync(path.join(dir, 'README.md'), '# checkout\n\nOrder totals for the shop\'s checkout page.\n');
  fs.writeFileSync(
    path.join(dir, '.vscode', 'launch.json'),
    JSON.stringify({ version: '0.2.0', configurations: [{ type: 'node', request: 'launch', name: 'Order total', program: '${workspaceFolder}/src/orders.js', console: 'internalConsole' }] }, null, 2) + '\n',
  );
}

// --- Driving the workbenches ------------------------------------------------------------------------------------

/** A page's only webview (the helper's panel): its inner document. */
function webview(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

async function clickDialogButton(page, label) {
  const button = page.locator('.monaco-dialog-box .dialog-buttons .monaco-button').filter({ hasText: new RegExp(`^${label}$`) });
  await button.first().waitFor({ state: 'visible', timeout: 30_000 });
  await button.first().click();
}

async function paneShows(parts, page, id, pattern, timeoutMs = 30_000) {
  await parts.waitFor(`the helper's pane (${id}) to show ${pattern}`, async () => pattern.test(await webview(page).locator(id).innerText().catch(() => '')), timeoutMs, 100);
}

async function openFile(page, query) {
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget .quick-input-box input').fill(query);
  await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: query.split(':')[0] }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  const line = query.split(':')[1];
  if (line) await page.locator('.part.statusbar .statusbar-item').filter({ hasText: `Ln ${line},` }).first().waitFor({ timeout: 20_000 });
  await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 10_000 });
}

async function keep(page, name) {
  if (!KEEP) return;
  const dir = path.join(ROOT, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `screenshot-${name}.png`) });
}

/** The pages opened so far, for a picture of each when something fails. */
const pages = {};

async function take(parts, stack) {
  const display = await parts.startXvfb(stack, SCREEN.width, SCREEN.height);
  step(`Xvfb on ${display} (${SCREEN.width}x${SCREEN.height}): the host's screen`);
  const peerPort = await parts.startPeerServer(stack);
  step(`PeerServer on 127.0.0.1:${peerPort}`);
  step("starting code-server with the extension's VSIX…");
  const server = await parts.startEditorServer(stack, display, peerPort, {
    'workbench.colorTheme': 'Default Dark Modern',
    'workbench.layoutControl.enabled': false,
    'window.commandCenter': false,
    'editor.minimap.enabled': false,
    'editor.fontSize': 15,
    'breadcrumbs.enabled': true,
    'debug.toolBarLocation': 'floating',
    'debug.internalConsoleOptions': 'neverOpen',
    'workbench.editor.enablePreview': false,
  });
  const project = path.join(server.workspaceDir, 'checkout');
  writeProject(project);
  const url = `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(project)}`;

  const { chromium } = require('playwright-core');
  const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'];
  step("opening the host's VS Code in Chromium on the shared screen…");
  const hostBrowser = await chromium.launch({
    headless: false,
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      ...chromiumArgs,
      '--window-position=0,0',
      `--window-size=${Math.floor(SCREEN.width / HOST_SCALE)},${Math.floor(SCREEN.height / HOST_SCALE)}`,
      '--start-maximized',
      `--force-device-scale-factor=${HOST_SCALE}`,
      '--password-store=basic',
    ],
    env: { ...process.env, DISPLAY: display },
  });
  stack.add(() => hostBrowser.close());
  const host = await hostBrowser.newPage({ viewport: null });
  pages.host = host;
  // Full screen, as a desktop VS Code would fill it: no tab strip, no address bar (there is no window manager).
  const cdp = await host.context().newCDPSession(host);
  const { windowId } = await cdp.send('Browser.getWindowForTarget');
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'fullscreen' } });
  await host.goto(url);
  await parts.waitForWorkbench(host, 90_000);

  const helperBrowser = await parts.launchChromium(stack);
  step("opening the helper's VS Code (headless)…");
  const helper = await helperBrowser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
  pages.helper = helper;
  await helper.goto(url);
  await parts.waitForWorkbench(helper, 90_000);

  // The host: the file open at the line, a breakpoint on it.
  await openFile(host, `orders.js:${BREAK_LINE}`);
  // F9 once the editor has the focus; again if no breakpoint shows up within 5 s (the key went elsewhere).
  const glyph = host.locator('.monaco-editor [class*="codicon-debug-breakpoint"]').first();
  for (let attempt = 1; ; attempt++) {
    await host.keyboard.press('F9');
    if (await glyph.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    if (attempt === 3) throw new Error(`no breakpoint glyph on orders.js:${BREAK_LINE} after pressing F9 three times`);
    await openFile(host, `orders.js:${BREAK_LINE}`);
  }

  step('the host invites; the helper joins…');
  await parts.statusBarItem(host, 'Remote Assist').first().waitFor({ timeout: 60_000 });
  await parts.runCommand(host, 'Remote Assist: Invite Helper');
  const toast = host.locator('.notification-toast').filter({ hasText: 'Invitation code' });
  await toast.first().waitFor({ timeout: 30_000 });
  const code = /([0-9A-Z]{5}(?:-[0-9A-Z]{5}){5})/.exec(await toast.first().innerText())?.[1];
  if (!code) throw new Error(`no invitation code in the host's notification: ${await toast.first().innerText()}`);
  await parts.runCommand(helper, 'Remote Assist: Join');
  await helper.locator('.quick-input-widget .quick-input-box input').fill(code);
  await helper.locator('.quick-input-widget').filter({ hasText: /Valid until/ }).waitFor({ timeout: 20_000 });
  await helper.keyboard.press('Enter');
  await clickDialogButton(helper, 'Connect');
  await clickDialogButton(host, 'Allow');
  await parts.statusBarItem(helper, 'Viewing').waitFor({ timeout: 30_000 });

  step('the host shares its editor and debugger, and starts debugging…');
  await host.locator('.quick-input-widget').filter({ hasText: 'Also share with' }).waitFor({ timeout: 20_000 });
  for (const label of ['Editor', 'Debugger']) {
    await host.locator('.quick-input-widget .monaco-list-row').filter({ hasText: new RegExp(`^\\s*${label}`) }).first().click();
  }
  await host.keyboard.press('Enter');
  await host.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  // Notifications the host has seen by now (the invitation) would sit over its editor in the picture.
  await host.locator('.notification-toast').first().waitFor({ state: 'hidden', timeout: 1_000 }).catch(() => undefined);
  await parts.runCommand(host, 'Notifications: Clear All Notifications').catch(() => undefined);

  await openFile(host, `orders.js:${BREAK_LINE}`);
  await parts.runCommand(host, 'Debug: Start Debugging');
  const pane = webview(helper);
  await pane.locator('#context-toggle').click();
  await pane.locator('#context-pane').waitFor({ state: 'visible' });
  await paneShows(parts, helper, '#ctx-debug', /Paused on breakpoint/, 90_000);
  await paneShows(parts, helper, '#ctx-debug', /discount/);
  await paneShows(parts, helper, '#ctx-editor', new RegExp(`src/orders\\.js:${BREAK_LINE}\\b`));
  // The helper has spotted it, and says so.
  await pane.locator('#chat-input').click();
  await helper.keyboard.type('discount is 780 on a $52 order: coupon.percent is 15, so it wants / 100?');
  await helper.keyboard.press('Enter');
  await pane.locator('#chat-log .chat-message[data-from="you"]').first().waitFor({ timeout: 20_000 });
  await host.locator('.notification-toast').filter({ hasText: 'Open Chat' }).first().waitFor({ timeout: 20_000 }).catch(() => undefined);
  // The host's own window: the editor on the paused line, the Run and Debug view with its variables.
  await host.locator('.debug-top-stack-frame-line, .debug-top-stack-frame-column').first().waitFor({ timeout: 30_000 }).catch(() => undefined);
  await parts.runCommand(host, 'Notifications: Clear All Notifications').catch(() => undefined);
  // The X pointer (Playwright's mouse is not it): in the empty space below the code, over nothing.
  const moved = spawnSync('xdotool', ['mousemove', String(Math.round(SCREEN.width * 0.72)), String(Math.round(SCREEN.height * 0.86))], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' });
  if (moved.status !== 0) throw new Error(`xdotool mousemove failed (${moved.status ?? moved.error}): ${moved.stderr}`);
  await keep(host, 'host');

  // The helper: the panel as large as the window allows, the mouse out of the way.
  await parts.runCommand(helper, 'View: Close Primary Side Bar').catch(() => undefined);
  await parts.runCommand(helper, 'Notifications: Clear All Notifications').catch(() => undefined);
  await helper.mouse.move(WIDTH - 5, HEIGHT / 2);
  // A few frames, so that the picture in the panel is the host's screen as it is now.
  await helper.waitForTimeout(3_000);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  await helper.screenshot({ path: OUT });
  step(`wrote ${path.relative(ROOT, OUT)}`);
}

async function main() {
  const parts = build();
  const stack = new parts.Stack();
  let stopping;
  const stop = (why) => {
    stopping ??= (async () => {
      step(`${why}: stopping everything…`);
      await stack.stop();
      // A start-up step that was under way may have added one more process meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await stack.stop();
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => void stop(signal).then(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  }
  let failed = false;
  try {
    await take(parts, stack);
  } catch (error) {
    failed = true;
    console.error(`[screenshot] failed: ${error instanceof Error ? error.stack || error.message : String(error)}`);
    // What each window showed then, to see where it stuck.
    const dir = path.join(ROOT, 'test-results');
    for (const [name, page] of Object.entries(pages)) {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `screenshot-failed-${name}.png`);
      if (await page.screenshot({ path: file, timeout: 5_000 }).then(() => true, () => false)) console.error(`[screenshot] the ${name}'s window then: ${path.relative(ROOT, file)}`);
    }
  }
  await stop(failed ? 'failed' : 'done');
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(`[screenshot] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
