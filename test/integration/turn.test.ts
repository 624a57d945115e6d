/**
 * Both sides relay-only (`iceTransportPolicy: 'relay'`) through a TURN server: Debian's coturn, on 127.0.0.1 only,
 * with a user and a realm (long-term credentials) as a team's own server would have. The real host session (Node,
 * node-datachannel) and the real panel (Chromium) connect through the rig's PeerServer; the helper is admitted and
 * sees the host's screen; and the pair of candidates that each of the panel's connections selected is a relay on
 * both ends, so that the test fails if the path were direct.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import type { IceServer } from '../../src/shared/settings';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, waitFor } from '../support/env';
import { allowView, canvasPixel, helperState, newHost, newPrompts, newRig, openHelper, windowGeometry } from '../support/session';
import { TURN_USER as USER, startTurn, turnIceServers, withConnect } from '../support/turn';

/** The host's peer connections (node-datachannel's polyfill, which the host's PeerJS uses), as they get a remote description. */
interface NodePeerConnection {
  readonly connectionState: string;
  selectedCandidatePair(): { local: Record<string, unknown>; remote: Record<string, unknown> } | null;
}
const hostPcs: NodePeerConnection[] = [];
{
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RTCPeerConnection } = require('node-datachannel/polyfill') as { RTCPeerConnection: { prototype: { setRemoteDescription(d: unknown): Promise<void> } } };
  const set = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (this: NodePeerConnection, d: unknown) {
    if (!hostPcs.includes(this)) hostPcs.push(this);
    return set.call(this, d);
  };
}

const stack = new Stack();
const rig = newRig();
let turnLog: string[] = [];

interface PairSeen {
  readonly label: string;
  readonly local: { type: string; protocol: string; relayProtocol?: string; address: string; url?: string };
  readonly remote: { type: string; address: string };
}

/** The candidate pair each of the page's connected RTCPeerConnections selected (getStats: transport -> pair). */
async function selectedPairs(page: Page): Promise<PairSeen[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const out: PairSeen[] = [];
    for (const [i, pc] of pcs.entries()) {
      if (pc.connectionState !== 'connected') continue;
      const stats = await pc.getStats();
      const all = new Map<string, Record<string, unknown>>();
      stats.forEach((s: Record<string, unknown>) => all.set(String(s['id']), s));
      const transport = [...all.values()].find((s) => s['type'] === 'transport');
      const pair = all.get(String(transport?.['selectedCandidatePairId']));
      if (!pair) throw new Error(`connection ${i} has no selected candidate pair`);
      const local = all.get(String(pair['localCandidateId'])) ?? {};
      const remote = all.get(String(pair['remoteCandidateId'])) ?? {};
      out.push({
        label: `connection ${i}`,
        local: {
          type: String(local['candidateType']),
          protocol: String(local['protocol']),
          ...(local['relayProtocol'] !== undefined ? { relayProtocol: String(local['relayProtocol']) } : {}),
          address: `${String(local['address'] ?? local['ip'])}:${String(local['port'])}`,
          ...(local['url'] !== undefined ? { url: String(local['url']) } : {}),
        },
        remote: { type: String(remote['candidateType']), address: `${String(remote['address'] ?? remote['ip'])}:${String(remote['port'])}` },
      });
    }
    return out;
  });
}

const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

describe('relay only, through a TURN server (coturn on 127.0.0.1)', { timeout: 180_000 }, () => {
  const prompts = newPrompts();
  let turnPort = 0;
  let host: HostSession | undefined;
  let page: Page | undefined;
  let hostPairs: ReturnType<NodePeerConnection['selectedCandidatePair']>[] = [];

  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    const turn = await startTurn(stack);
    turnPort = turn.port;
    turnLog = turn.log;
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    await startXterm(stack, rig.display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-magenta');
  });

  after(async () => {
    host?.end();
    await page?.close().catch(() => undefined);
    await stack.stop();
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results/turn.log'), rig.lines.join('\n') + '\n');
    fs.writeFileSync(path.join(ROOT, 'test-results/turn-server.log'), turnLog.join('\n') + '\n');
  });

  it('admits the helper and shows the host screen, over relayed candidates on both sides', async () => {
    const iceServers: IceServer[] = turnIceServers(turnPort);
    host = newHost(rig, prompts, { iceServers, iceTransportPolicy: 'relay' });
    await host.start();
    page = await openHelper(withConnect(rig, { iceServers, iceTransportPolicy: 'relay' }), host.code);
    await allowView(page, prompts);
    const g = windowGeometry(rig, 'ra-magenta');
    const centre = { x: g.x + Math.floor(g.width / 2), y: g.y + Math.floor(g.height / 2) };
    await waitFor('magenta in the helper picture', async () => near(await canvasPixel(page!, centre.x, centre.y), [255, 0, 255]));
    assert.ok(!near(await canvasPixel(page, g.x - 30, g.y + 10), [255, 0, 255]), 'outside the window is not magenta');
    assert.equal((await helperState(page)).kind, 'viewing');

    // The panel's control and media connections each selected a relay of its own, allocated on coturn with the
    // test's credentials: everything the helper sends and receives goes through the TURN server.
    const pairs = await selectedPairs(page);
    rig.lines.push(`helper pairs ${JSON.stringify(pairs)}`);
    hostPairs = hostPcs.filter((pc) => pc.connectionState === 'connected').map((pc) => pc.selectedCandidatePair());
    rig.lines.push(`host pairs ${JSON.stringify(hostPairs)}`);
    assert.ok(pairs.length >= 2, `control and media are connected: ${JSON.stringify(pairs)}`);
    for (const pair of pairs) {
      assert.equal(pair.local.type, 'relay', `${pair.label}: the helper's candidate is a relay (${JSON.stringify(pair)})`);
      assert.equal(pair.local.relayProtocol, 'udp', `${pair.label}: relayed over UDP`);
      assert.equal(pair.local.url, `turn:127.0.0.1:${turnPort}?transport=udp`, `${pair.label}: by the test's TURN server`);
      assert.match(pair.local.address, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(pair.local.address, `127.0.0.1:${turnPort}`, "a relayed address, not the server's own");
    }
    // The host's side of the same pairs: its remote end is the helper's relayed address.
    assert.equal(hostPairs.length, pairs.length, `the host has as many connections: ${JSON.stringify(hostPairs)}`);
    const helperRelays = new Set(pairs.map((p) => p.local.address));
    for (const pair of hostPairs) assert.ok(helperRelays.has(`${String(pair?.remote['address'])}:${String(pair?.remote['port'])}`), JSON.stringify(pair));

    // coturn allocated relays for both sides (Chromium's and node-datachannel's), with the long-term credentials.
    const allocations = turnLog.filter((l) => /ALLOCATE processed, success/.test(l) && l.includes(`user <${USER}>`));
    assert.ok(allocations.length >= 2, `coturn allocated for both peers: ${allocations.length}\n${turnLog.slice(-40).join('\n')}`);
  });

  // Measured here (test-results/turn.log, "host pairs"): node-datachannel 0.33.4 (libjuice) honours `relay` when it
  // gathers (the host signals only its relay candidate) but not when it checks pairs: it sends from its own socket
  // to the helper's candidates, and the pair it selects is local srflx -> the helper's relay. Here the helper's
  // relay accepts those packets because its TURN permission is per IP and everything is 127.0.0.1; with the helper
  // on `all`, the selected pair is srflx <-> srflx, direct. So the host's own `relay` does not keep its address from
  // the helper; the helper's `relay` (Chromium) does keep the helper's.
  it("the host's own side is relayed too", { todo: 'node-datachannel (libjuice) does not enforce iceTransportPolicy relay on connectivity checks' }, () => {
    for (const pair of hostPairs) assert.equal(pair?.local['type'], 'relay', JSON.stringify(pair));
  });
});
