/**
 * Where the screen changed, as the X server tells it (the DAMAGE extension, as x11vnc uses it), so that a
 * still screen costs nothing and a change is seen within a millisecond instead of at the next poll.
 *
 * Spoken with the `x11` package: the X protocol in plain JavaScript over the display's socket, no native
 * code, so it is as safe in Electron as in Node. Linux (X11) only; elsewhere, and when the server has no
 * DAMAGE, the capture polls instead (capture.ts).
 */

import type { Rect } from '../shared/screenUpdate';
import type { Logger } from '../shared/log';

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  AllocID(): number;
  require(name: 'damage', cb: (err: Error | null, ext: DamageExt) => void): void;
  on(event: 'event', listener: (ev: { name?: string; area?: { x: number; y: number; w: number; h: number } }) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface DamageExt {
  readonly ReportLevel: { readonly RawRectangles: number };
  Create(damage: number, drawable: number, level: number): void;
  Destroy(damage: number): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly { readonly root: number; readonly pixel_width: number; readonly pixel_height: number }[];
}

/** Rectangles changed since the last `take()`, in root-window pixels. */
export interface ChangeWatcher {
  /** Resolves when something changed (at once if something already has), or after `timeoutMs` with nothing. */
  changed(timeoutMs: number): Promise<void>;
  /** The rectangles that changed since the last take, and forgets them; undefined: everything may have. */
  take(): Rect[] | undefined;
  dispose(): void;
}

/** Above this many rectangles between two takes, they are folded into their bounds. */
const MAX_RECTS = 256;

export class DamageWatcher implements ChangeWatcher {
  private rects: Rect[] = [];
  private everything = true;
  private waiter: (() => void) | undefined;
  private disposed = false;

  private constructor(
    private readonly client: XClient,
    private readonly log: Logger,
  ) {}

  /** Connects to the display in `DISPLAY` and watches the whole root window; rejects when DAMAGE is not there. */
  static start(log: Logger, display = process.env['DISPLAY']): Promise<DamageWatcher> {
    // Loaded here, so that other systems never load it.
    const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
    return new Promise<DamageWatcher>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('the X server did not answer')), 5000);
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return fail(err);
        d.client.require('damage', (dmgErr, damage) => {
          clearTimeout(timer);
          if (dmgErr) return fail(new Error(`no DAMAGE extension: ${dmgErr.message}`));
          const watcher = new DamageWatcher(d.client, log);
          d.client.on('event', (ev) => {
            if (ev.name === 'DamageNotify' && ev.area) watcher.add({ x: ev.area.x, y: ev.area.y, width: ev.area.w, height: ev.area.h });
          });
          damage.Create(d.client.AllocID(), d.screen[0]!.root, damage.ReportLevel.RawRectangles);
          settled = true;
          resolve(watcher);
        });
      });
      client.on('error', (error) => {
        if (!settled) {
          clearTimeout(timer);
          fail(error ?? new Error('X connection error'));
        } else {
          log.warn(`X damage watcher: ${error?.message ?? 'connection error'}; changes are polled from now on`);
        }
      });
      client.on('end', () => log.debug('X damage watcher: connection closed'));
    });
  }

  changed(timeoutMs: number): Promise<void> {
    if (this.everything || this.rects.length > 0 || this.disposed) return Promise.resolve();
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

  private add(rect: Rect): void {
    if (rect.width <= 0 || rect.height <= 0) return;
    if (this.rects.length >= MAX_RECTS) {
      const all = [...this.rects, rect];
      const x0 = Math.min(...all.map((r) => r.x));
      const y0 = Math.min(...all.map((r) => r.y));
      const x1 = Math.max(...all.map((r) => r.x + r.width));
      const y1 = Math.max(...all.map((r) => r.y + r.height));
      this.rects = [{ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }];
    } else {
      this.rects.push(rect);
    }
    this.waiter?.();
  }
}
