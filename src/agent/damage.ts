/**
 * Where the screen changed, as the X server tells it (the DAMAGE extension, as x11vnc uses it), so that a
 * still screen costs nothing and a change is seen within a millisecond instead of at the next poll; and where
 * the pointer is and what it looks like (XFixes), since X leaves it out of every capture.
 *
 * Spoken with the `x11` package: the X protocol in plain JavaScript over the display's socket, no native
 * code, so it is as safe in Electron as in Node. Linux (X11) only; elsewhere, and when the server has no
 * DAMAGE, the capture polls instead (capture.ts).
 */

import { bounds, type Rect } from '../shared/screenUpdate';
import type { Logger } from '../shared/log';
import type { Pixels } from './png';

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  AllocID(): number;
  GetImage(format: number, drawable: number, x: number, y: number, width: number, height: number, planeMask: number, cb: (err: Error | null, image: { depth: number; data: Uint8Array }) => void): void;
  require(name: 'damage', cb: (err: Error | null, ext: DamageExt) => void): void;
  require(name: 'fixes', cb: (err: Error | null, ext: FixesExt) => void): void;
  require(name: 'xinput', cb: (err: Error | null, ext: XInputExt) => void): void;
  on(event: 'event', listener: (ev: { name?: string; evtype?: number; area?: { x: number; y: number; w: number; h: number } }) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface DamageExt {
  readonly ReportLevel: { readonly RawRectangles: number };
  Create(damage: number, drawable: number, level: number): void;
  Destroy(damage: number): void;
}
interface FixesExt {
  SelectCursorInput(window: number, eventMask: number): void;
  GetCursorImage(cb: (err: Error | null, image: { x: number; y: number; width: number; height: number; xhot: number; yhot: number; cursorSerial: number; cursorImage: Uint8Array }) => void): void;
}
interface XInputExt {
  /** What XIQueryVersion(2, 2) answered; null when the server has no XI2. */
  readonly xi2: { readonly majorVersion: number } | null;
  XISelectEvents(window: number, masks: readonly { deviceId: number; mask: readonly number[] }[]): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly { readonly root: number; readonly pixel_width: number; readonly pixel_height: number }[];
}

/** A change the X server reported: where (root-window pixels), and when (Date.now()). */
export interface DamageReport {
  readonly rect: Rect;
  readonly at: number;
}

/** Rectangles changed since the last `take()`, in root-window pixels. */
export interface ChangeWatcher {
  /** False once the watcher can no longer tell (its connection broke, or it was disposed): poll instead. */
  readonly alive: boolean;
  /** Resolves when something changed (at once if something already has), or after `timeoutMs` with nothing. */
  changed(timeoutMs: number): Promise<void>;
  /** The rectangles that changed since the last take, and forgets them; undefined: everything may have. */
  take(): Rect[] | undefined;
  /**
   * Each change reported since the last call, with its time, oldest first (the newest MAX_REPORTS of them), and
   * forgets them: how often a region changes between two captures. Optional: without it, captures date changes.
   */
  takeReports?(): DamageReport[];
  /**
   * Whether the pointer may have moved or changed shape since the last call; such a hint also wakes `changed()`.
   * Undefined when the watcher cannot tell (then the pointer is polled). Optional, as the next one.
   */
  pointerHint?(): boolean | undefined;
  /** Input injected here is about to move the pointer: the next `pointerHint()` says so, and `changed()` wakes. */
  stirPointer?(): void;
  dispose(): void;
}

/** Where the pointer is and what it looks like, in root-window pixels. */
export interface PointerReading {
  readonly x: number;
  readonly y: number;
  /** Changes whenever the shape does. */
  readonly serial: number;
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  /** Premultiplied ARGB, 32 bits a pixel, little-endian (bytes B, G, R, A). */
  readonly argb: Uint8Array;
}

/** Reads the pointer; undefined when it cannot be read here. */
export type PointerReader = () => Promise<PointerReading | undefined>;

/** Above this many rectangles between two takes, they are folded into their bounds. */
const MAX_RECTS = 256;
/** Reports kept between two takeReports(): beyond, the oldest half is dropped (a frame rate needs the recent ones). */
const MAX_REPORTS = 1024;
/** XFixes: CursorNotify when the cursor shown changes shape. */
const DISPLAY_CURSOR_NOTIFY_MASK = 1;
/** XInput 2: raw motion of every device, through its master (XI2.h). */
const XI_RAW_MOTION = 17;
const XI_ALL_MASTER_DEVICES = 1;

export class DamageWatcher implements ChangeWatcher {
  private rects: Rect[] = [];
  private reports: DamageReport[] = [];
  private everything = true;
  private waiter: (() => void) | undefined;
  private disposed = false;
  private broken = false;
  /**
   * The pointer may have moved or changed shape since the last pointerHint(). Told by XInput 2 raw motion (every
   * device's moves, injected ones too, but not XWarpPointer's: nut-js warps, hence stirPointer()) and XFixes
   * CursorNotify; `hinting` once both are selected, else the pointer is polled.
   */
  private pointerStirred = true;
  private hinting = false;

  get alive(): boolean {
    return !this.disposed && !this.broken;
  }

  private fixes: FixesExt | undefined;
  private root = 0;

  private constructor(
    private readonly client: XClient,
    private readonly log: Logger,
  ) {}

  /**
   * A region of the root window, over this connection (the X server copies it into the socket). For the small
   * regions a change usually covers this is cheaper than a grab through nut-js; undefined when the server's
   * pixels are not 32 bits each (then the caller grabs otherwise).
   */
  readonly grab = (rect: Rect): Promise<Pixels | undefined> => {
    if (!this.alive) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      this.client.GetImage(2 /* ZPixmap */, this.root, rect.x, rect.y, rect.width, rect.height, 0xffffffff, (err, image) => {
        clearTimeout(timer);
        if (err || !image || image.data.length !== rect.width * rect.height * 4) return resolve(undefined);
        resolve({ data: image.data, width: rect.width, height: rect.height });
      });
    });
  };

  /** The pointer's place and shape (one round trip to the X server), or undefined without XFixes. */
  readonly pointer: PointerReader = () => {
    const fixes = this.fixes;
    if (!fixes || !this.alive) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      fixes.GetCursorImage((err, image) => {
        clearTimeout(timer);
        if (err || !image) return resolve(undefined);
        resolve({ x: image.x, y: image.y, serial: image.cursorSerial, width: image.width, height: image.height, hotX: image.xhot, hotY: image.yhot, argb: image.cursorImage });
      });
    });
  };

  /** Connects to the display in `DISPLAY` and watches the whole root window; rejects when DAMAGE is not there. */
  static start(log: Logger, display = process.env['DISPLAY']): Promise<DamageWatcher> {
    // Loaded here, so that other systems never load it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, on Linux only
    const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
    return new Promise<DamageWatcher>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('the X server did not answer')), 5000);
      let started: DamageWatcher | undefined;
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return fail(err);
        d.client.require('damage', (dmgErr, damage) => {
          clearTimeout(timer);
          if (dmgErr) return fail(new Error(`no DAMAGE extension: ${dmgErr.message}`));
          const watcher = new DamageWatcher(d.client, log);
          started = watcher;
          watcher.root = d.screen[0]!.root;
          d.client.on('event', (ev) => {
            if (ev.name === 'DamageNotify' && ev.area) watcher.add({ x: ev.area.x, y: ev.area.y, width: ev.area.w, height: ev.area.h });
            else if (ev.name === 'CursorNotify' || ev.evtype === XI_RAW_MOTION) watcher.stirPointer();
          });
          damage.Create(d.client.AllocID(), d.screen[0]!.root, damage.ReportLevel.RawRectangles);
          d.client.require('fixes', (fixesErr, fixes) => {
            if (fixesErr) log.warn(`no XFixes (${fixesErr.message}): the helper will not see the pointer`);
            else watcher.fixes = fixes;
            const done = () => {
              settled = true;
              resolve(watcher);
            };
            if (!fixes) return done();
            d.client.require('xinput', (xiErr, xi) => {
              if (xiErr || !xi?.xi2) {
                log.debug(`no XInput 2 (${xiErr?.message ?? 'XIQueryVersion failed'}): the pointer is polled`);
                return done();
              }
              fixes.SelectCursorInput(watcher.root, DISPLAY_CURSOR_NOTIFY_MASK);
              xi.XISelectEvents(watcher.root, [{ deviceId: XI_ALL_MASTER_DEVICES, mask: [XI_RAW_MOTION] }]);
              watcher.hinting = true;
              done();
            });
          });
        });
      });
      client.on('error', (error) => {
        if (!settled) {
          clearTimeout(timer);
          fail(error ?? new Error('X connection error'));
        } else {
          log.warn(`X damage watcher: ${error?.message ?? 'connection error'}; changes are polled from now on`);
          started?.markBroken();
        }
      });
      client.on('end', () => {
        log.debug('X damage watcher: connection closed');
        started?.markBroken();
      });
    });
  }

  changed(timeoutMs: number): Promise<void> {
    if (this.everything || this.rects.length > 0 || this.disposed || (this.hinting && this.pointerStirred)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waiter === done) this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter?.();
      this.waiter = done;
    });
  }

  take(): Rect[] | undefined {
    const rects = this.everything ? undefined : this.rects;
    this.rects = [];
    this.everything = false;
    return rects;
  }

  takeReports(): DamageReport[] {
    const reports = this.reports;
    this.reports = [];
    return reports;
  }

  pointerHint(): boolean | undefined {
    if (!this.hinting || !this.alive) return undefined;
    const stirred = this.pointerStirred;
    this.pointerStirred = false;
    return stirred;
  }

  stirPointer(): void {
    this.pointerStirred = true;
    if (this.hinting) this.waiter?.();
  }

  /** The next take() reports everything (the caller lost track, say). */
  invalidate(): void {
    this.everything = true;
    this.waiter?.();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.waiter?.();
    try {
      (this.client.terminate ?? this.client.close)?.call(this.client);
    } catch (error) {
      this.log.debug(`X damage watcher: closing: ${String(error)}`);
    }
  }

  /** The connection is gone: no more reports; whoever waits is woken to poll instead. */
  private markBroken(): void {
    if (this.broken) return;
    this.broken = true;
    this.fixes = undefined;
    this.waiter?.();
  }

  private add(rect: Rect): void {
    if (rect.width <= 0 || rect.height <= 0) return;
    if (this.reports.length >= MAX_REPORTS) this.reports = this.reports.slice(MAX_REPORTS / 2);
    this.reports.push({ rect, at: Date.now() });
    if (this.rects.length >= MAX_RECTS) {
      this.rects = [bounds([...this.rects, rect])];
    } else {
      this.rects.push(rect);
    }
    this.waiter?.();
  }
}
