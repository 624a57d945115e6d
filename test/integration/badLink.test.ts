/**
 * A real session over an emulated bad link: both sides relay-only through coturn on 127.0.0.1, with the link
 * emulator (test/support/linkEmulator.ts) in front of it as their TURN server, so that every packet between the
 * host session (Node, node-datachannel) and the panel (Chromium) crosses it. On the `home` and the `mobile`
 * profiles the helper is admitted, sees the host's screen, is granted control, and a click lands on the host's
 * X server (read back with `xinput test-xi2 --root`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, waitFor } from '../support/env';
import { startLinkEmulator, type LinkProfileName } from '../support/linkEmulator';
import { allowView, canvasPixel, grantControl, newHost, newPrompts, newRig, openHelper, pagepoint, pointer, stopRig, windowGeometry } from '../support/session';
import { withConnect } from '../support/turn';

const stack = new Stack();
const rig = newRig();
const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/**
 * For each of the page's connected peer connections: the candidate type and TURN server URL of the local candidate
 * it selected, and the bytes its transport received.
 */
async function transports(page: Page): Promise<{ relay: string; bytesReceived: number }[]> {
  return page.evaluate(async () => {
    const out: { relay: string; bytesReceived: number }[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState !== 'connected') continue;
      const all = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((s: Record<string, unknown>) => all.set(String(s['id']), s));
      const transport = [...all.values()].find((s) => s['type'] === 'transport');
      const pair = all.get(String(transport?.['selectedCandidatePairId']));
      const local = all.get(String(pair?.['localCandidateId']));
      out.push({ relay: `${String(local?.['candidateType'])} ${String(local?.['url'])}`, bytesReceived: Number(transport?.['bytesReceived'] ?? 0) });
    }
    return out;
  });
}

describe('a session over an emulated bad link (relay-only, coturn behind the link emulator)', { timeout: 240_000 }, () => {
  let xi2 = '';
  const pressesSince = (from: number): number[] =>
    [...xi2.slice(from).matchAll(/EVENT type 15 \(RawButtonPress\)[\s\S]*?detail: (\d+)/g)].map((m) => Number(m[1]));

  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    await startXterm(stack, rig.display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-magenta');
    const recorder = spawn('xinput', ['test-xi2', '--root'], { env: { ...process.env, DISPLAY: rig.display }, stdio: ['ignore', 'pipe', 'ignore'] });
    recorder.stdout.setEncoding('utf8');
    recorder.stdout.on('data', (chunk: string) => (xi2 = (xi2 + chunk).slice(-200_000)));
    stack.add(() => void recorder.kill());
  });

  after(() => stopRig(rig, stack, 'badLink'));

  for (const profile of ['home', 'mobile'] as const satisfies readonly LinkProfileName[]) {
    it(`on ${profile}: the helper sees the host's screen and a click lands`, async () => {
      const session = new Stack();
      let host: HostSession | undefined;
      let page: Page | undefined;
      try {
        const link = await startLinkEmulator(session, { profile });
        const relayOnly = { iceServers: link.iceServers, iceTransportPolicy: 'relay' as const };
        const prompts = newPrompts();
        host = newHost(rig, prompts, relayOnly);
        await host.start();
        page = await openHelper(withConnect(rig, relayOnly), host.code);
        await allowView(page, prompts);
        const g = windowGeometry(rig, 'ra-magenta');
        const centre = { x: g.x + Math.floor(g.width / 2), y: g.y + Math.floor(g.height / 2) };
        await waitFor('magenta in the helper picture', async () => near(await canvasPixel(page!, centre.x, centre.y), [255, 0, 255]), 20_000);

        await grantControl(page, prompts);
        const from = xi2.length;
        const at = await pagepoint(page, centre.x, centre.y);
        await page.mouse.click(at.x, at.y);
        await waitFor('the press on the X server', () => pressesSince(from).includes(1), 10_000);
        const p = pointer(rig);
        assert.ok(Math.abs(p.x - centre.x) <= 2 && Math.abs(p.y - centre.y) <= 2, `the click at ${centre.x},${centre.y} landed at ${p.x},${p.y}`);

        // The path was the emulated link: the panel's connections are relayed by the TURN server behind the
        // emulator's port, and all that the panel received crossed the link (as TURN data: a little more).
        const seen = await transports(page);
        const c = link.counters;
        rig.lines.push(`${profile}: panel ${JSON.stringify(seen)}; link ${JSON.stringify(c)}`);
        assert.ok(seen.length >= 2, `control and media connected: ${JSON.stringify(seen)}`);
        for (const t of seen) assert.equal(t.relay, `relay turn:127.0.0.1:${link.port}?transport=udp`);
        const received = seen.reduce((sum, t) => sum + t.bytesReceived, 0);
        assert.ok(received > 10_000, `the panel received the picture: ${received} bytes`);
        assert.ok(c.down.bytes >= received, `the link carried down ${c.down.bytes} bytes, the panel received ${received}`);
        assert.ok(c.up.packets > 20, `the helper's side crossed it too: ${c.up.packets} packets`);
      } finally {
        host?.end();
        await page?.close().catch(() => undefined);
        await session.stop();
      }
    });
  }
});
