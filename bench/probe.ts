/**
 * What the bench puts in the helper's page (product and peer alike), before the page's own scripts run: it
 * watches the view (the canvas that shows the host's screen) once per animation frame, which is as close to
 * "on the glass" as a page can see, and counts the bytes that arrive.
 *
 * `installProbe` runs in the page (Playwright serialises it): it may use nothing from this module but types.
 */

/** Where things are on the host's screen, in host pixels. */
export interface ProbeConfig {
  /** The view element; null, or when nothing matches: the largest canvas or video in the page. */
  readonly selector: string | null;
  /**
   * Only the selector's element is the view, looked for at most twice a second: for a page whose every frame gets
   * the probe (VS Code's workbench, editor.ts), where the largest canvas of another frame is not the picture.
   */
  readonly exclusive?: boolean;
  readonly screen: { readonly width: number; readonly height: number };
  /**
   * How the view's pixels map to the host's: false, the view holds the whole screen (scaled if its size differs:
   * the product); true, a view pixel is a host pixel from the top-left corner (noVNC, which clips the screen to
   * the browser window when the browser's scrollbars take no room, as headless Chromium's do).
   */
  readonly oneToOne: boolean;
  readonly barcode: { readonly x: number; readonly y: number; readonly cell: number; readonly cols: number; readonly rows: number };
  readonly target: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** The target's two colours (RGB). */
  readonly colours: { readonly a: readonly number[]; readonly b: readonly number[] };
}

/** The probe's face in the page, as `window.__bench`. */
export interface Probe {
  /** Barcode timestamps seen for the first time while recording: [drawn at (epoch ms), painted at (epoch ms)]. */
  observations: [number, number][];
  recording: boolean;
  /** Changes of the target's colour: [colour, performance.now()]. */
  targetChanges: [string, number][];
  /** performance time of the last pointerdown in the page. */
  lastDown: number;
  /** Animation frames run, and those in which the view could be read. */
  ticks: number;
  reads: number;
  /** Readings whose check passed, recording or not. */
  goodReads: number;
  /** Readings whose check failed (a torn or blurred barcode) while recording. */
  badReads: number;
  wsBytes: number;
  pcs: RTCPeerConnection[];
  targetColour(): string;
  /** Resolves with ms from the last pointerdown to the first animation frame showing `colour` after it, or -1. */
  waitForTarget(colour: string, timeoutMs: number): Promise<number>;
  /** Bytes received so far over WebRTC (transport level, every peer connection). */
  rtcBytes(): Promise<number>;
  /** Where a host screen point is in the page, for clicks. */
  pagePoint(x: number, y: number): { x: number; y: number } | null;
  /** The view's pixels as a PNG data URL, at the view's own resolution. */
  snapshot(): string | null;
  /** The view's resolution. */
  viewSize(): { width: number; height: number } | null;
}

export function installProbe(config: ProbeConfig): void {
  const w = window as unknown as { __bench: Probe };
  const probe: Probe = {
    observations: [],
    recording: false,
    targetChanges: [],
    lastDown: -1,
    ticks: 0,
    reads: 0,
    goodReads: 0,
    badReads: 0,
    wsBytes: 0,
    pcs: [],
    targetColour: () => lastColour,
    waitForTarget,
    rtcBytes,
    pagePoint,
    snapshot,
    viewSize,
  };
  w.__bench = probe;

  // Every peer connection the page makes (PeerJS makes one per data connection; a video call would add more),
  // and the bytes that arrive over WebSockets (noVNC's transport: payload, without framing or TCP/IP). The
  // constructors are wrapped, not subclassed: the objects stay the browser's own (noVNC checks the prototype).
  function wrap<T extends object>(Original: new (...a: never[]) => T, made: (o: T) => void): unknown {
    const Wrapped = function (...a: never[]): T {
      const o = new Original(...a);
      made(o);
      return o;
    };
    Wrapped.prototype = Original.prototype;
    Object.setPrototypeOf(Wrapped, Original); // statics: WebSocket.OPEN, RTCPeerConnection.generateCertificate
    return Wrapped;
  }
  if (window.RTCPeerConnection) {
    window.RTCPeerConnection = wrap(window.RTCPeerConnection, (pc) => probe.pcs.push(pc)) as typeof RTCPeerConnection;
  }
  window.WebSocket = wrap(window.WebSocket, (ws) =>
    ws.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as ArrayBuffer | Blob | string;
      probe.wsBytes += typeof d === 'string' ? d.length : d instanceof ArrayBuffer ? d.byteLength : d.size;
    }),
  ) as typeof WebSocket;

  // Which context each canvas has: the probe must never be the first to ask for one (a '2d' context taken before
  // the page's own 'webgl' or 'bitmaprenderer' would break the page).
  const contexts = new WeakMap<HTMLCanvasElement, unknown>();
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, ...args: unknown[]) {
    const ctx = (getContext as (...a: unknown[]) => unknown).apply(this, args);
    if (ctx && !contexts.has(this)) contexts.set(this, ctx);
    return ctx;
  } as typeof HTMLCanvasElement.prototype.getContext;

  const onDown = (e: PointerEvent): void => void (probe.lastDown = e.timeStamp);
  window.addEventListener('pointerdown', onDown, { capture: true });

  const lastRtc = new Map<RTCPeerConnection, number>();
  async function rtcBytes(): Promise<number> {
    for (const pc of probe.pcs) {
      try {
        const stats = await pc.getStats();
        let sum = 0;
        stats.forEach((s: { type?: string; bytesReceived?: number }) => {
          if (s.type === 'transport') sum += s.bytesReceived ?? 0;
        });
        lastRtc.set(pc, Math.max(sum, lastRtc.get(pc) ?? 0));
      } catch {
        // closed: keep its last count
      }
    }
    let total = 0;
    for (const v of lastRtc.values()) total += v;
    return total;
  }

  let view: HTMLCanvasElement | HTMLVideoElement | null = null;
  let scratch: CanvasRenderingContext2D | null = null;
  let lookedAt = -Infinity;
  function findView(): HTMLCanvasElement | HTMLVideoElement | null {
    if (view && view.isConnected) return view;
    if (config.exclusive) {
      if (performance.now() - lookedAt < 500) return null;
      lookedAt = performance.now();
    }
    view = config.selector ? (document.querySelector(config.selector) as HTMLCanvasElement | HTMLVideoElement | null) : null;
    if (!view && !config.exclusive) {
      // No such element (a viewer that changed): the largest canvas or video in the page.
      const area = (e: HTMLCanvasElement | HTMLVideoElement) => (e instanceof HTMLVideoElement ? e.videoWidth * e.videoHeight : e.width * e.height);
      let best: HTMLCanvasElement | HTMLVideoElement | null = null;
      for (const e of Array.from(document.querySelectorAll<HTMLCanvasElement | HTMLVideoElement>('canvas, video'))) {
        if (!best || area(e) > area(best)) best = e;
      }
      view = best;
    }
    return view;
  }
  function viewSize(): { width: number; height: number } | null {
    const v = findView();
    if (!v) return null;
    const width = v instanceof HTMLVideoElement ? v.videoWidth : v.width;
    const height = v instanceof HTMLVideoElement ? v.videoHeight : v.height;
    return width > 0 && height > 0 ? { width, height } : null;
  }
  /** The view's pixels in a host-pixel rectangle (scaled to the view's resolution), or null. */
  function read(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray; width: number; height: number } | null {
    const v = findView();
    const size = viewSize();
    if (!v || !size) return null;
    const sx = config.oneToOne ? 1 : size.width / config.screen.width;
    const sy = config.oneToOne ? 1 : size.height / config.screen.height;
    const rx = Math.round(x * sx);
    const ry = Math.round(y * sy);
    const rw = Math.max(1, Math.round(width * sx));
    const rh = Math.max(1, Math.round(height * sy));
    let own: CanvasRenderingContext2D | null = null;
    if (v instanceof HTMLCanvasElement) {
      const ctx = contexts.get(v);
      if (!ctx) return null; // nothing drawn yet
      if (ctx instanceof CanvasRenderingContext2D) own = ctx;
    }
    if (own) return { data: own.getImageData(rx, ry, rw, rh).data, width: rw, height: rh };
    // A video, or a canvas with a WebGL context: copy the rectangle out first.
    if (!scratch) scratch = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    if (!scratch) return null;
    if (scratch.canvas.width < rw) scratch.canvas.width = rw;
    if (scratch.canvas.height < rh) scratch.canvas.height = rh;
    scratch.drawImage(v, rx, ry, rw, rh, 0, 0, rw, rh);
    return { data: scratch.getImageData(0, 0, rw, rh).data, width: rw, height: rh };
  }

  /** Mean luminance of the middle half of each barcode cell; null when the view is not there. */
  function readBarcode(): number | null {
    const { x, y, cell, cols, rows } = config.barcode;
    const img = read(x, y, cols * cell, rows * cell);
    if (!img) return null;
    const cw = img.width / cols;
    const ch = img.height / rows;
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < cols * rows; i++) {
      const cx = (i % cols) * cw;
      const cy = Math.floor(i / cols) * ch;
      let sum = 0;
      let n = 0;
      for (let py = Math.floor(cy + ch / 4); py < Math.ceil(cy + (3 * ch) / 4); py++) {
        for (let px = Math.floor(cx + cw / 4); px < Math.ceil(cx + (3 * cw) / 4); px++) {
          const o = (py * img.width + px) * 4;
          sum += 0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!;
          n++;
        }
      }
      const bit = n > 0 && sum / n < 128 ? 1 : 0;
      // 48 bits: the first 32 are the time, the last 16 the check.
      if (i < 32) hi = hi * 2 + bit;
      else lo = lo * 2 + bit;
    }
    const check = ((hi >>> 16) ^ (hi & 0xffff) ^ 0x5a5a) & 0xffff;
    return check === lo ? hi : -1;
  }

  function colourAt(x: number, y: number): string {
    const img = read(x, y, 1, 1);
    if (!img) return '?';
    const px = [img.data[0]!, img.data[1]!, img.data[2]!];
    const dist = (c: readonly number[]) => c.reduce((s, v, i) => s + Math.abs(v - px[i]!), 0);
    const da = dist(config.colours.a);
    const db = dist(config.colours.b);
    if (Math.min(da, db) > 150) return '?';
    return da < db ? 'a' : 'b';
  }

  let lastValue = -1;
  let lastColour = '?';
  const TWO32 = 2 ** 32;
  function tick(): void {
    requestAnimationFrame(tick);
    probe.ticks++;
    let value: number | null;
    try {
      value = readBarcode();
      const colour = colourAt(config.target.x + config.target.width / 2, config.target.y + config.target.height / 2);
      if (colour !== lastColour && colour !== '?') {
        lastColour = colour;
        probe.targetChanges.push([colour, performance.now()]);
        if (probe.targetChanges.length > 1000) probe.targetChanges.splice(0, 500);
      }
    } catch {
      value = null;
    }
    if (value === null) return;
    probe.reads++;
    if (value < 0) {
      if (probe.recording) probe.badReads++;
      return;
    }
    probe.goodReads++;
    if (value === lastValue) return;
    lastValue = value;
    if (!probe.recording) return;
    const now = Date.now();
    let drawn = now - (now % TWO32) + value;
    if (drawn > now + 1000) drawn -= TWO32;
    const age = now - drawn;
    if (age < -50 || age > 30_000) return; // not a time of this run: a misread that passed the check
    probe.observations.push([drawn, now]);
  }
  requestAnimationFrame(tick);
  // A frame whose document is replaced by document.open() (VS Code's webview writes the panel into its frame so)
  // loses the animation-frame callbacks that were queued on the old document: start the loop again if it stalls.
  let ticksSeen = -1;
  // Its listeners may go with it too: adding the same one again is a no-op when it is still there.
  setInterval(() => {
    if (probe.ticks === ticksSeen) requestAnimationFrame(tick);
    ticksSeen = probe.ticks;
    window.addEventListener('pointerdown', onDown, { capture: true });
  }, 500);

  function waitForTarget(colour: string, timeoutMs: number): Promise<number> {
    const since = probe.lastDown;
    const end = performance.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const hit = probe.targetChanges.find(([c, at]) => c === colour && at >= since);
        if (hit) resolve(hit[1] - since);
        else if (performance.now() > end) resolve(-1);
        else setTimeout(check, 5);
      };
      check();
    });
  }

  function pagePoint(x: number, y: number): { x: number; y: number } | null {
    const v = findView();
    const size = viewSize();
    if (!v || !size) return null;
    const r = v.getBoundingClientRect();
    // `object-fit: contain` (the product) or a 1:1 canvas (noVNC): the same letterbox formula covers both.
    const scale = Math.min(r.width / size.width, r.height / size.height);
    const ox = r.left + (r.width - size.width * scale) / 2;
    const oy = r.top + (r.height - size.height * scale) / 2;
    const vx = config.oneToOne ? x + 0.5 : ((x + 0.5) * size.width) / config.screen.width;
    const vy = config.oneToOne ? y + 0.5 : ((y + 0.5) * size.height) / config.screen.height;
    return { x: ox + vx * scale, y: oy + vy * scale };
  }

  function snapshot(): string | null {
    const v = findView();
    const size = viewSize();
    if (!v || !size) return null;
    if (v instanceof HTMLCanvasElement) return v.toDataURL('image/png');
    const c = document.createElement('canvas');
    c.width = size.width;
    c.height = size.height;
    c.getContext('2d')!.drawImage(v, 0, 0);
    return c.toDataURL('image/png');
  }
}
