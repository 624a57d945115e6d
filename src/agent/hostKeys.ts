/**
 * The host's own key and button presses, as the X server sees them (XInput 2 raw events on the root window), so
 * that the person at the machine wins with the keyboard as they already do with the mouse (input.ts). Agent
 * process, Linux (X11) only.
 *
 * Raw events reach every client that selects them, whatever window has the focus or a grab, and each one names
 * the slave device it came from (`sourceid`). What the agent injects (nut-js through libXtst, xkeyboard.ts
 * through the `x11` package) goes out through XTEST, whose events come from the "… XTEST keyboard" and
 * "… XTEST pointer" slaves; a real keyboard or mouse is a slave of its own. So a press from any other slave is
 * the host's. The price: another program that injects through XTEST (xdotool, an on-screen keyboard) counts as
 * remote input too, since X does not say which client made an XTEST event.
 *
 * Spoken with the `x11` package (pure JavaScript, as damage.ts), whose `xinput` module already has
 * XIQueryVersion, XIQueryDevice, XISelectEvents and the raw events' parser.
 */

import type { Logger } from '../shared/log';

/** A device as XIQueryDevice describes it (the fields used here). */
export interface XiDevice {
  readonly deviceId: number;
  readonly name: string;
}

/** An XI2 event as the `x11` package parses it (the fields used here). */
export interface XiEvent {
  readonly evtype?: number;
  readonly sourceId?: number;
  readonly detail?: number;
}

/** A key or button the host pressed themselves. */
export interface HostPress {
  readonly kind: 'key' | 'button';
  /** The keycode, or the button number (4 to 7: the wheel). */
  readonly detail: number;
  /** The slave device it came from. */
  readonly sourceId: number;
}

/** XI2 event types (XI2.h). */
const XI_HIERARCHY_CHANGED = 11;
const XI_RAW_KEY_PRESS = 13;
const XI_RAW_BUTTON_PRESS = 15;
/** XIAllMasterDevices: each press once, through its master, still naming its slave as `sourceid`. */
const XI_ALL_MASTER_DEVICES = 1;
const XI_ALL_DEVICES = 0;

/**
 * The XTEST slaves: the X server names them after their master ("Virtual core XTEST keyboard"; a master made with
 * `xinput create-master foo` gets "foo XTEST keyboard"). XI2 has no other mark for them but a device property,
 * which would cost a round trip per device.
 */
export function xtestDevices(devices: readonly XiDevice[]): Set<number> {
  return new Set(devices.filter((d) => / XTEST (keyboard|pointer)$/.test(d.name)).map((d) => d.deviceId));
}

/**
 * The host's own press in `event`, or undefined: another kind of event, or an injected one (from an XTEST
 * slave). A device plugged in since the list was read is not XTEST, so it counts as the host's; the caller reads
 * the list again on every XI_HierarchyChanged, so that a new master's XTEST slaves are known before they type.
 */
export function hostPress(event: XiEvent, xtest: ReadonlySet<number>): HostPress | undefined {
  const kind = event.evtype === XI_RAW_KEY_PRESS ? 'key' : event.evtype === XI_RAW_BUTTON_PRESS ? 'button' : undefined;
  if (kind === undefined || typeof event.sourceId !== 'number' || typeof event.detail !== 'number') return undefined;
  if (xtest.has(event.sourceId)) return undefined;
  return { kind, detail: event.detail, sourceId: event.sourceId };
}

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  require(name: 'xinput', cb: (err: Error | null, ext: XInputExt) => void): void;
  on(event: 'event', listener: (ev: XiEvent & { name?: string }) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface XInputExt {
  /** What XIQueryVersion(2, 2) answered; null when the server has no XI2. */
  readonly xi2: { readonly majorVersion: number; readonly minorVersion: number } | null;
  XIQueryDevice(deviceId: number, cb: (err: Error | null, devices: XiDevice[]) => void): void;
  XISelectEvents(window: number, masks: readonly { deviceId: number; mask: readonly number[] }[]): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly { readonly root: number }[];
}

export class HostKeys {
  private xtest = new Set<number>();
  private disposed = false;
  /** A device list is being read again (a device came or went); presses wait for it rather than guess. */
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly client: XClient,
    private readonly xi: XInputExt,
    private readonly log: Logger,
    private readonly onHostKey: (press: HostPress) => void,
  ) {}

  /**
   * Connects to the display in `DISPLAY` and listens; rejects when the server has no XInput 2 (then only the
   * host's mouse is watched, by input.ts's polling).
   */
  static start(log: Logger, onHostKey: (press: HostPress) => void, display = process.env['DISPLAY']): Promise<HostKeys> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, on Linux only
    const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
    return new Promise<HostKeys>((resolve, reject) => {
      let settled = false;
      let started: HostKeys | undefined;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          (client.terminate ?? client.close)?.call(client);
        } catch {
          // going anyway
        }
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('the X server did not answer')), 5000);
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return fail(err);
        try {
          d.client.require('xinput', (xiErr, xi) => {
            if (xiErr) return fail(new Error(`no XInput extension: ${xiErr.message}`));
            if (!xi.xi2 || xi.xi2.majorVersion < 2) return fail(new Error('the X server has no XInput 2'));
            const keys = new HostKeys(d.client, xi, log, onHostKey);
            keys.readDevices().then(
              () => {
                if (settled) return;
                d.client.on('event', (ev) => keys.onEvent(ev));
                const root = d.screen[0]!.root;
                xi.XISelectEvents(root, [
                  { deviceId: XI_ALL_MASTER_DEVICES, mask: [XI_RAW_KEY_PRESS, XI_RAW_BUTTON_PRESS] },
                  { deviceId: XI_ALL_DEVICES, mask: [XI_HIERARCHY_CHANGED] },
                ]);
                started = keys;
                settled = true;
                clearTimeout(timer);
                resolve(keys);
              },
              (listErr: unknown) => fail(listErr instanceof Error ? listErr : new Error(String(listErr))),
            );
          });
        } catch (error) {
          // The package's xinput module throws, rather than answers, when QueryExtension itself fails.
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
      client.on('error', (error) => {
        if (!settled) return fail(error ?? new Error('X connection error'));
        log.warn(`host keys: ${error?.message ?? 'connection error'}; the host's key presses are not watched from now on`);
      });
      client.on('end', () => {
        if (started && !started.disposed) log.debug('host keys: connection closed');
      });
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      (this.client.terminate ?? this.client.close)?.call(this.client);
    } catch (error) {
      this.log.debug(`host keys: closing: ${String(error)}`);
    }
  }

  private onEvent(ev: XiEvent): void {
    if (this.disposed) return;
    if (ev.evtype === XI_HIERARCHY_CHANGED) {
      // A device came or went (a master made, a keyboard plugged in): its XTEST slaves may be new.
      this.refresh();
      return;
    }
    if (this.refreshing) {
      void this.refreshing.then(() => this.decide(ev));
      return;
    }
    this.decide(ev);
  }

  private decide(ev: XiEvent): void {
    if (this.disposed) return;
    const press = hostPress(ev, this.xtest);
    if (press) this.onHostKey(press);
  }

  private refresh(): void {
    const done = this.readDevices().catch((error: unknown) => this.log.warn(`host keys: reading the devices failed: ${String(error)}`));
    const refreshing = done.then(() => {
      if (this.refreshing === refreshing) this.refreshing = undefined;
    });
    this.refreshing = refreshing;
  }

  private readDevices(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the X server did not answer XIQueryDevice')), 2000);
      this.xi.XIQueryDevice(XI_ALL_DEVICES, (err, devices) => {
        clearTimeout(timer);
        if (err) return reject(err);
        this.xtest = xtestDevices(devices);
        resolve();
      });
    });
  }
}
