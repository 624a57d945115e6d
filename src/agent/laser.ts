/**
 * The helper's laser pointer on the host's own screen (issue 13): a small ring where the helper points on the
 * picture, for as long as it moves. Agent process only.
 *
 * On X11 it is an override-redirect window (no window manager frames, places or focuses it), raised over the others
 * at every move, shaped with the SHAPE extension into a ring (its bounding shape) and input-transparent (an empty
 * input shape: clicks, the wheel and hovering reach whatever is under it, the ring's hollow centre included). It is
 * two windows so that the server paints every pixel from window backgrounds and nothing is redrawn on Expose: a
 * dark ring, and in it a child window that is a thinner bright ring, so that it shows on light and dark content.
 *
 * X11 without a compositor has no window opacity, so the ring cannot fade out: after LASER_STILL_MS without a move
 * it is unmapped at once, and the next move shows it again. Being a real window, it is also in the captured picture,
 * so the helper sees it where the host sees it.
 *
 * Spoken with the `x11` package over a connection of its own, opened on the first point (as monitors.ts and
 * hostKeys.ts do theirs); opened again after it breaks. Elsewhere (Windows, macOS, an X server without SHAPE 1.1)
 * nothing is drawn, and the parent is told once why (`unavailable`).
 */

import type { Logger } from '../shared/log';
import type { LaserPoint } from '../shared/protocol';
import { ask } from './xRequest';

/** How long the laser pointer stays up without a move. */
export const LASER_STILL_MS = 1000;
/** The ring's outer diameter, in pixels. */
export const LASER_SIZE = 32;
/** The dark ring's radii and, inside it, the bright ring's: 2 px of dark on either side of 5 px of bright. */
const DARK = { outer: 16, inner: 7 } as const;
const BRIGHT = { outer: 14, inner: 9 } as const;
/** The bright ring's colour, in X's 16-bit channels: a saturated red, which reads on white, black and grey. */
const BRIGHT_RGB = [0xffff, 0x2000, 0x3000] as const;
/** WM_NAME, so that tools (and the tests) can find the window; nothing manages it. */
export const LASER_WINDOW_NAME = 'Remote Assist laser pointer';

/** A rectangle as the SHAPE extension takes it: x, y, width, height. */
export type ShapeRect = readonly [x: number, y: number, width: number, height: number];

/**
 * The pixels of a `size` x `size` square whose centres lie in the ring between radii `inner` (included) and `outer`
 * (excluded) around the square's centre, as one rectangle per run of pixels per row, top to bottom and left to
 * right (SHAPE's YXBanded order).
 */
export function ringRectangles(size: number, outer: number, inner: number): ShapeRect[] {
  const rects: ShapeRect[] = [];
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    let start = -1;
    for (let x = 0; x <= size; x++) {
      const d2 = (x + 0.5 - c) ** 2 + (y + 0.5 - c) ** 2;
      const inside = x < size && d2 < outer * outer && d2 >= inner * inner;
      if (inside && start < 0) start = x;
      if (!inside && start >= 0) {
        rects.push([start, y, x - start, 1]);
        start = -1;
      }
    }
  }
  return rects;
}

/** What draws the ring: an X11 window, or a fake in unit tests. Coordinates are the ring's centre, in desktop pixels. */
export interface LaserSurface {
  show(x: number, y: number): void;
  hide(): void;
  dispose(): void;
}

export interface LaserOptions {
  readonly log: Logger;
  /** Opens the surface (once, on the first point; again after `broken`); rejects with why it cannot be drawn here. */
  readonly open: (broken: (reason: string) => void) => Promise<LaserSurface>;
  /** A normalised point to desktop pixels, as input maps it (NutInput.desktopPoint: the area input drives). */
  readonly toDesktop: (at: LaserPoint) => { readonly x: number; readonly y: number };
  /** Called once if the laser cannot be drawn here; nothing is tried again after it. */
  readonly unavailable: (reason: string) => void;
  readonly stillMs?: number;
}

/** Where the laser is to be, what shows it, and when it hides; the surface is opened on the first point. */
export class LaserPointer {
  private surface: LaserSurface | undefined;
  private opening = false;
  private failed = false;
  private disposed = false;
  /** The last point asked for; undefined: hidden. */
  private wanted: LaserPoint | undefined;
  /** Where the ring is shown now, in desktop pixels; undefined: not shown. */
  private shownAt: { x: number; y: number } | undefined;
  private stillTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LaserOptions) {}

  /** Shows the laser at `at` (a move restarts the still timer), or hides it (undefined). */
  point(at: LaserPoint | undefined): void {
    if (this.failed || this.disposed) return;
    this.wanted = at;
    if (!at) return this.hide();
    if (this.surface) return this.apply();
    this.open();
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
    this.surface?.dispose();
    this.surface = undefined;
  }

  private apply(): void {
    const surface = this.surface;
    const at = this.wanted;
    if (!surface || !at) return;
    const p = this.options.toDesktop(at);
    // The same place again is not a move: the ring still hides when its time is up.
    if (this.shownAt && this.shownAt.x === p.x && this.shownAt.y === p.y) return;
    surface.show(p.x, p.y);
    this.shownAt = { x: p.x, y: p.y };
    this.clearTimer();
    this.stillTimer = setTimeout(() => {
      this.stillTimer = undefined;
      this.wanted = undefined;
      this.hide();
    }, this.options.stillMs ?? LASER_STILL_MS);
  }

  private hide(): void {
    this.clearTimer();
    if (this.shownAt) this.surface?.hide();
    this.shownAt = undefined;
  }

  private clearTimer(): void {
    if (this.stillTimer !== undefined) clearTimeout(this.stillTimer);
    this.stillTimer = undefined;
  }

  private open(): void {
    if (this.opening) return;
    this.opening = true;
    let made: LaserSurface | undefined;
    const opened = this.options.open((reason) => {
      if (!made || this.surface !== made) return;
      this.options.log.debug(`laser pointer: the X connection broke (${reason}); a new one is opened at the next point`);
      this.surface = undefined;
      this.shownAt = undefined;
      this.clearTimer();
    });
    opened.then(
      (surface) => {
        this.opening = false;
        made = surface;
        if (this.disposed) return surface.dispose();
        this.surface = surface;
        this.apply();
      },
      (error: unknown) => {
        this.opening = false;
        this.failed = true;
        const reason = error instanceof Error ? error.message : String(error);
        this.options.log.warn(`the laser pointer cannot be drawn on this screen: ${reason}`);
        this.options.unavailable(reason);
      },
    );
  }
}

/** How the agent opens the laser's surface on this system: an X11 window on Linux, nothing elsewhere. */
export function openLaserSurface(log: Logger): (broken: (reason: string) => void) => Promise<LaserSurface> {
  if (process.platform !== 'linux') {
    return () => Promise.reject(new Error(`it is drawn on Linux with X11 only, not on ${process.platform}`));
  }
  return (broken) => X11Laser.open(log, broken);
}

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  AllocID(): number;
  CreateWindow(id: number, parent: number, x: number, y: number, width: number, height: number, border: number, depth: number, klass: number, visual: number, values: Record<string, number>): void;
  ChangeProperty(mode: number, window: number, property: number, type: number, format: number, data: string): void;
  ConfigureWindow(window: number, values: Record<string, number>): void;
  MapWindow(window: number): void;
  UnmapWindow(window: number): void;
  GetWindowAttributes(window: number, cb: (err: Error | null, attributes: { mapState: number }) => unknown): void;
  AllocColor(colormap: number, red: number, green: number, blue: number, cb: (err: Error | null, color: { pixel: number }) => unknown): void;
  require(name: 'shape', cb: (err: Error | null, ext: ShapeExt) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface ShapeExt {
  readonly Kind: { readonly Bounding: number; readonly Input: number };
  readonly Op: { readonly Set: number };
  readonly Ordering: { readonly Unsorted: number; readonly YXBanded: number };
  QueryVersion(cb: (err: Error | null, version: [number, number]) => unknown): void;
  Rectangles(op: number, kind: number, window: number, x: number, y: number, rectangles: readonly ShapeRect[], ordering: number): void;
}
interface XScreen {
  readonly root: number;
  readonly default_colormap: number;
  readonly black_pixel: number;
  readonly white_pixel: number;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly XScreen[];
}

/** X11 predefined atoms (Xatom.h). */
const XA_STRING = 31;
const XA_WM_NAME = 39;
const XA_WM_CLASS = 67;
/** CreateWindow's class. */
const INPUT_OUTPUT = 1;
/** ConfigureWindow's stack mode. */
const ABOVE = 0;
const CONNECT_TIMEOUT_MS = 5000;


/** The ring as two X windows on the first screen of DISPLAY. */
export class X11Laser implements LaserSurface {
  private mapped = false;
  private closed = false;

  private constructor(
    private readonly client: XClient,
    private readonly window: number,
  ) {}

  /** Connects, checks SHAPE 1.1 (input shapes), and makes the windows, unmapped. */
  static open(log: Logger, broken: (reason: string) => void, display = process.env['DISPLAY']): Promise<X11Laser> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, on Linux only
    const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
    return new Promise<X11Laser>((resolve, reject) => {
      let settled = false;
      let laser: X11Laser | undefined;
      const end = (): void => {
        try {
          (client.terminate ?? client.close)?.call(client);
        } catch {
          // already gone
        }
      };
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        end();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('the X server did not answer')), CONNECT_TIMEOUT_MS);
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return fail(err);
        const screen = d.screen[0]!;
        try {
          d.client.require('shape', (shapeErr, shape) => {
            if (shapeErr) return fail(new Error(`the X server has no SHAPE extension (${shapeErr.message})`));
            X11Laser.make(d.client, screen, shape).then(
              (made) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                laser = made;
                resolve(made);
              },
              (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
            );
          });
        } catch (error) {
          // The package's shape module throws, rather than answers, when QueryExtension itself fails.
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
      client.on('error', (error) => {
        if (!settled) return fail(error ?? new Error('X connection error'));
        log.warn(`laser pointer: ${error?.message ?? 'X connection error'}`);
      });
      client.on('end', () => {
        if (!settled) return fail(new Error('the X server closed the connection'));
        if (laser && !laser.closed) broken('the X server closed the connection');
      });
    });
  }

  private static async make(client: XClient, screen: XScreen, shape: ShapeExt): Promise<X11Laser> {
    const [major, minor] = await ask<[number, number]>((cb) => shape.QueryVersion(cb));
    // Without input shapes (SHAPE 1.1) the ring would take the host's clicks: better not drawn at all.
    if (major < 1 || (major === 1 && minor < 1)) throw new Error(`the X server's SHAPE extension is ${major}.${minor}, without input shapes (1.1)`);
    const bright = await ask<{ pixel: number }>((cb) => client.AllocColor(screen.default_colormap, ...BRIGHT_RGB, cb)).then(
      (c) => c.pixel,
      () => screen.white_pixel,
    );
    const window = client.AllocID();
    const inner = client.AllocID();
    client.CreateWindow(window, screen.root, 0, 0, LASER_SIZE, LASER_SIZE, 0, 0, INPUT_OUTPUT, 0, { backgroundPixel: screen.black_pixel, overrideRedirect: 1 });
    client.CreateWindow(inner, window, 0, 0, LASER_SIZE, LASER_SIZE, 0, 0, INPUT_OUTPUT, 0, { backgroundPixel: bright });
    const { Kind, Op, Ordering } = shape;
    shape.Rectangles(Op.Set, Kind.Bounding, window, 0, 0, ringRectangles(LASER_SIZE, DARK.outer, DARK.inner), Ordering.YXBanded);
    shape.Rectangles(Op.Set, Kind.Bounding, inner, 0, 0, ringRectangles(LASER_SIZE, BRIGHT.outer, BRIGHT.inner), Ordering.YXBanded);
    // No rectangles: an empty input region, so that the pointer is never in either window.
    shape.Rectangles(Op.Set, Kind.Input, window, 0, 0, [], Ordering.Unsorted);
    shape.Rectangles(Op.Set, Kind.Input, inner, 0, 0, [], Ordering.Unsorted);
    client.ChangeProperty(0, window, XA_WM_NAME, XA_STRING, 8, LASER_WINDOW_NAME);
    client.ChangeProperty(0, window, XA_WM_CLASS, XA_STRING, 8, 'remote-assist-laser\0RemoteAssist\0');
    client.MapWindow(inner);
    // One round trip: the requests above were taken (an error in them would have come first).
    await ask((cb) => client.GetWindowAttributes(window, cb));
    return new X11Laser(client, window);
  }

  show(x: number, y: number): void {
    if (this.closed) return;
    const half = LASER_SIZE / 2;
    // Raised at every move: a window mapped since then must not hide it.
    this.client.ConfigureWindow(this.window, { x: Math.round(x - half), y: Math.round(y - half), stackMode: ABOVE });
    if (!this.mapped) this.client.MapWindow(this.window);
    this.mapped = true;
  }

  hide(): void {
    if (this.closed || !this.mapped) return;
    this.client.UnmapWindow(this.window);
    this.mapped = false;
  }

  /** Closing the connection destroys its windows. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      (this.client.terminate ?? this.client.close)?.call(this.client);
    } catch {
      // already gone
    }
  }
}
