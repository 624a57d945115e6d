/**
 * Resume after a network cut, end to end with real connections: both sides relay-only through coturn on 127.0.0.1
 * with the link emulator (test/support/linkEmulator.ts) in front of it, so that cutting the emulator cuts the path
 * between the host session (Node, node-datachannel) and the panel (Chromium), as Wi-Fi roaming or a VPN would. The
 * signaling server stays reachable (it is not behind the emulator), except in the third case.
 *
 * - 5 s cut: both sides say reconnecting, control is dropped and nothing stays held; once the path is back the
 *   panel dials again, proves itself with the resume key, and the picture comes back (a window opened during the cut
 *   is seen) without a new prompt; control has to be asked for again.
 * - 40 s cut: both sides are told the session ended (`linkLost`) after RESUME_WINDOW_MS; nothing is held on the host.
 * - 5 s cut of the signaling server too: both peers reach it through the emulator's TCP proxy, whose connections are
 *   reset at the cut and refused during it (a Wi-Fi drop closes them): both sides rejoin it and the session resumes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { RESUME_WINDOW_MS } from '../../src/shared/protocol';
import { Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, waitFor } from '../support/env';
import { startLinkEmulator, type LinkEmulator } from '../support/linkEmulator';
import { MemoryAudit, allowView, canvasPixel, grantControl, heldDown, helperState, newHost, newPrompts, newRig, openHelper, pagepoint, signalingOf, stopRig, windowGeometry, type Prompts } from '../support/session';
import { withConnect } from '../support/turn';

const stack = new Stack();
const rig = newRig();
const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A host and a panel, relay-only through the emulated link, the helper viewing with control and holding Shift.
 * `signalingCut`: both reach the signaling server through the link too, and lose it at a cut.
 */
async function sessionWithControl(session: Stack, signalingCut = false): Promise<{ link: LinkEmulator; host: HostSession; page: Page; prompts: Prompts; audit: MemoryAudit }> {
  const link = await startLinkEmulator(session, { profile: 'lan' });
  const signaling = signalingCut ? { signaling: { ...signalingOf(rig), port: await link.proxyTcp(rig.peerPort, { dropOnCut: true }) } } : {};
  const relayOnly = { iceServers: link.iceServers, iceTransportPolicy: 'relay' as const };
  const prompts = newPrompts();
  const audit = new MemoryAudit();
  const host = newHost(rig, prompts, { ...relayOnly, ...signaling, audit });
  session.add(() => host.end());
  await host.start();
  const page = await openHelper(withConnect(rig, { ...relayOnly, ...signaling }), host.code);
  session.add(() => page.close().catch(() => undefined));
  await allowView(page, prompts);
  const g = windowGeometry(rig, 'ra-magenta');
  await waitFor('magenta in the helper picture', async () => near(await canvasPixel(page, g.x + 20, g.y + 20), [255, 0, 255]), 20_000);
  await grantControl(page, prompts);
  const at = await pagepoint(page, 300, 600);
  await page.mouse.click(at.x, at.y); // the keyboard focus to the canvas
  await page.keyboard.down('ShiftLeft');
  await waitFor('Shift held on the host', () => heldDown(rig).length >= 1, 5_000);
  return { link, host, page, prompts, audit };
}

describe('resume after a network cut (relay-only through coturn behind the link emulator)', { timeout: 300_000 }, () => {
  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    await startXterm(stack, rig.display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-magenta');
  });

  after(() => stopRig(rig, stack, 'resume'));

  it('a 5 s cut: reconnecting on both sides, control dropped, nothing held; then the picture is back without a prompt', async () => {
    const session = new Stack();
    try {
      const { link, host, page, prompts, audit } = await sessionWithControl(session);
      const cutAt = Date.now();
      link.setCut(true);
      await waitFor('the host reconnecting', () => host.state.kind === 'reconnecting', 6_000);
      await waitFor('the panel reconnecting', async () => (await helperState(page)).kind === 'reconnecting', 8_000);
      rig.lines.push(`test: host reconnecting, panel reconnecting ${Date.now() - cutAt} ms after the cut`);
      assert.deepEqual(heldDown(rig), [], 'Shift released on the host');
      await page.locator('#reconnecting').filter({ hasText: /Reconnecting/ }).waitFor({ timeout: 2_000 });
      // The screen changes while the link is down: the green window is what shows the picture came back.
      await startXterm(session, rig.display, ['-geometry', '30x6+100+100', '-bg', '#00ff00', '-fg', '#00ff00', '-e', 'sleep', '600'], 'ra-green');
      const green = windowGeometry(rig, 'ra-green');
      await sleep(Math.max(0, 5_000 - (Date.now() - cutAt)));
      link.setCut(false);
      const backAt = Date.now();
      await waitFor('the green window in the helper picture', async () => near(await canvasPixel(page, green.x + 20, green.y + 20), [0, 255, 0]), 15_000, 20);
      const resumeMs = Date.now() - backAt;
      rig.lines.push(`test: the picture came back ${resumeMs} ms after the link`);
      assert.equal((await helperState(page)).kind, 'viewing', 'the helper views; control has to be asked for again');
      assert.equal(host.state.kind, 'viewing');
      assert.equal(prompts.view.length, 1, 'no new consent prompt');
      assert.ok(audit.events().includes('linkLost') && audit.events().includes('resumed'), audit.events().join(' '));
      assert.ok(resumeMs < 2_000, `the picture back ${resumeMs} ms after the link (issue 14: within 2 s)`);
      // Typing while not controlling reaches nothing; asking again works.
      await page.keyboard.up('ShiftLeft');
      await grantControl(page, prompts);
      assert.equal(prompts.control.length, 2);
    } finally {
      await session.stop();
    }
  });

  it('a 5 s cut of the signaling server as well: both sides rejoin it, and the session resumes', async () => {
    const session = new Stack();
    try {
      const { link, host, page, prompts } = await sessionWithControl(session, true);
      const cutAt = Date.now();
      link.setCut(true);
      await waitFor('the host reconnecting', () => host.state.kind === 'reconnecting', 6_000);
      await waitFor('the panel reconnecting', async () => (await helperState(page)).kind === 'reconnecting', 8_000);
      await startXterm(session, rig.display, ['-geometry', '30x6+100+300', '-bg', '#0000ff', '-fg', '#0000ff', '-e', 'sleep', '600'], 'ra-blue');
      const blue = windowGeometry(rig, 'ra-blue');
      await sleep(Math.max(0, 5_000 - (Date.now() - cutAt)));
      link.setCut(false);
      const backAt = Date.now();
      await waitFor('the blue window in the helper picture', async () => near(await canvasPixel(page, blue.x + 20, blue.y + 20), [0, 0, 255]), 20_000, 20);
      const resumeMs = Date.now() - backAt;
      rig.lines.push(`test: with the signaling server cut too, the picture came back ${resumeMs} ms after the link`);
      assert.equal(host.state.kind, 'viewing');
      assert.equal(prompts.view.length, 1, 'no new consent prompt');
      assert.ok(resumeMs < 4_000, `the picture back ${resumeMs} ms after the link and the signaling server`);
    } finally {
      await session.stop();
    }
  });

  it(`a 40 s cut: after ${RESUME_WINDOW_MS / 1000} s both sides are told the session ended, nothing held on the host`, async () => {
    const session = new Stack();
    try {
      const { link, host, page } = await sessionWithControl(session);
      const cutAt = Date.now();
      link.setCut(true);
      await waitFor('the host reconnecting', () => host.state.kind === 'reconnecting', 6_000);
      assert.deepEqual(heldDown(rig), [], 'Shift released on the host');
      await waitFor('the host to end', () => host.state.kind === 'ended', RESUME_WINDOW_MS + 10_000, 200);
      await waitFor('the panel to end', async () => (await helperState(page)).kind === 'ended', 10_000, 200);
      const state = host.machine.state;
      assert.equal(state.kind === 'ended' && state.reason, 'linkLost');
      assert.match((await helperState(page)).message ?? '', /connection was lost and did not come back/);
      assert.deepEqual(heldDown(rig), []);
      // The path comes back at 40 s: the session stays over on both sides.
      await sleep(Math.max(0, 40_000 - (Date.now() - cutAt)));
      link.setCut(false);
      await sleep(3_000);
      assert.equal(host.state.kind, 'ended');
      assert.equal((await helperState(page)).kind, 'ended');
    } finally {
      await session.stop();
    }
  });
});
