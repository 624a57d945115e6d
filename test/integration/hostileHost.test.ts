/**
 * The helper's panel against a hostile host: the real webview bundle in headless Chromium, a PeerServer on
 * 127.0.0.1, and a host written by hand in Node that proves itself like the real one and then sends what the
 * real one never would. The panel must end the session as a protocol error (with a bye), show it, and never
 * allocate what the host asked it to.
 */
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { encodeUpdate } from '../../src/shared/screenUpdate';
import { Stack, waitFor } from '../support/env';
import { helperState, idsOf, newRig, type NodeHost, nodeHost, openHelper, signalingOf, startRig, stopRig } from '../support/session';
import { createInvitation } from '../../src/shared/invitation';

const stack = new Stack();
const rig = newRig();

/**
 * A real PNG of `side` x `side` black pixels at one bit per pixel: about 8 KB for 8192 x 8192, which the browser
 * decodes to 256 MiB.
 */
function bombPng(side: number): Uint8Array {
  const row = 1 + Math.ceil(side / 8);
  const idat = deflateSync(Buffer.alloc(row * side), { level: 9 });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

async function finalState(page: Page): Promise<{ kind: string; reason?: string; by?: string }> {
  return page.evaluate(() => {
    const states = (window as unknown as { __fromPanel: { type: string; state?: { kind: string } }[] }).__fromPanel.filter((m) => m.type === 'state');
    return (states[states.length - 1]?.state ?? { kind: 'none' }) as { kind: string };
  });
}

/** The largest the screen's canvas ever was, watched from the start of the page (a resize and back would hide it). */
async function watchCanvas(page: Page): Promise<void> {
  await page.evaluate(() => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const w = window as unknown as { __largestCanvas: number };
    w.__largestCanvas = canvas.width * canvas.height;
    new MutationObserver(() => (w.__largestCanvas = Math.max(w.__largestCanvas, canvas.width * canvas.height))).observe(canvas, { attributes: true });
    // Width and height set from script change the attributes too; polling catches what an observer might batch away.
    setInterval(() => (w.__largestCanvas = Math.max(w.__largestCanvas, canvas.width * canvas.height)), 5);
  });
}

async function largestCanvas(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __largestCanvas: number }).__largestCanvas);
}

/** A host that has proved itself to a freshly opened panel, which now waits for consent. */
async function connected(): Promise<{ host: NodeHost; page: Page }> {
  const host = await nodeHost(rig);
  stack.add(() => host.destroy());
  const page = await openHelper(rig, host.ids);
  stack.add(() => page.close());
  await watchCanvas(page);
  await host.verified;
  await waitFor('waitingForConsent', async () => (await helperState(page)).kind === 'waitingForConsent');
  return { host, page };
}

/** The panel failed with a protocol error, said bye for it, and shows the failure. */
async function endedAsProtocolError(host: NodeHost, page: Page): Promise<void> {
  await waitFor('the panel to fail', async () => (await finalState(page)).kind === 'failed', 20_000);
  const state = await finalState(page);
  assert.equal(state.reason, 'protocolError');
  assert.equal(state.by, 'local');
  assert.equal((await host.next('bye'))['reason'], 'protocolError');
  assert.equal(await page.getAttribute('#app', 'data-state'), 'failed');
  assert.equal(await page.isVisible('#message'), true, 'the panel shows the failure');
}

describe('a hostile host cannot make the panel allocate what it asks for', { timeout: 180_000 }, () => {
  before(() => startRig(rig, stack));

  after(async () => {
    await stopRig(rig, stack, 'hostileHost');
    (await import('node-datachannel')).cleanup();
  });

  it('refuses a screen over 8K x 8K in viewGranted, before any canvas is sized for it', async () => {
    const { host, page } = await connected();
    host.say({ type: 'viewGranted', width: 16_384, height: 16_384 });
    await endedAsProtocolError(host, page);
    assert.ok((await largestCanvas(page)) <= 8192 * 8192, `the canvas reached ${await largestCanvas(page)} pixels`);
  });

  it('ends the session on a decompression bomb: three 8K x 8K pictures of 8 KB in one update', async () => {
    const { host, page } = await connected();
    host.say({ type: 'viewGranted', width: 1280, height: 800 });
    await waitFor('viewing', async () => (await helperState(page)).kind === 'viewing');
    const png = bombPng(8192);
    assert.ok(png.length < 16_384, `the bomb is ${png.length} bytes`);
    const rect = { x: 0, y: 0, width: 8192, height: 8192 };
    host.sendFrame(0, { format: 'update', width: 8192, height: 8192, data: encodeUpdate({ full: true, ops: [1, 2, 3].map(() => ({ kind: 'image' as const, rect, png })) }) });
    await endedAsProtocolError(host, page);
    assert.ok((await largestCanvas(page)) <= 1280 * 800, `the canvas reached ${await largestCanvas(page)} pixels`);
  });

  it('acts only on messages of its own origin: a frame of another origin cannot connect it anywhere', async () => {
    const page = await rig.browser.newPage();
    stack.add(() => page.close());
    await page.goto(rig.pageUrl);
    const { code } = createInvitation((b) => crypto.getRandomValues(b), new Date(), 30);
    const connect = {
      type: 'connect',
      signaling: signalingOf(rig),
      iceServers: [],
      ...(await idsOf(code)),
      helperName: 'Grace (test helper)',
      expectedHostName: '',
      connectTimeoutMs: 10_000,
    };
    // A frame of an opaque origin (as an attacker's would be) posts a well-formed `connect` to the panel.
    await page.evaluate((m) => {
      const frame = document.createElement('iframe');
      frame.src = `data:text/html,<script>parent.postMessage(${encodeURIComponent(JSON.stringify(m))}, '*')</script>`;
      document.body.append(frame);
    }, connect);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await helperState(page)).kind, 'none', 'a message from another origin set the panel going');
    // The same message from the panel's own origin (as VS Code's webview host sends it) is acted on.
    await page.evaluate((m) => (window as unknown as { __toPanel(m: unknown): void }).__toPanel(m), connect);
    await waitFor('connecting', async () => (await helperState(page)).kind !== 'none');
  });
});
