/**
 * The host's heartbeats (helperLink.ts): while the helper's come, the host's go with them, in the same turn (one
 * wake-up of the host's process per period, not two: what a still session costs); when the helper falls silent,
 * the host's own clock keeps them going every HEARTBEAT_MS and the silence is still judged.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HostSession } from '../../src/host/hostSession';
import { HEARTBEAT_MS, type HostMessage } from '../../src/shared/protocol';
import { HOST_DEFAULTS, fakeHelper, fakePeers } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: HostSession[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
});

describe("the host's heartbeats", () => {
  it("go with the helper's while they come, and on the host's own clock when they stop", async () => {
    const peers = fakePeers();
    const host = new HostSession({
      ...HOST_DEFAULTS,
      maxFps: 30,
      startAgent: async () => QUIET_AGENT,
      ui: { askToView: async () => true, askForControl: async () => true, notify: () => undefined },
      log: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      createPeer: peers.create as never,
      linkLostSilenceMs: 60_000,
    });
    running.push(host);
    await host.start();
    const run = await fakeHelper(peers.last(), host.code);
    assert.equal(run.outcome, 'welcome');
    const control = run.control;
    const sentAt: number[] = [];
    const send = control.send.bind(control);
    control.send = (data: unknown) => {
      send(data);
      const m = control.messages().at(-1) as HostMessage | undefined;
      if (m?.type === 'heartbeat') sentAt.push(performance.now());
    };
    // The helper's heartbeats, out of phase with the host's clock (started at the proof).
    await sleep(HEARTBEAT_MS * 0.4);
    const theirs: number[] = [];
    for (let i = 0; i < 6; i++) {
      theirs.push(performance.now());
      control.deliver({ type: 'heartbeat' });
      await sleep(HEARTBEAT_MS);
    }
    const answered = sentAt.filter((t) => t >= theirs[0]! && t <= theirs.at(-1)! + 1);
    const late = answered.map((t) => Math.min(...theirs.map((h) => (t >= h ? t - h : Infinity)))).filter((d) => d > 5);
    assert.ok(answered.length >= 5, `the host sent ${answered.length} heartbeats while the helper sent 6`);
    assert.deepEqual(late, [], `host heartbeats that did not go with one of the helper's (ms after it): ${late.map((d) => d.toFixed(0)).join(', ')}`);
    // Silent helper: the host's own clock.
    const before = sentAt.length;
    await sleep(HEARTBEAT_MS * 4 + 100);
    const own = sentAt.length - before;
    assert.ok(own >= 3 && own <= 5, `${own} heartbeats in ${HEARTBEAT_MS * 4 + 100} ms of the helper's silence`);
    const gaps = sentAt.slice(before).map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]!)).slice(1);
    assert.ok(gaps.every((g) => g > HEARTBEAT_MS - 20 && g < HEARTBEAT_MS + 40), `gaps on the host's own clock: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  });
});
