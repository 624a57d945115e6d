/**
 * X probes for windows the tests did not make themselves (the agent's laser pointer, agent/laser.ts): read back from
 * the X server over a connection of the test's own, with the `x11` package the agent speaks too. Also a plain window
 * that records the clicks it gets, to see where a click lands.
 */

interface XClient {
  AllocID(): number;
  CreateWindow(id: number, parent: number, x: number, y: number, width: number, height: number, border: number, depth: number, klass: number, visual: number, values: Record<string, number>): void;
  MapWindow(window: number): void;
  QueryTree(window: number, cb: (err: Error | null, tree: { children: number[] }) => void): void;
  GetProperty(del: number, window: number, property: number, type: number, offset: number, length: number, cb: (err: Error | null, prop: { data: Buffer }) => void): void;
  GetWindowAttributes(window: number, cb: (err: Error | null, attributes: { mapState: number; overrideRedirect: number }) => void): void;
  GetGeometry(window: number, cb: (err: Error | null, geometry: { xPos: number; yPos: number; width: number; height: number }) => void): void;
  QueryPointer(window: number, cb: (err: Error | null, pointer: { child: number }) => void): void;
  require(name: 'shape', cb: (err: Error | null, ext: ShapeExt) => void): void;
  on(event: 'event', listener: (ev: { name?: string; wid?: number; x?: number; y?: number }) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  terminate(): void;
}
interface ShapeExt {
  readonly Kind: { readonly Bounding: number; readonly Input: number };
  GetRectangles(window: number, kind: number, cb: (err: Error | null, shape: { rectangles: [number, number, number, number][] }) => void): void;
}

const XA_STRING = 31;
const XA_WM_NAME = 39;
/** GetWindowAttributes' map state. */
export const IS_VIEWABLE = 2;

function ask<T>(send: (cb: (err: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => send((err, result) => (err ? reject(err) : resolve(result))));
}

/** What the X server says of one window. */
export interface WindowFacts {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly viewable: boolean;
  readonly overrideRedirect: boolean;
  /** The SHAPE input region's rectangles (x, y, width, height): empty means clicks go through. */
  readonly inputShape: readonly (readonly number[])[];
  readonly boundingShape: readonly (readonly number[])[];
}

export class XProbe {
  private constructor(
    private readonly client: XClient,
    private readonly root: number,
    private readonly shape: ShapeExt,
  ) {}

  static open(display: string): Promise<XProbe> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the x11 package has no types
    const x11 = require('x11') as { createClient(o: { display: string }, cb: (err: Error | null, d: { client: XClient; screen: { root: number }[] }) => void): XClient };
    return new Promise((resolve, reject) => {
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return reject(err);
        d.client.require('shape', (shapeErr, shape) => (shapeErr ? reject(shapeErr) : resolve(new XProbe(d.client, d.screen[0]!.root, shape))));
      });
      client.on('error', (error) => reject(error));
    });
  }

  /** The top-level window whose WM_NAME is `name`, or undefined. */
  async find(name: string): Promise<number | undefined> {
    const tree = await ask<{ children: number[] }>((cb) => this.client.QueryTree(this.root, cb));
    for (const id of tree.children) {
      const prop = await ask<{ data: Buffer }>((cb) => this.client.GetProperty(0, id, XA_WM_NAME, XA_STRING, 0, 100, cb)).catch(() => undefined);
      if (prop?.data && prop.data.toString('latin1') === name) return id;
    }
    return undefined;
  }

  async facts(id: number): Promise<WindowFacts> {
    const attributes = await ask<{ mapState: number; overrideRedirect: number }>((cb) => this.client.GetWindowAttributes(id, cb));
    const g = await ask<{ xPos: number; yPos: number; width: number; height: number }>((cb) => this.client.GetGeometry(id, cb));
    const input = await ask<{ rectangles: [number, number, number, number][] }>((cb) => this.shape.GetRectangles(id, this.shape.Kind.Input, cb));
    const bounding = await ask<{ rectangles: [number, number, number, number][] }>((cb) => this.shape.GetRectangles(id, this.shape.Kind.Bounding, cb));
    return {
      id,
      x: g.xPos,
      y: g.yPos,
      width: g.width,
      height: g.height,
      viewable: attributes.mapState === IS_VIEWABLE,
      overrideRedirect: attributes.overrideRedirect !== 0,
      inputShape: input.rectangles,
      boundingShape: bounding.rectangles,
    };
  }

  /** The top-level window the pointer is in, as X decides for input (input shapes included). */
  async pointerWindow(): Promise<number> {
    return (await ask<{ child: number }>((cb) => this.client.QueryPointer(this.root, cb))).child;
  }

  /** A plain mapped window that records the button presses it gets (in its own coordinates). */
  clickTarget(x: number, y: number, width: number, height: number): { readonly id: number; readonly presses: { x: number; y: number }[] } {
    const id = this.client.AllocID();
    const presses: { x: number; y: number }[] = [];
    // InputOutput, white, ButtonPress events.
    this.client.CreateWindow(id, this.root, x, y, width, height, 0, 0, 1, 0, { backgroundPixel: 0xffffff, eventMask: 0x4 });
    this.client.MapWindow(id);
    this.client.on('event', (ev) => {
      if (ev.name === 'ButtonPress' && ev.wid === id) presses.push({ x: ev.x ?? -1, y: ev.y ?? -1 });
    });
    return { id, presses };
  }

  close(): void {
    this.client.terminate();
  }
}
