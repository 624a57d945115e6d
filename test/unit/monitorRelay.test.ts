/**
 * The choice of monitor on the host's side (issue 13, item 2), without a display: monitorRelay.ts against a fake agent
 * and a fake session port, and the guard's treatment of `monitorRequest`. The helper learns the monitors once they
 * are read after `viewGranted` and each change once; a request switches only on the host's yes, for a monitor of the
 * host's own list, one question at a time; the agent's fallback is passed on and the host is told.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostAgent, MonitorReading } from '../../src/agent/contract';
import { Guard, RATE_LIMITS } from '../../src/host/guard';
import { MonitorRelay, type AskToSwitch, type MonitorPort } from '../../src/host/monitorRelay';
import type { AuditEvent } from '../../src/shared/audit';
import type { Logger } from '../../src/shared/log';
import type { HostMessage } from '../../src/shared/protocol';
import { QUIET_AGENT } from '../support/fakeAgent';

const quiet: Logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const area = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
const TWO = [
  { name: 'DP-2', primary: false, area: area(1920, 0, 2560, 1440) },
  { name: 'eDP-1', primary: true, area: area(0, 0, 1920, 1080) },
];

function fakeAgent(): HostAgent & { shared: string | undefined; asked: (string | undefined)[]; monitorsList: MonitorReading['monitors'] } {
  const agent = {
    ...QUIET_AGENT,
    shared: 'eDP-1' as string | undefined,
    asked: [] as (string | undefined)[],
    monitorsList: TWO as MonitorReading['monitors'],
    screenSize: async () => ({ width: 1920, height: 1080 }),
    monitors: async (): Promise<MonitorReading> => ({ monitors: agent.monitorsList, shared: agent.shared }),
    shareMonitor: async (name: string | undefined): Promise<MonitorReading> => {
      agent.asked.push(name);
      if (name !== undefined && !agent.monitorsList.some((m) => m.name === name)) throw new Error('no such monitor');
      agent.shared = name ?? 'eDP-1';
      return { monitors: agent.monitorsList, shared: agent.shared };
    },
  };
  return agent;
}

function relayRig(ask?: AskToSwitch) {
  const agent = fakeAgent();
  const sent: HostMessage[] = [];
  const audit: AuditEvent[] = [];
  const notified: string[] = [];
  const pump = { refreshes: 0, wakes: 0, refresh: () => void pump.refreshes++, wake: () => void pump.wakes++ };
  let open = true;
  const port: MonitorPort = {
    log: quiet,
    consentTimeoutMs: 30_000,
    agent: () => agent,
    send: (m) => void sent.push(m),
    open: () => open,
    helperName: () => 'Grace',
    record: (e) => void audit.push(e),
    ask,
    notify: (m) => void notified.push(m),
    pump: () => pump,
  };
  const relay = new MonitorRelay(port);
  return { relay, agent, sent, audit, notified, pump, close: () => (open = false) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('MonitorRelay', () => {
  it('tells the helper the monitors after viewGranted, primary first, places left out; each change once', async () => {
    const r = relayRig();
    r.relay.viewGranted();
    await tick();
    await tick();
    assert.deepEqual(r.sent, [{
      type: 'monitors',
      monitors: [{ name: 'eDP-1', width: 1920, height: 1080, primary: true }, { name: 'DP-2', width: 2560, height: 1440, primary: false }],
      shared: 'eDP-1',
    }]);
    await r.relay.list();
    assert.equal(r.sent.length, 1, 'nothing new, nothing sent');
    await r.relay.share('DP-2', 'host');
    assert.equal(r.sent.length, 2);
    assert.equal((r.sent[1] as Extract<HostMessage, { type: 'monitors' }>).shared, 'DP-2');
    assert.equal(r.pump.refreshes, 1, 'a whole screen of the new monitor');
    assert.deepEqual(r.audit, [{ event: 'monitorShared', monitor: 'DP-2', width: 2560, height: 1440, by: 'host' }]);
  });

  it('switches on the host\'s yes only, and refuses on no without touching the agent', async () => {
    let answer = false;
    const asked: string[] = [];
    const r = relayRig(async (q) => {
      asked.push(`${q.helperName} wants ${q.monitor.name} ${q.monitor.width}x${q.monitor.height} instead of ${q.current?.name}`);
      return answer;
    });
    await r.relay.list();
    r.sent.length = 0;
    await r.relay.requested('DP-2');
    assert.deepEqual(asked, ['Grace wants DP-2 2560x1440 instead of eDP-1']);
    assert.deepEqual(r.agent.asked, [], 'no switch without a yes');
    assert.deepEqual(r.sent, [{ type: 'monitorRefused', reason: 'denied' }]);
    answer = true;
    await r.relay.requested('DP-2');
    assert.deepEqual(r.agent.asked, ['DP-2']);
    assert.deepEqual(r.sent.at(-1), { type: 'monitors', monitors: [{ name: 'eDP-1', width: 1920, height: 1080, primary: true }, { name: 'DP-2', width: 2560, height: 1440, primary: false }], shared: 'DP-2' });
    assert.deepEqual(r.audit.map((e) => e.event), ['monitorRefused', 'monitorShared']);
  });

  it('refuses a monitor not in the host\'s list, a second request while one is asked, and every request without a prompt', async () => {
    let release: (v: boolean) => void = () => undefined;
    const r = relayRig(() => new Promise((resolve) => (release = resolve)));
    await r.relay.list();
    r.sent.length = 0;
    await r.relay.requested('HDMI-7');
    assert.deepEqual(r.sent, [{ type: 'monitorRefused', reason: 'unknown' }]);
    const first = r.relay.requested('DP-2');
    await r.relay.requested('DP-2');
    assert.deepEqual(r.sent.at(-1), { type: 'monitorRefused', reason: 'busy' });
    // The session ended while the host was being asked: nothing switches on a late yes.
    r.close();
    release(true);
    await first;
    assert.deepEqual(r.agent.asked, []);

    const none = relayRig(undefined);
    await none.relay.list();
    none.sent.length = 0;
    await none.relay.requested('DP-2');
    assert.deepEqual(none.sent, [{ type: 'monitorRefused', reason: 'denied' }]);
    assert.deepEqual(none.agent.asked, []);
  });

  it('passes on the agent\'s fallback: the helper gets the new list, the host is told, a whole screen goes', async () => {
    const r = relayRig();
    await r.relay.share('DP-2', 'host');
    r.sent.length = 0;
    r.agent.monitorsList = [TWO[1]!];
    r.relay.agentChanged({ monitors: [TWO[1]!], shared: 'eDP-1' }, 'DP-2');
    assert.deepEqual(r.sent, [{ type: 'monitors', monitors: [{ name: 'eDP-1', width: 1920, height: 1080, primary: true }], shared: 'eDP-1' }]);
    assert.match(r.notified.join('\n'), /The monitor DP-2 is gone: your helper now sees eDP-1 \(1920×1080\)/);
    assert.equal(r.relay.shared?.name, 'eDP-1');
    assert.deepEqual(r.audit.at(-1), { event: 'monitorShared', monitor: 'eDP-1', width: 1920, height: 1080, by: 'fallback' });
    assert.equal(r.pump.refreshes, 2);
  });

  it('offers the helper only plain names', async () => {
    const r = relayRig();
    r.agent.monitorsList = [...TWO, { name: 'evil\u202e1-PD', primary: false, area: area(0, 1080, 800, 600) }];
    r.relay.viewGranted();
    await tick();
    await tick();
    const told = r.sent[0] as Extract<HostMessage, { type: 'monitors' }>;
    assert.deepEqual(told.monitors.map((m) => m.name), ['eDP-1', 'DP-2']);
    await r.relay.requested('evil\u202e1-PD');
    assert.deepEqual(r.sent.at(-1), { type: 'monitorRefused', reason: 'unknown' });
  });
});

describe('the guard and monitorRequest', () => {
  it('takes a few requests, then drops them as over the rate; a bad one counts as malformed', () => {
    let now = 0;
    const dropped = { malformed: 0, rateLimited: 0, inputWithoutControl: 0 };
    const guard = new Guard(quiet, dropped, () => now);
    const request = JSON.stringify({ type: 'monitorRequest', name: 'DP-2' });
    const verdicts = Array.from({ length: RATE_LIMITS.monitorRequest.max + 2 }, () => guard.screen(request, 'viewing', 'verified'));
    assert.equal(verdicts.filter((v) => typeof v === 'object').length, RATE_LIMITS.monitorRequest.max);
    assert.equal(dropped.rateLimited, 2);
    assert.equal(guard.screen(JSON.stringify({ type: 'monitorRequest', name: 'DP\u202e2' }), 'viewing', 'verified'), 'drop');
    assert.equal(dropped.malformed, 1);
    // Before the helper is admitted, a request is out of place: malformed too.
    now += RATE_LIMITS.monitorRequest.perMs;
    assert.equal(guard.screen(request, 'asking', 'verified'), 'drop');
    assert.equal(dropped.malformed, 2);
  });
});
