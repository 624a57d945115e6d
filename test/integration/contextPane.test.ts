/**
 * The helper's context pane and chat (issue 12) with the real panel bundle in headless Chromium, a PeerServer on
 * 127.0.0.1 and a host written by hand in Node that proves itself like the real one and then shares an editor, a
 * stopped debug session and a terminal, and chats. The pane shows them as text (markup from the host stays text),
 * "Open here" and the copy buttons ask the extension, the search highlights and filters, chat goes both ways and
 * the audit is told of each message, and nothing is taken before the host has let the helper in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ContextUpdate } from '../../src/shared/context';
import { Stack, waitFor } from '../support/env';
import { helperState, newRig, type NodeHost, nodeHost, openHelper, startRig, stopRig } from '../support/session';

const stack = new Stack();
const rig = newRig();
const XSS = '<img src=x onerror="window.__pwned=1">';

const location = { folder: 'app', path: 'src/main.js', line: 12, column: 5, repo: { remote: 'github.com/org/app', commit: 'a'.repeat(40), pathInRepo: 'src/main.js' } };
const editor: ContextUpdate = {
  kind: 'editor',
  editor: {
    active: { ...location, selection: `const total = ${XSS};` },
    visible: [location, { folder: 'app', path: 'src/util.js', line: 3 }],
    problems: [{ severity: 'error', message: `'total' is not defined ${XSS}`, line: 14, column: 2, source: 'eslint' }],
  },
};
const debug: ContextUpdate = {
  kind: 'debug',
  debug: {
    sessions: [{
      id: 's1',
      name: 'Launch main.js',
      state: 'stopped',
      reason: 'breakpoint',
      exception: `TypeError: Cannot read properties of undefined ${XSS}`,
      frames: [{ name: 'computeTotal', location: { ...location, line: 21 } }, { name: 'main', location }],
      variables: [
        { name: 'count', value: '42', type: 'number' },
        { name: 'order', value: 'Object', children: [{ name: 'id', value: '"A-17"' }, { name: 'note', value: JSON.stringify(XSS) }] },
      ],
    }],
  },
};
const terminal: ContextUpdate = {
  kind: 'terminal',
  terminal: { name: 'bash', shellIntegration: true, commands: [{ command: 'npm test', exitCode: 1, output: `1 failing\n${XSS}` }] },
};

async function fromPanel(page: Page, type: string): Promise<Record<string, unknown>[]> {
  return page.evaluate((t) => (window as unknown as { __fromPanel: Record<string, unknown>[] }).__fromPanel.filter((m) => m['type'] === t), type);
}

async function text(page: Page, selector: string): Promise<string> {
  return page.locator(selector).innerText();
}

/** A host that has proved itself to a freshly opened panel, which now waits for consent. */
async function connected(): Promise<{ host: NodeHost; page: Page }> {
  const host = await nodeHost(rig);
  stack.add(() => host.destroy());
  const page = await openHelper(rig, host.ids);
  stack.add(() => page.close());
  await host.verified;
  await waitFor('waitingForConsent', async () => (await helperState(page)).kind === 'waitingForConsent');
  return { host, page };
}

describe('the context pane and chat, against a host written by hand', { timeout: 120_000 }, () => {
  before(() => startRig(rig, stack));

  after(async () => {
    await stopRig(rig, stack, 'contextPane');
    (await import('node-datachannel')).cleanup();
  });

  it('shows nothing before consent, and a host that shares before it is a protocol error', async () => {
    const { host, page } = await connected();
    assert.equal(await page.isVisible('#context-toggle'), false);
    assert.equal(await page.isVisible('#context-pane'), false);
    host.say({ type: 'sharing', sharing: { editor: true, debug: true, terminal: true } });
    host.say({ type: 'context', update: editor });
    await waitFor('the panel to fail', async () => (await helperState(page)).kind === 'failed', 20_000);
    assert.equal(((await host.next('bye')) as { reason?: string }).reason, 'protocolError');
    assert.equal(await page.locator('#context-pane').innerText().then((t) => t.includes('src/main.js')), false);
  });

  it('shows the shared editor, debugger and terminal as text, opens, copies, searches and chats', async () => {
    const { host, page } = await connected();
    host.say({ type: 'viewGranted', width: 1280, height: 800 });
    await waitFor('viewing', async () => (await helperState(page)).kind === 'viewing');
    await page.locator('#context-toggle').waitFor({ state: 'visible' });
    assert.equal(await page.getAttribute('#context-toggle', 'aria-expanded'), 'false');

    // Chat while the pane is collapsed: the toggle counts it.
    host.say({ type: 'chat', text: `hi, look at https://evil.example/x and [this](command:workbench.action.terminal.sendSequence) ${XSS}` });
    await waitFor('the unread badge', async () => (await page.locator('#chat-badge').isVisible()) && (await text(page, '#chat-badge')) === '1');

    // Nothing is shared yet: every section says so.
    await page.click('#context-toggle');
    assert.equal(await page.getAttribute('#context-toggle', 'aria-expanded'), 'true');
    assert.equal(await page.locator('#chat-badge').isVisible(), false);
    for (const id of ['#ctx-editor', '#ctx-debug', '#ctx-terminal']) assert.match(await text(page, id), /Not shared by Mallory \(test host\)/);

    host.say({ type: 'sharing', sharing: { editor: true, debug: true, terminal: true } });
    for (const update of [editor, debug, terminal]) host.say({ type: 'context', update });
    await waitFor('the editor section', async () => (await text(page, '#ctx-editor')).includes('src/main.js:12:5'));
    const editorText = await text(page, '#ctx-editor');
    assert.ok(editorText.includes(`const total = ${XSS};`), editorText);
    assert.ok(editorText.includes('src/util.js:3'));
    assert.ok(editorText.includes("'total' is not defined"));
    await waitFor('the debug section', async () => (await text(page, '#ctx-debug')).includes('Paused on breakpoint'));
    const debugText = await text(page, '#ctx-debug');
    for (const expected of ['Launch main.js', 'computeTotal', 'src/main.js:21:5', 'count', '42', 'TypeError: Cannot read properties of undefined']) {
      assert.ok(debugText.includes(expected), `${expected} in ${debugText}`);
    }
    await waitFor('the terminal section', async () => (await text(page, '#ctx-terminal')).includes('$ npm test'));
    assert.match(await text(page, '#ctx-terminal'), /exit 1/);

    // The host's markup is text: no element was made of it, nothing ran, no link was made of a URL.
    assert.equal(await page.locator('#context-pane img').count(), 0);
    assert.equal(await page.locator('#context-pane a').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.ok((await text(page, '#chat-log')).includes(`[this](command:workbench.action.terminal.sendSequence) ${XSS}`));

    // The variables are a tree: the child shows once its parent is opened.
    const order = page.locator('#ctx-debug details.var').filter({ hasText: 'order' });
    assert.equal(await order.locator('.var-children').isVisible(), false);
    await order.locator('summary').first().click();
    await order.locator('.var-children').filter({ hasText: '"A-17"' }).waitFor({ state: 'visible' });

    // "Open here" and the copy buttons ask the extension.
    await page.locator('#ctx-debug .location-link', { hasText: 'src/main.js:21:5' }).click();
    await waitFor('openHere', async () => (await fromPanel(page, 'openHere')).length === 1);
    assert.deepEqual((await fromPanel(page, 'openHere'))[0]!['location'], { ...location, line: 21 });
    await page.locator('#ctx-debug button', { hasText: 'Copy stack' }).click();
    await page.locator('#ctx-debug button', { hasText: 'Copy exception' }).click();
    await page.locator('#ctx-terminal button', { hasText: 'Copy output' }).click();
    const copies = (await fromPanel(page, 'copy')).map((m) => String(m['text']));
    assert.deepEqual(copies, ['computeTotal (src/main.js:21)\nmain (src/main.js:12)', debug.debug.sessions[0]!.exception, `1 failing\n${XSS}`]);

    // Search: marks around the matches (made of text nodes), items without one hidden; clearing restores all.
    await page.fill('#context-search', 'TOTAL');
    await waitFor('matches', async () => (await page.locator('mark.search-hit').count()) >= 3);
    assert.deepEqual(await page.locator('#ctx-editor mark.search-hit').allInnerTexts(), ['total', 'total']);
    assert.equal(await page.locator('#ctx-debug .frame', { hasText: 'computeTotal' }).isVisible(), true);
    assert.equal(await page.locator('#ctx-debug .frame', { hasText: /^main/ }).isVisible(), false, 'a frame without a match is filtered out');
    assert.match(await text(page, '#search-count'), /\d+ matches/);
    await page.fill('#context-search', XSS);
    await waitFor('markup as a query', async () => (await page.locator('mark.search-hit').count()) >= 3);
    assert.equal(await page.locator('#context-pane img').count(), 0);
    await page.fill('#context-search', '');
    assert.equal(await page.locator('mark.search-hit').count(), 0);
    assert.equal(await page.locator('#ctx-debug .frame', { hasText: /^main/ }).isVisible(), true);

    // Chat out: Enter sends, Shift+Enter breaks the line.
    await page.click('#chat-input');
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second <b>line</b>');
    await page.keyboard.press('Enter');
    assert.equal((await host.next('chat'))['text'], 'first line\nsecond <b>line</b>');
    assert.equal(await page.inputValue('#chat-input'), '');
    assert.equal(await page.locator('#chat-log b').count(), 0);
    assert.deepEqual((await fromPanel(page, 'chatCount')).map((m) => m['direction']), ['received', 'sent']);
    assert.ok((await fromPanel(page, 'chatCount')).every((m) => !('text' in m)));

    // The pane resizes from the keyboard; the screen's canvas keeps its own box beside it.
    const before = (await page.locator('#context-pane').boundingBox())!.width;
    await page.focus('#pane-resizer');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    const wider = (await page.locator('#context-pane').boundingBox())!;
    assert.equal(Math.round(wider.width - before), 32);
    assert.equal(await page.getAttribute('#pane-resizer', 'aria-valuenow'), String(Math.round(wider.width)));
    const canvas = (await page.locator('#screen').boundingBox())!;
    assert.ok(canvas.x + canvas.width <= wider.x, 'the canvas ends where the pane begins');

    // The host stops sharing its editor: the section says so at once.
    host.say({ type: 'sharing', sharing: { editor: false, debug: true, terminal: true } });
    await waitFor('editor no longer shared', async () => /Not shared by/.test(await text(page, '#ctx-editor')));
    assert.equal((await text(page, '#ctx-editor')).includes('src/main.js'), false);

    // Collapsed again: the pane is gone, the badge counts again.
    await page.click('#context-toggle');
    assert.equal(await page.isVisible('#context-pane'), false);
    host.say({ type: 'chat', text: 'are you there?' });
    await waitFor('the badge again', async () => (await page.locator('#chat-badge').isVisible()) && (await text(page, '#chat-badge')) === '1');
    assert.equal((await helperState(page)).kind, 'viewing', 'the session is still up');
  });
});
