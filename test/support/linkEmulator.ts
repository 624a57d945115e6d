/**
 * A bad network link, emulated in user space for the tests and the bench (this kernel has no netem): a UDP relay
 * that sits in front of a TURN server on 127.0.0.1, and TCP proxies through the same link.
 *
 *   peer --UDP--> [emulator port] ==link, `up`==> coturn          the peers are given the emulator as their TURN
 *   peer <--UDP-- [emulator port] <==link, `down`== coturn        server and are relay-only: all they send and
 *                                                                 receive crosses it (one socket towards coturn
 *   browser --TCP--> [proxy port] ==`up`==> websockify            per peer socket, so coturn sees one client each)
 *
 * The link, in each direction, as a real access link's bottleneck is: random loss (Bernoulli, per packet); a
 * serialisation queue at the link's rate (counted on IP packets: payload + 28 bytes of UDP/IPv4, + 40 of TCP/IPv4),
 * whose buffer holds `queueMs` of the rate, a packet that would wait longer being dropped (tail drop); then the
 * one-way delay (half the RTT) and jitter (uniform, ± `jitterMs`), never reordering a flow: a packet is not
 * delivered before one that entered the same flow earlier (a flow is one peer socket's direction, or one TCP
 * connection's), so jitter shows as bunching, as netem's does with reordering off. A cut drops every datagram,
 * also those already in flight, and holds TCP bytes until the path is back (a path gone silent); a proxy made with
 * `dropOnCut` instead resets its connections at the cut and refuses new ones during it (a Wi-Fi drop, where the
 * system closes the sockets of an interface that went away).
 *
 * TCP cannot lose bytes: a segment (1448 bytes at most) that the link loses arrives one RTT late (a fast
 * retransmit) and holds those behind it (in-order delivery); the proxy reads no more from a sender while a window of
 * (RTT + queue) at the link's rate is in flight, as a real sender's window would stall. The direction names are the
 * peers': `up` from the peers (and the browser) to the servers, `down` back.
 *
 * Note: node-datachannel (libjuice, the host side) sends its data from its own socket straight to the helper's
 * relayed address (see test/integration/turn.test.ts), so the host's packets cross the emulator once, on the
 * helper's leg, as the helper's do: the link is, in effect, the helper's.
 */

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { IceServer } from '../../src/shared/settings';
import type { Stack } from './env';
import { startTurn, turnIceServers, type TurnServer } from './turn';

/** What a link does to what crosses it, in each direction. */
export interface LinkProfile {
  readonly name: string;
  /** Capacity of each direction in kbit/s, on IP packets; null for none (loopback speed). */
  readonly rateKbps: number | null;
  /** Round-trip time that the link adds: each direction delays by half of it. */
  readonly rttMs: number;
  /** Each packet's one-way delay varies by up to this much either way (uniform), without reordering. */
  readonly jitterMs: number;
  /** Chance, per cent, that a packet is lost, in each direction. */
  readonly lossPct: number;
  /** The bottleneck's buffer, in ms at the link's rate: a datagram that would wait longer is dropped. */
  readonly queueMs: number;
}

/** The profiles of issue 14: a good LAN, a home connection, a mobile one. */
export const LINK_PROFILES = {
  lan: { name: 'lan', rateKbps: null, rttMs: 0, jitterMs: 0, lossPct: 0, queueMs: 0 },
  home: { name: 'home', rateKbps: 20_000, rttMs: 30, jitterMs: 0, lossPct: 0.5, queueMs: 100 },
  mobile: { name: 'mobile', rateKbps: 3_000, rttMs: 120, jitterMs: 20, lossPct: 2, queueMs: 200 },
} as const satisfies Record<string, LinkProfile>;

export type LinkProfileName = keyof typeof LINK_PROFILES;

export function isLinkProfileName(name: string): name is LinkProfileName {
  return Object.prototype.hasOwnProperty.call(LINK_PROFILES, name);
}

/** What crossed one direction of the link, and what it dropped (and why). */
export interface DirectionCounters {
  /** Datagrams (or TCP segments) delivered, and their payload bytes. */
  packets: number;
  bytes: number;
  /** Datagrams dropped, for any of the reasons below, and their payload bytes. */
  dropped: number;
  droppedBytes: number;
  /** Of `dropped`: lost at random, dropped by a full queue, dropped by a cut. */
  lost: number;
  overflowed: number;
  cut: number;
  /** TCP segments that the link "lost" and delivered one RTT late instead. */
  retransmitted: number;
}

export interface LinkCounters {
  readonly up: DirectionCounters;
  readonly down: DirectionCounters;
}

export interface LinkEmulatorOptions {
  readonly profile: LinkProfileName | LinkProfile;
  /**
   * The UDP port on 127.0.0.1 that the relay forwards to. By default, a coturn started for this emulator
   * (test/support/turn.ts), which `iceServers` points the peers at through the emulator.
   */
  readonly upstreamPort?: number;
  /** Seeds the loss and jitter draws, for a run that can be repeated; random by default. */
  readonly seed?: number;
}

export interface LinkEmulator {
  /** The UDP port on 127.0.0.1 to give the peers as their TURN server's. */
  readonly port: number;
  /** The peers' ICE servers: the TURN server behind the emulator, reached through it, with its credentials. */
  readonly iceServers: IceServer[];
  /** The coturn behind the emulator when it started one (its log), else undefined. */
  readonly turn: TurnServer | undefined;
  readonly profile: LinkProfile;
  setProfile(profile: LinkProfileName | LinkProfile): void;
  /** Cuts the path for `seconds` (every datagram dropped, TCP held); resolves when it is back. */
  cut(seconds: number): Promise<void>;
  setCut(cut: boolean): void;
  readonly isCut: boolean;
  /** A snapshot of the counters since the start (subtract two snapshots for a phase). */
  readonly counters: LinkCounters;
  /**
   * A TCP proxy on 127.0.0.1 through the same link to `targetPort` on 127.0.0.1; resolves with its port. A cut holds
   * its bytes; with `dropOnCut` it resets its connections and refuses new ones while the path is down.
   */
  proxyTcp(targetPort: number, options?: { readonly dropOnCut?: boolean }): Promise<number>;
  /** Stops the relay and the proxies (the stack given to startLinkEmulator also does). */
  stop(): Promise<void>;
}

const UDP_OVERHEAD = 28;
const TCP_OVERHEAD = 40;
const MSS = 1448;
/** At most this many peer sockets get a socket of their own towards the server. */
const MAX_MAPPINGS = 256;

function profileOf(p: LinkProfileName | LinkProfile): LinkProfile {
  if (typeof p !== 'string') return p;
  if (!isLinkProfileName(p)) throw new Error(`no link profile "${String(p)}" (${Object.keys(LINK_PROFILES).join(', ')})`);
  return LINK_PROFILES[p];
}

/** mulberry32: a small seeded generator, enough for loss and jitter draws. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const now = () => performance.now();

function emptyCounters(): DirectionCounters {
  return { packets: 0, bytes: 0, dropped: 0, droppedBytes: 0, lost: 0, overflowed: 0, cut: 0, retransmitted: 0 };
}

type Direction = 'up' | 'down';

/** The link's shared state: its profile, the cut, the two bottleneck queues, the counters. */
class Link {
  cut = false;
  readonly counters: Record<Direction, DirectionCounters> = { up: emptyCounters(), down: emptyCounters() };
  /** When each direction's bottleneck has sent everything it holds (a virtual queue: no timer needed). */
  private readonly busyUntil: Record<Direction, number> = { up: 0, down: 0 };
  private readonly restoreWaiters = new Set<(since: number, length: number) => void>();
  private readonly cutWaiters = new Set<() => void>();
  private cutSince = 0;

  constructor(public profile: LinkProfile, readonly random: () => number) {}

  setCut(cut: boolean): void {
    if (cut === this.cut) return;
    this.cut = cut;
    if (cut) {
      this.cutSince = now();
      for (const w of [...this.cutWaiters]) w();
      return;
    }
    // The bottleneck sent nothing while the path was down: what it held then is sent after the cut.
    const since = this.cutSince;
    const length = now() - since;
    for (const dir of ['up', 'down'] as const) if (this.busyUntil[dir] > since) this.busyUntil[dir] += length;
    for (const w of [...this.restoreWaiters]) w(since, length);
  }

  /** Calls `f` each time the path is cut; returns how to stop. */
  onCut(f: () => void): () => void {
    this.cutWaiters.add(f);
    return () => this.cutWaiters.delete(f);
  }

  /** Calls `f` each time the path comes back, with when it was cut and for how long (ms); returns how to stop. */
  onRestore(f: (since: number, length: number) => void): () => void {
    this.restoreWaiters.add(f);
    return () => this.restoreWaiters.delete(f);
  }

  /**
   * When a packet of `wireBytes` entering the `dir` bottleneck now has been sent, or undefined when the queue is
   * full and the packet may be dropped (a TCP segment may not: the proxy's window bounds those).
   */
  serialise(dir: Direction, wireBytes: number, droppable: boolean): number | undefined {
    const t = now();
    const rate = this.profile.rateKbps;
    if (rate === null) return t;
    const start = Math.max(t, this.busyUntil[dir]);
    if (droppable && start - t > this.profile.queueMs) return undefined;
    this.busyUntil[dir] = start + (wireBytes * 8) / rate; // kbit/s is bits per ms
    return this.busyUntil[dir];
  }

  /** Propagation delay and jitter for a packet that leaves the bottleneck at `sent`. */
  arrival(sent: number): number {
    const { rttMs, jitterMs } = this.profile;
    const jitter = jitterMs > 0 ? (this.random() * 2 - 1) * jitterMs : 0;
    return sent + Math.max(0, rttMs / 2 + jitter);
  }

  drop(dir: Direction, bytes: number, why: 'lost' | 'overflowed' | 'cut'): void {
    const c = this.counters[dir];
    c.dropped++;
    c.droppedBytes += bytes;
    c[why]++;
  }

  passed(dir: Direction, bytes: number): void {
    this.counters[dir].packets++;
    this.counters[dir].bytes += bytes;
  }
}

interface InFlight {
  at: number;
  readonly bytes: number;
  readonly deliver: () => void;
}

/**
 * One direction of one flow: packets delivered in the order they entered, each not before its time. Datagrams
 * due while the path is cut are dropped; stream segments wait for it, and all those not yet delivered are then
 * late by the cut's length (nothing propagated or left the queue meanwhile).
 */
class Flow {
  private readonly queue: InFlight[] = [];
  private head = 0;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly offRestore: (() => void) | undefined;
  /** Payload bytes entered and not yet delivered. */
  queuedBytes = 0;
  private stopped = false;

  constructor(private readonly link: Link, private readonly dir: Direction, private readonly stream: boolean, private readonly onDrain?: () => void) {
    if (stream) {
      this.offRestore = link.onRestore((since, length) => {
        for (let i = this.head; i < this.queue.length; i++) {
          const item = this.queue[i]!;
          item.at = item.at > since ? item.at + length : now();
        }
        if (this.last > since) this.last += length;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.schedule();
      });
    }
  }

  push(at: number, bytes: number, deliver: () => void): void {
    if (this.stopped) return;
    this.last = Math.max(at, this.last);
    this.queue.push({ at: this.last, bytes, deliver });
    this.queuedBytes += bytes;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.offRestore?.();
    this.queue.length = 0;
    this.head = 0;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || this.head >= this.queue.length) return;
    if (this.stream && this.link.cut) return; // the restore reschedules
    this.timer = setTimeout(() => this.run(), Math.max(0, this.queue[this.head]!.at - now()));
  }

  private run(): void {
    this.timer = undefined;
    const t = now() + 0.5;
    while (this.head < this.queue.length && this.queue[this.head]!.at <= t) {
      if (this.link.cut && this.stream) return;
      const item = this.queue[this.head++]!;
      this.queuedBytes -= item.bytes;
      if (this.link.cut) this.link.drop(this.dir, item.bytes, 'cut');
      else {
        if (item.bytes > 0) this.link.passed(this.dir, item.bytes); // not an end's marker
        item.deliver();
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.onDrain?.();
    this.schedule();
  }
}

/** A datagram into the link: lost, cut or queued out, or delivered in its flow's order. */
function carryDatagram(link: Link, dir: Direction, flow: Flow, data: Buffer, deliver: () => void): void {
  if (link.cut) return link.drop(dir, data.length, 'cut');
  if (link.profile.lossPct > 0 && link.random() * 100 < link.profile.lossPct) return link.drop(dir, data.length, 'lost');
  const sent = link.serialise(dir, data.length + UDP_OVERHEAD, true);
  if (sent === undefined) return link.drop(dir, data.length, 'overflowed');
  flow.push(link.arrival(sent), data.length, deliver);
}

/** The UDP relay: one socket for the peers, one towards the server per peer socket. */
async function startRelay(link: Link, upstreamPort: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const front = dgram.createSocket('udp4');
  interface Mapping {
    readonly socket: dgram.Socket;
    readonly up: Flow;
    readonly down: Flow;
    bound: boolean;
    ready: Promise<void>;
  }
  const mappings = new Map<string, Mapping>();
  let stopped = false;
  const bind = (s: dgram.Socket) => new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.off('error', reject);
      s.on('error', () => undefined); // ICMP unreachable and the like: a link loses such things
      resolve();
    });
  });
  await bind(front);
  front.on('message', (data, from) => {
    if (stopped) return;
    const key = `${from.address}:${from.port}`;
    let m = mappings.get(key);
    if (!m) {
      if (mappings.size >= MAX_MAPPINGS) return;
      const socket = dgram.createSocket('udp4');
      const mapping: Mapping = { socket, up: new Flow(link, 'up', false), down: new Flow(link, 'down', false), bound: false, ready: Promise.resolve() };
      mapping.ready = bind(socket).then(() => void (mapping.bound = true));
      socket.on('message', (reply, server) => {
        if (stopped || server.port !== upstreamPort) return;
        carryDatagram(link, 'down', mapping.down, reply, () => front.send(reply, from.port, from.address));
      });
      mappings.set(key, mapping);
      m = mapping;
    }
    const mapping = m;
    // A socket's first datagrams wait for its bind (microseconds); sent unbound, it would bind to any address.
    const send = () => mapping.socket.send(data, upstreamPort, '127.0.0.1');
    carryDatagram(link, 'up', mapping.up, data, () => (mapping.bound ? send() : void mapping.ready.then(() => !stopped && send())));
  });
  return {
    port: front.address().port,
    stop: async () => {
      stopped = true;
      for (const m of mappings.values()) {
        m.up.stop();
        m.down.stop();
        m.socket.close();
      }
      mappings.clear();
      await new Promise<void>((r) => front.close(() => r()));
    },
  };
}

/** One direction of a proxied TCP connection: read from `from`, segment, carry, write to `to`. */
function pipeStream(link: Link, dir: Direction, from: net.Socket, to: net.Socket): Flow {
  // The sender's window: what may be in flight before it must wait for acknowledgements.
  const window = () => {
    const { rateKbps, rttMs, queueMs } = link.profile;
    return rateKbps === null ? 4 * 1024 * 1024 : Math.max(16 * 1024, ((rttMs + queueMs) * rateKbps) / 8);
  };
  const flow: Flow = new Flow(link, dir, true, () => {
    if (from.isPaused() && flow.queuedBytes < window() / 2) from.resume();
  });
  const take = (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i += MSS) {
      const segment = chunk.subarray(i, Math.min(chunk.length, i + MSS));
      const sent = link.serialise(dir, segment.length + TCP_OVERHEAD, false)!;
      let at = link.arrival(sent);
      if (link.profile.lossPct > 0 && link.random() * 100 < link.profile.lossPct) {
        link.counters[dir].retransmitted++;
        at += Math.max(1, link.profile.rttMs);
      }
      flow.push(at, segment.length, () => {
        if (!to.destroyed) to.write(segment);
      });
    }
    if (flow.queuedBytes >= window()) from.pause();
  };
  // An end (or a reset) crosses the link as a last segment would: after what was sent before it.
  const end = (how: 'end' | 'close') => flow.push(0, 0, () => (how === 'end' ? to.end() : to.destroy()));
  // While the path is cut the bottleneck sends nothing: the sender waits (what was in flight is held by the flow).
  let held: (Buffer | 'end' | 'close')[] = [];
  const pass = (chunk: Buffer | 'end' | 'close') => {
    if (!link.cut && held.length === 0) return typeof chunk === 'string' ? end(chunk) : take(chunk);
    held.push(chunk);
    from.pause();
    if (held.length > 1) return;
    const off = link.onRestore(() => {
      off();
      const chunks = held;
      held = [];
      for (const c of chunks) if (typeof c === 'string') end(c); else take(c);
      if (flow.queuedBytes < window()) from.resume();
    });
  };
  from.on('data', pass);
  let ended = false;
  from.on('end', () => {
    ended = true;
    pass('end');
  });
  from.on('close', () => !ended && pass('close'));
  return flow;
}

async function startTcpProxy(link: Link, targetPort: number, dropOnCut = false): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const flows = new Set<Flow>();
  const reset = (s: net.Socket) => (s.resetAndDestroy ? s.resetAndDestroy() : s.destroy());
  const offCut = dropOnCut ? link.onCut(() => {
    for (const f of flows) f.stop();
    flows.clear();
    for (const s of sockets) reset(s);
    sockets.clear();
  }) : () => undefined;
  const server = net.createServer((client) => {
    if (dropOnCut && link.cut) return void reset(client);
    const target = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, target]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('error', () => undefined);
    }
    const up = pipeStream(link, 'up', client, target);
    const down = pipeStream(link, 'down', target, client);
    flows.add(up).add(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      offCut();
      for (const f of flows) f.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Starts the link: the UDP relay in front of `upstreamPort`, or in front of a coturn of its own started on `stack`.
 * Everything stops with `stack`.
 */
export async function startLinkEmulator(stack: Stack, options: LinkEmulatorOptions): Promise<LinkEmulator> {
  const link = new Link(profileOf(options.profile), seeded(options.seed ?? Math.floor(Math.random() * 2 ** 32)));
  const turn = options.upstreamPort === undefined ? await startTurn(stack) : undefined;
  const relay = await startRelay(link, options.upstreamPort ?? turn!.port);
  const stops: (() => Promise<void>)[] = [relay.stop];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    link.setCut(false);
    for (const s of stops.reverse()) await s();
  };
  stack.add(stop);
  const copy = (c: DirectionCounters): DirectionCounters => ({ ...c });
  return {
    port: relay.port,
    iceServers: turn ? turnIceServers(relay.port) : [{ urls: `turn:127.0.0.1:${relay.port}?transport=udp` }],
    turn,
    get profile() {
      return link.profile;
    },
    setProfile: (p) => {
      link.profile = profileOf(p);
    },
    setCut: (cut) => link.setCut(cut),
    get isCut() {
      return link.cut;
    },
    cut: async (seconds) => {
      link.setCut(true);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      link.setCut(false);
    },
    get counters() {
      return { up: copy(link.counters.up), down: copy(link.counters.down) };
    },
    proxyTcp: async (targetPort, proxyOptions) => {
      const proxy = await startTcpProxy(link, targetPort, proxyOptions?.dropOnCut ?? false);
      stops.push(proxy.stop);
      return proxy.port;
    },
    stop,
  };
}

/** b - a, direction by direction: what crossed the link between two snapshots. */
export function countersSince(a: LinkCounters, b: LinkCounters): LinkCounters {
  const minus = (x: DirectionCounters, y: DirectionCounters): DirectionCounters =>
    Object.fromEntries(Object.keys(x).map((k) => [k, y[k as keyof DirectionCounters] - x[k as keyof DirectionCounters]])) as unknown as DirectionCounters;
  return { up: minus(a.up, b.up), down: minus(a.down, b.down) };
}
