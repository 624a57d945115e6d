/**
 * Which monitor the agent captures and drives, read from the X server itself (the RandR extension) over the
 * display's socket. Agent process only, Linux (X11) only.
 *
 * Why not `xrandr`: it is a separate Debian package (x11-xserver-utils) that a fresh machine lacks, and a process
 * run per reading. The `x11` package speaks the protocol in plain JavaScript (as damage.ts does), so the layout
 * costs one round trip or a few, and nothing has to be installed. screenshot-desktop keeps its own xrandr runs for
 * the fallback source only (screenshotDesktopSource.ts).
 *
 * The default is the one screenshot-desktop makes from `xrandr --current` (the primary, else the one RandR calls
 * `default`, else the first), made from RandR 1.5 monitors where the server has them (they are what desktops lay
 * windows out by: a tiled display is one monitor of two outputs) and from connected outputs with an active CRTC
 * (exactly what `xrandr --current` lists) on RandR 1.2 to 1.4. The host may choose another by name (`select`); when
 * that one is gone the default is captured again, and said (`onChange` with `lost`). Without RandR the whole root
 * window is captured.
 */

import type { Logger } from '../shared/log';
import { describeArea, errorText, sameArea, withTimeout, type ScreenArea } from './frameSource';
import { ask } from './xRequest';

/** A monitor as RandR describes it, in root-window pixels. */
export interface Monitor {
  readonly name: string;
  readonly primary: boolean;
  readonly area: ScreenArea;
}

/** One MONITORINFO of a GetMonitors reply; `name` is still an atom. */
export interface MonitorInfo {
  readonly nameAtom: number;
  readonly primary: boolean;
  readonly area: ScreenArea;
}

/** RandR's Connection value for an output with something plugged in. */
const CONNECTED = 0;

/**
 * The RandR requests the layout is read with, over one connection, for the screen of DISPLAY. An interface so
 * that unit tests can stand in for the X server.
 */
export interface RandrRequests {
  /** The version both sides speak (the server's, at most the client's). */
  readonly version: { readonly major: number; readonly minor: number };
  /** RandR 1.5 GetMonitors (active monitors only), names resolved. */
  getMonitors(): Promise<readonly Monitor[]>;
  /** RandR 1.3 GetScreenResourcesCurrent: the server's current knowledge, without probing the hardware. */
  getScreenResources(): Promise<{ readonly outputs: readonly number[]; readonly configTimestamp: number }>;
  /** RandR 1.3 GetOutputPrimary; 0 when no output is primary. */
  getOutputPrimary(): Promise<number>;
  getOutputInfo(output: number, configTimestamp: number): Promise<{ readonly name: string; readonly connection: number; readonly crtc: number }>;
  getCrtcInfo(crtc: number, configTimestamp: number): Promise<{ readonly x: number; readonly y: number; readonly width: number; readonly height: number; readonly mode: number }>;
}

/** The monitors RandR reports, by the richest request the server speaks; empty below RandR 1.2. */
export async function readMonitors(randr: RandrRequests): Promise<readonly Monitor[]> {
  const { major, minor } = randr.version;
  if (major > 1 || (major === 1 && minor >= 5)) return randr.getMonitors();
  if (major === 1 && minor >= 2) return monitorsFromOutputs(randr);
  return [];
}

/**
 * What `xrandr --current` lists as "connected WxH+X+Y": connected outputs driven by a CRTC with a mode, in the
 * server's order, the primary marked. GetOutputPrimary came with RandR 1.3; on 1.2 nothing is primary.
 */
export async function monitorsFromOutputs(randr: RandrRequests): Promise<readonly Monitor[]> {
  const resources = await randr.getScreenResources();
  const { major, minor } = randr.version;
  const primary = major > 1 || minor >= 3 ? await randr.getOutputPrimary() : 0;
  const monitors: Monitor[] = [];
  for (const output of resources.outputs) {
    const info = await randr.getOutputInfo(output, resources.configTimestamp);
    if (info.connection !== CONNECTED || info.crtc === 0) continue;
    const crtc = await randr.getCrtcInfo(info.crtc, resources.configTimestamp);
    if (crtc.mode === 0) continue;
    monitors.push({ name: info.name, primary: output === primary, area: { x: crtc.x, y: crtc.y, width: crtc.width, height: crtc.height } });
  }
  return monitors;
}

/** The monitor to capture: the primary, else the one called `default` (RandR's only output without 1.2 drivers), else the first; only those with a size. */
export function pickMonitor(monitors: readonly Monitor[]): Monitor | undefined {
  const usable = usableMonitors(monitors);
  return usable.find((m) => m.primary || m.name === 'default') ?? usable[0];
}

/** The monitors that can be captured: those with a size and a place in whole pixels. */
export function usableMonitors(monitors: readonly Monitor[]): Monitor[] {
  return monitors.filter((m) => isSize(m.area.width) && isSize(m.area.height) && Number.isInteger(m.area.x) && Number.isInteger(m.area.y));
}

/** The monitors as read, and the name of the one captured and driven; no monitor listed: the whole screen is. */
export interface MonitorReading {
  readonly monitors: readonly Monitor[];
  readonly shared: string | undefined;
}

function isSize(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

/**
 * Reads a GetMonitors reply after its 8-byte header (RandR 1.5, randrproto.txt):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | timestamp |
 * | 4 | 4 | number of monitors |
 * | 8 | 4 | number of outputs, over all monitors |
 * | 12 | 12 | unused |
 * | 24 | 24 + 4n each | MONITORINFO: name ATOM, primary BOOL, automatic BOOL, n CARD16, x INT16, y INT16, width CARD16, height CARD16, width-in-mm CARD32, height-in-mm CARD32, n OUTPUTs |
 *
 * The counts come from the server; they are checked against the bytes there are, so a wrong reply throws
 * instead of reading past its end or looping for long.
 */
export function parseMonitorsReply(body: Uint8Array): MonitorInfo[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.byteLength < 24) throw new Error(`GetMonitors reply of ${body.byteLength} bytes`);
  const count = view.getUint32(4, true);
  if (count > (body.byteLength - 24) / 24) throw new Error(`GetMonitors reply claims ${count} monitors in ${body.byteLength} bytes`);
  const monitors: MonitorInfo[] = [];
  let at = 24;
  for (let i = 0; i < count; i++) {
    if (at + 24 > body.byteLength) throw new Error(`GetMonitors reply ends inside monitor ${i + 1} of ${count}`);
    const outputs = view.getUint16(at + 6, true);
    monitors.push({
      nameAtom: view.getUint32(at, true),
      primary: view.getUint8(at + 4) !== 0,
      area: { x: view.getInt16(at + 8, true), y: view.getInt16(at + 10, true), width: view.getUint16(at + 12, true), height: view.getUint16(at + 14, true) },
    });
    at += 24 + outputs * 4;
  }
  if (at > body.byteLength) throw new Error(`GetMonitors reply ends inside the outputs of monitor ${count}`);
  return monitors;
}

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  seq_num: number;
  readonly replies: Record<number, [unpack: (body: Buffer, opt: number) => unknown, callback: (err: Error | null, result?: unknown) => unknown]>;
  readonly pack_stream: { put(b: Buffer): void; submit(flush?: boolean): void };
  GetAtomName(atom: number, cb: (err: Error | null, name: string) => unknown): void;
  GetGeometry(drawable: number, cb: (err: Error | null, geometry: { width: number; height: number }) => unknown): void;
  require(name: 'randr', cb: (err: Error | null, ext: RandrExt) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface RandrExt {
  readonly majorOpcode: number;
  readonly major_version: number;
  readonly minor_version: number;
  GetScreenResourcesCurrent(window: number, cb: (err: Error | null, r: { outputs: number[]; config_timestamp: number }) => unknown): void;
  GetOutputPrimary(window: number, cb: (err: Error | null, output: number) => unknown): void;
  GetOutputInfo(output: number, ts: number, cb: (err: Error | null, info: { name: string; connection: number; crtc: number }) => unknown): void;
  GetCrtcInfo(crtc: number, ts: number, cb: (err: Error | null, info: { x: number; y: number; width: number; height: number; mode: number }) => unknown): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly { readonly root: number }[];
}


/** RandR 1.5's GetMonitors, which the x11 package does not implement. */
const X_RRGetMonitors = 42;

function randrRequests(client: XClient, randr: RandrExt, root: number): RandrRequests {
  const getMonitorInfos = (): Promise<MonitorInfo[]> =>
    new Promise((resolve, reject) => {
      const request = Buffer.alloc(12);
      request.writeUInt8(randr.majorOpcode, 0);
      request.writeUInt8(X_RRGetMonitors, 1);
      request.writeUInt16LE(3, 2);
      request.writeUInt32LE(root, 4);
      request.writeUInt8(1, 8); // get_active: only monitors that show something
      client.seq_num++;
      client.pack_stream.put(request);
      client.replies[client.seq_num] = [
        (body) => body,
        (err, body) => {
          if (err) reject(err);
          else {
            try {
              resolve(parseMonitorsReply(body as Buffer));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          }
          return true;
        },
      ];
      client.pack_stream.submit(true);
    });
  return {
    version: { major: randr.major_version, minor: randr.minor_version },
    getMonitors: async () => {
      const infos = await getMonitorInfos();
      return Promise.all(infos.map(async (m) => ({ name: await ask<string>((cb) => client.GetAtomName(m.nameAtom, cb)).catch(() => `#${m.nameAtom}`), primary: m.primary, area: m.area })));
    },
    getScreenResources: async () => {
      const r = await ask<{ outputs: number[]; config_timestamp: number }>((cb) => randr.GetScreenResourcesCurrent(root, cb));
      return { outputs: r.outputs, configTimestamp: r.config_timestamp };
    },
    getOutputPrimary: () => ask<number>((cb) => randr.GetOutputPrimary(root, cb)),
    getOutputInfo: (output, ts) => ask((cb) => randr.GetOutputInfo(output, ts, cb)),
    getCrtcInfo: (crtc, ts) => ask((cb) => randr.GetCrtcInfo(crtc, ts, cb)),
  };
}

/** One X connection to read the layout with: the root window, its size, and RandR when the server has it. */
export interface RandrConnection {
  readonly root: number;
  rootSize(): Promise<{ readonly width: number; readonly height: number }>;
  /** Undefined: the server has no RandR. */
  readonly randr: RandrRequests | undefined;
  /** Called at most once, when the connection breaks. */
  onBroken(listener: (reason: string) => void): void;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 5000;

/** Connects to DISPLAY (the first screen, as damage.ts and nut-js use) and asks for RandR. */
export function connectRandr(display = process.env['DISPLAY']): Promise<RandrConnection> {
  // Loaded here, so that other systems never load it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only Linux agents speak X
  const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
  return new Promise<RandrConnection>((resolve, reject) => {
    let settled = false;
    let brokenListener: ((reason: string) => void) | undefined;
    let broken: string | undefined;
    const breaks = (reason: string): void => {
      if (broken !== undefined) return;
      broken = reason;
      brokenListener?.(reason);
    };
    const timer = setTimeout(() => fail(new Error('the X server did not answer')), CONNECT_TIMEOUT_MS);
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      reject(error);
    };
    const close = (): void => {
      try {
        (client.terminate ?? client.close)?.call(client);
      } catch {
        // already gone
      }
    };
    const client = x11.createClient({ display }, (err, d) => {
      if (err) return fail(err);
      const root = d.screen[0]!.root;
      const done = (randr: RandrRequests | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          root,
          randr,
          rootSize: () => ask<{ width: number; height: number }>((cb) => d.client.GetGeometry(root, cb)).then((g) => ({ width: g.width, height: g.height })),
          onBroken: (listener) => {
            brokenListener = listener;
            if (broken !== undefined) listener(broken);
          },
          close,
        });
      };
      d.client.require('randr', (randrErr, randr) => done(randrErr || !randr ? undefined : randrRequests(d.client, randr, root)));
    });
    client.on('error', (error) => {
      if (!settled) fail(error ?? new Error('X connection error'));
      else breaks(error?.message ?? 'connection error');
    });
    client.on('end', () => {
      if (!settled) fail(new Error('the X server closed the connection'));
      else breaks('the X server closed the connection');
    });
  });
}

/** How long one reading of the layout may take before it is given up (the server answers in milliseconds). */
const READ_TIMEOUT_MS = 2000;

/**
 * The area to capture and drive, read again on each call over one X connection that is opened on first use and
 * opened again after it breaks: the monitor the host selected, else the default. Logs when the choice changes, and
 * once when there is no RandR to ask; tells `onChange` when the monitors changed between two readings by themselves
 * (not by `select`).
 */
export class MonitorLayout {
  private connection: Promise<RandrConnection> | undefined;
  /** What `connection` resolved to, to tell whether a broken one is still the current one. */
  private opened: RandrConnection | undefined;
  private last: Monitor | undefined;
  private saidWhole = false;
  private disposed = false;
  /** The host's choice, by name; undefined: the default (pickMonitor). */
  private selected: string | undefined;
  /** The last reading, as compared to tell a change. */
  private known: string | undefined;
  private changeListener: ((reading: MonitorReading, lost: string | undefined) => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly connect: () => Promise<RandrConnection> = () => connectRandr(),
  ) {}

  async area(): Promise<ScreenArea> {
    return (await this.reading()).area;
  }

  /** The monitors and the one captured, read now. */
  async list(): Promise<MonitorReading> {
    return (await this.reading()).reading;
  }

  /**
   * Captures monitor `name` from the next reading on (undefined: the default again). Rejects, and changes nothing,
   * when there is no such monitor that can be captured.
   */
  async select(name: string | undefined): Promise<MonitorReading> {
    const { reading } = await this.reading();
    if (name !== undefined && !reading.monitors.some((m) => m.name === name)) throw new Error(`There is no monitor ${JSON.stringify(name)} to share.`);
    this.selected = name;
    return (await this.reading(true)).reading;
  }

  /** Called when the monitors or the one captured changed by themselves; `lost`: the selected one is gone. */
  onChange(listener: (reading: MonitorReading, lost: string | undefined) => void): void {
    this.changeListener = listener;
  }

  dispose(): void {
    this.disposed = true;
    this.changeListener = undefined;
    const connection = this.connection;
    this.connection = undefined;
    connection?.then((c) => c.close(), () => undefined);
  }

  /** One reading of the layout; `quiet`: a change it shows was asked for (select), not one to tell. */
  private async reading(quiet = false): Promise<{ area: ScreenArea; reading: MonitorReading }> {
    if (this.disposed) throw new Error('The monitor layout was closed.');
    let connection: RandrConnection | undefined;
    let read: { area: ScreenArea; reading: MonitorReading; lost: string | undefined };
    try {
      connection = await this.open();
      read = await withTimeout(this.read(connection), READ_TIMEOUT_MS, `the X server did not tell it within ${READ_TIMEOUT_MS / 1000} s`);
    } catch (error) {
      // A stuck or broken connection is not asked again: the next reading starts a new one.
      if (connection) this.drop(connection);
      throw new Error(`Cannot read the monitor layout: ${errorText(error)}`);
    }
    const known = JSON.stringify(read.reading);
    const changed = this.known !== undefined && known !== this.known;
    this.known = known;
    if ((changed && !quiet) || read.lost !== undefined) this.changeListener?.(read.reading, read.lost);
    return read;
  }

  private open(): Promise<RandrConnection> {
    if (this.connection) return this.connection;
    const opening = this.connect().then((c) => {
      c.onBroken((reason) => {
        this.log.debug(`monitor layout: the X connection broke (${reason}); a new one is opened when needed`);
        this.drop(c);
      });
      this.opened = c;
      return c;
    });
    this.connection = opening;
    opening.catch(() => {
      if (this.connection === opening) this.connection = undefined;
    });
    return opening;
  }

  private drop(connection: RandrConnection): void {
    if (this.opened === connection) {
      this.opened = undefined;
      this.connection = undefined;
    }
    connection.close();
  }

  private async read(connection: RandrConnection): Promise<{ area: ScreenArea; reading: MonitorReading; lost: string | undefined }> {
    const whole = async (why: string) => {
      const size = await connection.rootSize();
      this.wholeScreen(why, size);
      return { area: { x: 0, y: 0, ...size }, reading: { monitors: [], shared: undefined }, lost: undefined };
    };
    if (!connection.randr) return whole('the X server has no RandR extension');
    const monitors = usableMonitors(await readMonitors(connection.randr));
    let lost: string | undefined;
    let chosen = this.selected === undefined ? undefined : monitors.find((m) => m.name === this.selected);
    if (this.selected !== undefined && !chosen) {
      lost = this.selected;
      this.selected = undefined;
      this.log.warn(`the monitor ${lost} is gone: capturing the default one again`);
    }
    chosen ??= pickMonitor(monitors);
    if (!chosen) return whole(`RandR ${connection.randr.version.major}.${connection.randr.version.minor} lists no monitor with a size`);
    if (this.last?.name !== chosen.name || !sameArea(this.last.area, chosen.area)) {
      this.log.info(`capturing monitor ${chosen.name}${chosen.primary ? ' (primary)' : ''} at ${describeArea(chosen.area)} (${monitors.length} listed)`);
    }
    this.last = chosen;
    this.saidWhole = false;
    return { area: chosen.area, reading: { monitors, shared: chosen.name }, lost };
  }

  private wholeScreen(why: string, size: { readonly width: number; readonly height: number }): void {
    if (!this.saidWhole) this.log.warn(`${why}: capturing the whole screen (${size.width}x${size.height}), every monitor at once`);
    this.saidWhole = true;
    this.last = undefined;
  }
}
