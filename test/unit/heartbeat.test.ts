/**
 * The host's heartbeats (helperLink.ts): while the helper's come, the host's go with them, in the same turn (one
 * wake-up of the host's process per period, not two: what a still session costs); when the helper falls silent,
 * the host's own clock keeps them going, every HEARTBEAT_MS while the helper controls and every IDLE_HEARTBEAT_MS
 * while it views, and the silence is still judged. The helper's (helperSession.ts) follow `heartbeatDue`.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HostSession } from '../../src/host/hostSession';
import { HEARTBEAT_MS, IDLE_HEARTBEAT_MS, heartbeatDue, type HostMessage } from '../../src/shared/protocol';
import { HOST_DEFAULTS, fakeHelper, fakePeers, until } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: HostSession[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
});

describe("the host's heartbeats", () => {
  /** A host session with one helper admitted (viewing), and the times of the host's heartbeats. */
  async function admitted() {
    const peers = fakePeers();
    let releases = 0;
    const agent = { ...QUIET_AGENT, releaseAll: async () => void releases++ };
    const host = new HostSession({
      ...HOST_DEFAULTS,
      maxFps: 30,
      startAgent: async () => agent,
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
    return { host, control, sentAt, releases: () => releases };
  }

  /** The helper's heartbeats every `period` ms, `count` of them, out of phase with the host's clock; the host's that went with none. */
  async function withTheHelpers(control: { deliver(m: unknown): void }, sentAt: number[], period: number, count: number): Promise<{ answered: number; late: number[] }> {
    await sleep(period * 0.4);
    const theirs: number[] = [];
    for (let i = 0; i < count; i++) {
      theirs.push(performance.now());
      control.deliver({ type: 'heartbeat' });
      await sleep(period);
    }
    const answered = sentAt.filter((t) => t >= theirs[0]! && t <= theirs.at(-1)! + 1);
    const late = answered.map((t) => Math.min(...theirs.map((h) => (t >= h ? t - h : Infinity)))).filter((d) => d > 5);
    return { answered: answered.length, late };
  }

  /** The gaps between the host's heartbeats over `ms` of the helper's silence. */
  async function ownClock(sentAt: number[], ms: number): Promise<number[]> {
    const before = sentAt.length;
    await sleep(ms);
    return sentAt.slice(before).map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]!)).slice(1);
  }

  it("while the helper views: go with the helper's, and every IDLE_HEARTBEAT_MS on the host's own clock; nothing is released", async () => {
    const { host, control, sentAt, releases } = await admitted();
    await until('viewing', () => host.state.kind === 'viewing');
    const { answered, late } = await withTheHelpers(control, sentAt, IDLE_HEARTBEAT_MS, 3);
    assert.ok(answered >= 2, `the host sent ${answered} heartbeats while the helper sent 3`);
    assert.deepEqual(late, [], `host heartbeats that did not go with one of the helper's (ms after it): ${late.map((d) => d.toFixed(0)).join(', ')}`);
    const gaps = await ownClock(sentAt, IDLE_HEARTBEAT_MS * 3 + 400);
    assert.ok(gaps.length >= 1 && gaps.every((g) => g > IDLE_HEARTBEAT_MS - 20 && g < IDLE_HEARTBEAT_MS + 60), `gaps on the host's own clock: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
    // Seconds of silence while viewing release nothing: only a controlling helper holds input.
    assert.equal(releases(), 0);
  });

  it("while the helper controls: every HEARTBEAT_MS, and held input released after a second of silence", async () => {
    const { host, control, sentAt, releases } = await admitted();
    await until('viewing', () => host.state.kind === 'viewing');
    control.deliver({ type: 'requestControl' });
    await until('controlled', () => host.state.kind === 'controlled');
    control.deliver({ type: 'key', code: 'ShiftLeft', down: true });
    const { answered, late } = await withTheHelpers(control, sentAt, HEARTBEAT_MS, 6);
    assert.equal(releases(), 0, 'nothing released while the helper is heard');
    assert.ok(answered >= 5, `the host sent ${answered} heartbeats while the helper sent 6`);
    assert.deepEqual(late, [], `host heartbeats that did not go with one of the helper's (ms after it): ${late.map((d) => d.toFixed(0)).join(', ')}`);
    const gaps = await ownClock(sentAt, HEARTBEAT_MS * 6 + 100);
    assert.ok(gaps.length >= 3 && gaps.every((g) => g > HEARTBEAT_MS - 20 && g < HEARTBEAT_MS + 40), `gaps on the host's own clock: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
    assert.equal(releases(), 1, 'the held key released once, after the silence');
  });

  it("the helper's go every tick while it controls, else once in IDLE_HEARTBEAT_MS", () => {
    const sent = (controlling: boolean) => {
      let last = -Infinity;
      let n = 0;
      for (let t = 0; t < 4_000; t += HEARTBEAT_MS) {
        if (!heartbeatDue(controlling, t - last)) continue;
        last = t;
        n++;
      }
      return n;
    };
    assert.equal(sent(true), 4_000 / HEARTBEAT_MS);
    assert.equal(sent(false), 4_000 / IDLE_HEARTBEAT_MS);
  });
});
