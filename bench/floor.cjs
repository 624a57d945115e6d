#!/usr/bin/env node
// The floor of what one screen update costs the host here, with no encoding at all: the same processes, wake-ups and
// transports as the product's, doing nothing else. `npm run build` first (dist/xshm.node), then, on any X display:
//
//   xvfb-run -a node bench/floor.cjs [updates a second, default 52] [seconds a round, default 10] [rounds, default 3]
//
// Per update: a timer in the "session" asks for it, a small MIT-SHM grab (24x30, a keystroke's worth) is made, 1.5 KB
// go over a WebRTC data channel (node-datachannel, as the product's) to a "helper" in another process, which answers
// with a short ack that paces the next, as the panel's acks pace the product's frame pump. Two layouts, alternated:
// - `two`: the product's. The grab in a child process (the agent: Node's IPC with `advanced` serialization, the
//   agent's V8 flags), the data channel in the parent (the host session, in the extension host).
// - `one`: the grab and the data channel in one process (what an agent that owns the media channel would be).
// Reported: host CPU (% of a core: the session's process, threads included, and the agent's), the helper's excluded
// as the bench excludes Chromium. The data channel's raw API is used, lighter than the polyfill PeerJS drives: the
// figures are a floor. Traffic stays on 127.0.0.1.
'use strict';

const { fork, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const XSHM = path.join(ROOT, 'dist', 'xshm.node');
/** What the product gives its agent (src/host/agentClient.ts, AGENT_EXEC_ARGV). */
const AGENT_FLAGS = ['--max-semi-space-size=2', '--single-threaded-gc'];
const RTC = { iceServers: [], bindAddress: '127.0.0.1' };
const UPDATE_BYTES = 1500;

/** CPU ticks (1/100 s) of a process so far, its threads included. */
function ticks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function grabber() {
  const xshm = require(XSHM);
  xshm.open();
  return () => Buffer.from(xshm.grab(100, 100, 24, 30).subarray(0, UPDATE_BYTES));
}

/** The agent: a grab for each request, the pixels back over IPC. */
function agent() {
  const grab = grabber();
  process.on('message', (m) => process.send({ id: m.id, data: grab() }));
}

/** The helper: acks every update it gets. */
function helper(ndc) {
  const pc = new ndc.PeerConnection('helper', RTC);
  pc.onLocalDescription((sdp, type) => process.send({ sdp, type }));
  pc.onLocalCandidate((candidate, mid) => process.send({ candidate, mid }));
  pc.onDataChannel((dc) => dc.onMessage((message) => dc.sendMessage(String(message.length))));
  process.on('message', (m) => (m.sdp ? pc.setRemoteDescription(m.sdp, m.type) : pc.addRemoteCandidate(m.candidate, m.mid)));
}

/** The session: one round of `layout`; prints one line of JSON. */
function session(ndc, layout, rate, seconds) {
  const peer = fork(__filename, ['helper']);
  const pc = new ndc.PeerConnection('session', RTC);
  pc.onLocalDescription((sdp, type) => peer.send({ sdp, type }));
  pc.onLocalCandidate((candidate, mid) => peer.send({ candidate, mid }));
  peer.on('message', (m) => (m.sdp ? pc.setRemoteDescription(m.sdp, m.type) : pc.addRemoteCandidate(m.candidate, m.mid)));
  const dc = pc.createDataChannel('media');
  const child = layout === 'two' ? fork(__filename, ['agent'], { serialization: 'advanced', execArgv: AGENT_FLAGS }) : undefined;
  const grab = child ? undefined : grabber();
  let id = 0;
  let acks = 0;
  let inFlight = false;
  let due = false;
  const ask = () => {
    inFlight = true;
    due = false;
    if (child) child.send({ id: ++id });
    else setImmediate(() => dc.sendMessageBinary(grab()));
  };
  child?.on('message', (m) => dc.sendMessageBinary(Buffer.from(m.data)));
  dc.onMessage(() => {
    acks++;
    inFlight = false;
    if (due) ask();
  });
  dc.onOpen(() => {
    setInterval(() => (inFlight ? (due = true) : ask()), 1000 / rate);
    // The first two seconds warm up.
    setTimeout(() => {
      const pids = [process.pid, ...(child ? [child.pid] : [])];
      const before = pids.map(ticks);
      const acked = acks;
      setTimeout(() => {
        const cpu = pids.map((pid, i) => (ticks(pid) - before[i]) / seconds);
        process.stdout.write(`${JSON.stringify({ layout, updatesPerSecond: (acks - acked) / seconds, sessionPct: cpu[0], agentPct: cpu[1] ?? 0 })}\n`);
        child?.kill();
        peer.kill();
        process.exit(0);
      }, seconds * 1000);
    }, 2000);
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Rounds of both layouts in turn, each in a fresh process; the medians. */
function main() {
  const [rate = 52, seconds = 10, rounds = 3] = process.argv.slice(2).map(Number);
  if (!process.env.DISPLAY) throw new Error('no DISPLAY: run under an X server (xvfb-run -a node bench/floor.cjs)');
  if (!fs.existsSync(XSHM)) throw new Error(`${path.relative(ROOT, XSHM)} is missing: npm run build`);
  const results = [];
  for (let round = 0; round < rounds; round++) {
    for (const layout of ['two', 'one']) {
      const out = spawnSync(process.execPath, [__filename, 'session', layout, String(rate), String(seconds)], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
      if (out.status !== 0) throw new Error(`the ${layout} round failed: ${out.stderr || out.error}`);
      const result = JSON.parse(out.stdout.trim().split('\n').pop());
      results.push(result);
      console.log(`round ${round + 1}, ${layout}: ${result.updatesPerSecond.toFixed(1)} updates/s, session ${result.sessionPct.toFixed(1)} %, agent ${result.agentPct.toFixed(1)} %`);
    }
  }
  for (const layout of ['two', 'one']) {
    const mine = results.filter((r) => r.layout === layout);
    const totals = mine.map((r) => r.sessionPct + r.agentPct);
    console.log(`${layout}: host CPU median ${median(totals).toFixed(1)} % of a core (${Math.min(...totals).toFixed(1)}-${Math.max(...totals).toFixed(1)}) at ${median(mine.map((r) => r.updatesPerSecond)).toFixed(1)} updates/s`);
  }
}

const role = process.argv[2];
if (role === 'agent') agent();
else if (role === 'helper') helper(require('node-datachannel'));
else if (role === 'session') session(require('node-datachannel'), process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
else main();
