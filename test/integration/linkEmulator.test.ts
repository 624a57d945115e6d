/**
 * The link emulator (test/support/linkEmulator.ts) measured with real sockets on 127.0.0.1: a UDP echo server or
 * sink behind the relay, a TCP echo server or source behind the proxy. Delay, jitter without reordering, loss and
 * the bandwidth cap are measured at the far end, within tolerances; a cut drops everything and the path comes back.
 */
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { after, describe, it } from 'node:test';
import { Stack } from '../support/env';
import { LINK_PROFILES, countersSince, startLinkEmulator, type LinkProfile } from '../support/linkEmulator';

const stack = new Stack();
after(() => stack.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const quantile = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))]!;

interface Received {
  readonly data: Buffer;
  readonly at: number;
}

/** A UDP socket on 127.0.0.1 that keeps what it receives; `echo` sends each datagram back to its sender. */
async function udpSocket(echo = false): Promise<{ socket: dgram.Socket; port: number; received: Received[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Received[] = [];
  socket.on('message', (data, from) => {
    received.push({ data, at: now() });
    if (echo) socket.send(data, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  stack.add(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port: socket.address().port, received };
}

/** A datagram of `size` bytes carrying a sequence number and its send time. */
function datagram(seq: number, size: number): Buffer {
  const b = Buffer.alloc(Math.max(16, size));
  b.writeUInt32BE(seq, 0);
  b.writeDoubleBE(now(), 4);
  return b;
}

/** Round trips of `count` pings, `everyMs` apart, through the emulator to an echo server: ms, in arrival order. */
async function pings(emulatorPort: number, count: number, everyMs: number): Promise<{ rtts: number[]; seqs: number[] }> {
  const client = await udpSocket();
  for (let i = 0; i < count; i++) {
    client.socket.send(datagram(i, 64), emulatorPort, '127.0.0.1');
    await sleep(everyMs);
  }
  await sleep(500);
  return {
    rtts: client.received.map((r) => r.at - r.data.readDoubleBE(4)),
    seqs: client.received.map((r) => r.data.readUInt32BE(0)),
  };
}

/**
 * Sends `size`-byte datagrams at `kbps` (payload + 28 bytes of headers, as the link counts) for `ms` to a sink
 * through the emulator; the wire rate that arrived, measured between the first and last arrival after `settleMs`.
 */
async function flood(kbps: number, size: number, ms: number, settleMs: number, profile: LinkProfile) {
  const sink = await udpSocket();
  const link = await startLinkEmulator(stack, { profile, upstreamPort: sink.port });
  const client = await udpSocket();
  const perMs = kbps / 8 / (size + 28);
  const start = now();
  let sent = 0;
  while (now() - start < ms) {
    const due = Math.floor((now() - start) * perMs);
    for (; sent < due; sent++) client.socket.send(datagram(sent, size), link.port, '127.0.0.1');
    await sleep(2);
  }
  const offeredKbps = (sent * (size + 28) * 8) / (now() - start);
  await sleep(profile.rttMs + profile.queueMs + 300);
  const late = sink.received.filter((r) => r.at - start >= settleMs);
  const span = late[late.length - 1]!.at - late[0]!.at;
  const deliveredKbps = ((late.length - 1) * (size + 28) * 8) / span;
  // The one-way delay of the last datagrams: propagation plus a full queue, at most.
  const oneWay = sink.received.slice(-20).map((r) => r.at - r.data.readDoubleBE(4));
  return { offeredKbps, deliveredKbps, sent, received: sink.received.length, counters: link.counters, oneWay };
}

describe('the link emulator (UDP relay and TCP proxy on 127.0.0.1)', { timeout: 120_000 }, () => {
  it('delays each direction by half the RTT, and switches profile at once', async () => {
    const echo = await udpSocket(true);
    const link = await startLinkEmulator(stack, { profile: { ...LINK_PROFILES.home, lossPct: 0 }, upstreamPort: echo.port });
    const home = await pings(link.port, 60, 15);
    assert.equal(home.rtts.length, 60, 'nothing lost');
    const m = median(home.rtts);
    assert.ok(m >= 30 && m <= 38, `home: median RTT ${m.toFixed(1)} ms, wanted 30 (+8 for the loop)`);
    assert.ok(Math.min(...home.rtts) >= 29.5, `no packet faster than the link: ${Math.min(...home.rtts).toFixed(1)} ms`);

    link.setProfile('lan');
    const lan = await pings(link.port, 30, 5);
    assert.ok(median(lan.rtts) < 5, `lan: median RTT ${median(lan.rtts).toFixed(1)} ms`);
    assert.equal(link.counters.up.packets, 90);
    assert.equal(link.counters.down.packets, 90);
  });

  it('adds jitter without reordering (mobile, 120 ms RTT, ± 20 ms each way)', async () => {
    const echo = await udpSocket(true);
    const link = await startLinkEmulator(stack, { profile: { ...LINK_PROFILES.mobile, lossPct: 0 }, upstreamPort: echo.port, seed: 7 });
    const { rtts, seqs } = await pings(link.port, 100, 20);
    assert.equal(rtts.length, 100);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'arrived in the order sent');
    const m = median(rtts);
    // In-order delivery holds a packet behind a later-drawn earlier one: the median is a little above 120.
    assert.ok(m >= 115 && m <= 150, `median RTT ${m.toFixed(1)} ms, wanted about 120`);
    const spread = quantile(rtts, 0.95) - quantile(rtts, 0.05);
    assert.ok(spread >= 15 && spread <= 90, `p95 - p5 = ${spread.toFixed(1)} ms: the jitter shows`);
    assert.ok(Math.min(...rtts) >= 80 - 1, `never below 120 - 2 x 20 ms: ${Math.min(...rtts).toFixed(1)}`);
  });

  it('loses packets at the profile rate (mobile, 2 % each way)', async () => {
    const sink = await udpSocket();
    const link = await startLinkEmulator(stack, { profile: 'mobile', upstreamPort: sink.port });
    const client = await udpSocket();
    const n = 5000;
    // 50 every 20 ms: 2.6 Mbit/s on the wire, under the 3 Mbit/s cap, so that the queue drops nothing.
    for (let i = 0; i < n; i += 50) {
      for (let j = i; j < i + 50; j++) client.socket.send(datagram(j, 100), link.port, '127.0.0.1');
      await sleep(20);
    }
    await sleep(600);
    const lossPct = ((n - sink.received.length) * 100) / n;
    const c = link.counters.up;
    assert.equal(c.overflowed, 0, 'no queue drops at this rate');
    assert.equal(c.lost, n - sink.received.length, 'every missing datagram was lost at random');
    // 5000 draws at 2 %: the standard deviation is 0.2 %; 3 of them either way.
    assert.ok(lossPct >= 1.4 && lossPct <= 2.6, `lost ${lossPct.toFixed(2)} %, wanted 2 %`);
  });

  it('caps the rate at 3 Mbit/s (mobile), dropping what overflows its buffer', async () => {
    const r = await flood(6_000, 1000, 3_000, 800, LINK_PROFILES.mobile);
    assert.ok(r.offeredKbps > 5_000, `offered ${r.offeredKbps.toFixed(0)} kbit/s (the sender kept up)`);
    assert.ok(r.deliveredKbps >= 2_700 && r.deliveredKbps <= 3_300, `delivered ${r.deliveredKbps.toFixed(0)} kbit/s, wanted 3000 ± 10 %`);
    assert.ok(r.counters.up.overflowed > 0.3 * r.sent, `the full buffer dropped ${r.counters.up.overflowed} of ${r.sent}`);
    const worst = Math.max(...r.oneWay);
    assert.ok(worst <= 60 + 20 + 200 + 40, `a full queue waits at most its 200 ms: one-way ${worst.toFixed(0)} ms`);
    assert.ok(median(r.oneWay) >= 200, `the queue was full: one-way ${median(r.oneWay).toFixed(0)} ms`);
  });

  it('caps the rate at 20 Mbit/s (home)', async () => {
    const r = await flood(30_000, 1200, 2_000, 500, LINK_PROFILES.home);
    assert.ok(r.offeredKbps > 24_000, `offered ${r.offeredKbps.toFixed(0)} kbit/s (the sender kept up)`);
    assert.ok(r.deliveredKbps >= 18_000 && r.deliveredKbps <= 22_000, `delivered ${r.deliveredKbps.toFixed(0)} kbit/s, wanted 20000 ± 10 %`);
    assert.ok(r.counters.up.overflowed > 0, 'the buffer overflowed');
  });

  it('cuts the path: nothing passes, including what was in flight, and it comes back', async () => {
    const echo = await udpSocket(true);
    const link = await startLinkEmulator(stack, { profile: { ...LINK_PROFILES.home, lossPct: 0 }, upstreamPort: echo.port });
    const client = await udpSocket();
    let seq = 0;
    const timer = setInterval(() => client.socket.send(datagram(seq++, 64), link.port, '127.0.0.1'), 10);
    try {
      await sleep(300);
      assert.ok(client.received.length > 10, 'echoes before the cut');
      const before = link.counters;
      const cutAt = now();
      const back = link.cut(1);
      assert.equal(link.isCut, true);
      await back;
      const backAt = now();
      assert.equal(link.isCut, false);
      assert.ok(backAt - cutAt >= 995, `cut for ${(backAt - cutAt).toFixed(0)} ms`);
      await sleep(300);
      const during = client.received.filter((r) => r.at > cutAt + 1 && r.at < backAt);
      assert.equal(during.length, 0, `nothing arrived during the cut: ${during.length}`);
      const afterCut = client.received.filter((r) => r.at >= backAt);
      assert.ok(afterCut.length > 10, `echoes again once it is back: ${afterCut.length}`);
      const first = afterCut[0]!.at - backAt;
      assert.ok(first < 100, `the first echo ${first.toFixed(0)} ms after the path came back`);
      const d = countersSince(before, link.counters);
      assert.ok(d.up.cut >= 90, `datagrams dropped by the cut: ${d.up.cut}`);
      assert.ok(d.down.cut >= 1, `echoes in flight at the cut were dropped too: ${d.down.cut}`);

      link.setCut(true);
      const n = client.received.length;
      await sleep(200);
      assert.equal(client.received.length, n, 'setCut(true) cuts');
      link.setCut(false);
      await sleep(200);
      assert.ok(client.received.length > n, 'setCut(false) restores');
    } finally {
      clearInterval(timer);
    }
  });

  describe('TCP proxy', () => {
    /** A TCP server on 127.0.0.1 that runs `onConnection` for each client. */
    async function tcpServer(onConnection: (s: net.Socket) => void): Promise<number> {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
        onConnection(s);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      stack.add(() => new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }));
      return (server.address() as net.AddressInfo).port;
    }

    const connect = (port: number) => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.setNoDelay(true);
      s.once('error', reject);
      stack.add(() => s.destroy());
    });

    it('delays round trips by the RTT', async () => {
      const port = await tcpServer((s) => s.pipe(s));
      const link = await startLinkEmulator(stack, { profile: { ...LINK_PROFILES.home, lossPct: 0 }, upstreamPort: 1 });
      const client = await connect(await link.proxyTcp(port));
      const rtts: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = now();
        const echoed = new Promise((r) => client.once('data', r));
        client.write(`ping ${i}\n`);
        await echoed;
        rtts.push(now() - t);
      }
      const m = median(rtts);
      assert.ok(m >= 30 && m <= 40, `median RTT ${m.toFixed(1)} ms, wanted 30`);
    });

    it('carries a stream at the capped rate, intact, and holds it through a cut', async () => {
      const payload = Buffer.alloc(600_000);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 11)) & 0xff;
      const port = await tcpServer((s) => s.end(payload));
      const link = await startLinkEmulator(stack, { profile: { ...LINK_PROFILES.mobile, lossPct: 0 }, upstreamPort: 1 });
      const client = await connect(await link.proxyTcp(port));
      const chunks: Received[] = [];
      client.on('data', (data: Buffer) => chunks.push({ data, at: now() }));
      const start = now();
      await sleep(700);
      const cutAt = now();
      await link.cut(1);
      const backAt = now();
      await new Promise((r) => client.once('end', r));
      const end = now();
      assert.ok(Buffer.concat(chunks.map((c) => c.data)).equals(payload), 'every byte, in order');
      const during = chunks.filter((c) => c.at > cutAt + 1 && c.at < backAt);
      assert.equal(during.length, 0, 'nothing arrived during the cut');
      // 600 kB at 3 Mbit/s with 40 bytes of headers per 1448: 1.64 s, plus the cut's second and 60 ms.
      const wire = (payload.length * (1448 + 40)) / 1448;
      const kbps = (wire * 8) / (end - start - (backAt - cutAt));
      assert.ok(kbps >= 2_500 && kbps <= 3_300, `${kbps.toFixed(0)} kbit/s outside the cut, wanted 3000`);
    });
  });
});
