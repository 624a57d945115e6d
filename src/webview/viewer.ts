/**
 * The host's screen on a canvas, and the helper's mouse and keyboard captured on it (as noVNC's display
 * and input modules). The canvas holds the picture at its own size; CSS scales it to the panel with
 * `object-fit: contain`, so pointer positions are mapped through the same letterbox.
 *
 * Whole pictures never queue: while one decodes, only the newest waiting one is kept. Screen updates (deltas,
 * see screenUpdate.ts) are all applied, in order; the host keeps at most a couple in flight. Every frame is
 * handed back through `frameDone`, in order, once drawn or once skipped.
 *
 * Input is only captured while controlling; otherwise the panel is view-only and lets every key through to
 * VS Code.
 */

import type { ReceivedFrame } from '../shared/frames';
import { parseUpdate, type ScreenUpdate } from '../shared/screenUpdate';
import { RemotePointer } from './pointer';
import { MODIFIER_CODES, isKnownKeyCode, toUnit } from '../shared/keys';
import type { MouseButton } from '../shared/protocol';
import type { LogLevel } from './bridge';
import type { InputMessage } from './helperSession';

export interface ViewerEvents {
  sendInput(message: InputMessage): void;
  /** The viewer is done with frame `id` (drawn or skipped). */
  frameDone(id: number): void;
  /** The first picture is on the canvas. */
  firstFrame(): void;
  /** The picture is lost (an update did not decode): the host should send the whole screen again. */
  lostPicture(): void;
  /** The helper pressed the key that leaves the remote screen (Ctrl+Alt+Home). */
  leaveKeyboard(): void;
  log(level: LogLevel, message: string): void;
}

/** `PointerEvent.buttons` bits, and what the host calls them. */
const BUTTON_BITS: readonly (readonly [number, MouseButton])[] = [
  [1, 'left'],
  [2, 'right'],
  [4, 'middle'],
];
/** Wheel notches per unit of `deltaY`, by `deltaMode` (pixels, lines, pages). */
const NOTCHES_PER_DELTA = [1 / 100, 1 / 3, 10] as const;
const MAX_NOTCHES = 50;

type EventMap = HTMLElementEventMap & DocumentEventMap;

interface PreparedUpdate {
  readonly update: ScreenUpdate;
  /** The decoded image of each image operation (undefined for copies). */
  readonly bitmaps: readonly (ImageBitmap | undefined)[];
  readonly failed: boolean;
}

export class Viewer {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly cleanup: (() => void)[] = [];
  private controlling = false;
  private disposed = false;
  /** The host's screen in pixels (what normalised coordinates refer to). */
  private screenWidth = 0;
  private screenHeight = 0;
  // Frames
  private decoding = false;
  private pending: ReceivedFrame | undefined;
  /** Screen updates waiting to be applied, in order, their images decoding. */
  private readonly updates: { frame: ReceivedFrame; ready: Promise<PreparedUpdate | undefined> }[] = [];
  /** A full update was applied: deltas have a picture to apply to. */
  private hasKey = false;
  /** The host was asked for the whole screen and has not sent it yet. */
  private refreshAsked = false;
  private skipped: number[] = [];
  private drawn = 0;
  private decodeErrors = 0;
  // Input
  /** Buttons we reported down, as `PointerEvent.buttons` bits. */
  private buttons = 0;
  private pendingMove: { x: number; y: number } | undefined;
  private lastMove: { x: number; y: number } | undefined;
  private moveFrame: number | undefined;

  private readonly pointer: RemotePointer | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: ViewerEvents,
    /** A canvas over `canvas` (same box, no pointer events) where the host's pointer is drawn. */
    pointerOverlay?: HTMLCanvasElement,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.pointer = pointerOverlay ? new RemotePointer(pointerOverlay, canvas) : undefined;
    canvas.tabIndex = 0;

    this.listen(canvas, 'pointerdown', (e) => this.onPointerDown(e));
    this.listen(canvas, 'pointermove', (e) => this.onPointer(e));
    this.listen(canvas, 'pointerup', (e) => this.onPointer(e));
    this.listen(canvas, 'pointercancel', () => this.releaseButtons());
    this.listen(canvas, 'lostpointercapture', () => this.releaseButtons());
    // Without this, a middle press starts Chromium's autoscroll and a drag selects the toolbar's text.
    this.listen(canvas, 'mousedown', (e) => {
      if (this.controlling) e.preventDefault();
    });
    this.listen(canvas, 'auxclick', (e) => {
      if (this.controlling) e.preventDefault();
    });
    this.listen(canvas, 'contextmenu', (e) => e.preventDefault());
    this.listen(canvas, 'wheel', (e) => this.onWheel(e), { passive: false });
    this.listen(canvas, 'keydown', (e) => this.onKey(e, true));
    this.listen(canvas, 'keyup', (e) => this.onKey(e, false));
    this.listen(canvas, 'blur', () => this.releaseAll());
    this.listen(window, 'blur', () => this.releaseAll());
    this.listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.releaseAll();
    });
  }

  /** The host's screen size, from `viewGranted`; frames may update it. */
  setScreenSize(width: number, height: number): void {
    this.screenWidth = width;
    this.screenHeight = height;
    if (this.drawn === 0) this.resize(width, height);
  }

  /** Turns input capture on or off. Off forgets local presses (the session releases them on the host). */
  setControlling(on: boolean): void {
    if (on === this.controlling) return;
    this.controlling = on;
    this.buttons = 0;
    this.pendingMove = undefined;
    this.lastMove = undefined;
    if (this.moveFrame !== undefined) cancelAnimationFrame(this.moveFrame);
    this.moveFrame = undefined;
    this.canvas.dataset['controlling'] = String(on);
    this.pointer?.setControlling(on);
  }

  focus(): void {
    this.canvas.focus({ preventScroll: true });
  }

  /**
   * Shows a frame. A whole picture is drawn at once if the decoder is free, else kept as the one waiting
   * picture (replacing an older one). A screen update is never skipped: it is a delta on the picture before it,
   * so updates are applied in order, their images decoding in parallel as soon as they arrive.
   */
  present(frame: ReceivedFrame): void {
    if (this.disposed) {
      this.events.frameDone(frame.id);
      return;
    }
    if (frame.format === 'update') {
      this.updates.push({ frame, ready: this.prepare(frame) });
      if (!this.decoding) void this.drain();
      return;
    }
    if (this.decoding) {
      if (this.pending) this.skipped.push(this.pending.id);
      this.pending = frame;
      return;
    }
    void this.decode(frame);
  }

  dispose(): void {
    this.disposed = true;
    this.setControlling(false);
    this.pointer?.dispose();
    for (const off of this.cleanup.splice(0)) off();
  }

  // --- Drawing ---

  private async decode(frame: ReceivedFrame): Promise<void> {
    this.decoding = true;
    try {
      const blob = new Blob([frame.data as Uint8Array<ArrayBuffer>], { type: frame.format === 'png' ? 'image/png' : 'image/jpeg' });
      const bitmap = await createImageBitmap(blob);
      try {
        if (!this.disposed) this.draw(bitmap, frame);
      } finally {
        bitmap.close();
      }
    } catch (error) {
      // A frame that does not decode is skipped; the next one replaces it.
      if (this.decodeErrors++ < 5) this.events.log('warn', `[viewer] frame ${frame.id} did not decode: ${String(error)}`);
    }
    this.decoding = false;
    this.events.frameDone(frame.id);
    for (const id of this.skipped.splice(0)) this.events.frameDone(id);
    const next = this.pending;
    this.pending = undefined;
    if (next) void this.decode(next);
    else if (this.updates.length > 0) void this.drain();
  }

  /** Parses an update and starts decoding its images; undefined when it is malformed. */
  private prepare(frame: ReceivedFrame): Promise<PreparedUpdate | undefined> {
    const update = parseUpdate(frame.data, frame.width, frame.height);
    if (!update) return Promise.resolve(undefined);
    const png = (bytes: Uint8Array) => createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    const images = update.ops.map((op) => (op.kind === 'image' ? png(op.png) : op.kind === 'pointer' && op.shape ? png(op.shape.png) : undefined));
    return Promise.allSettled(images).then((settled) => ({
      update,
      bitmaps: settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)),
      // A pointer shape that does not decode only leaves the old shape.
      failed: settled.some((r, i) => update.ops[i]!.kind === 'image' && r.status === 'rejected'),
    }));
  }

  /** Applies the waiting updates, in order. */
  private async drain(): Promise<void> {
    this.decoding = true;
    while (this.updates.length > 0 && !this.pending) {
      const { frame, ready } = this.updates.shift()!;
      const prepared = await ready;
      try {
        if (!prepared || prepared.failed) {
          // The picture is now wrong until the next full update: stop drawing deltas and ask for one.
          if (this.decodeErrors++ < 5) this.events.log('warn', `[viewer] update ${frame.id} is malformed or did not decode`);
          this.losePicture();
        } else if (!this.disposed) {
          this.apply(frame, prepared);
        }
      } finally {
        // The pointer keeps its shape's bitmap; the rest are drawn and done.
        prepared?.bitmaps.forEach((b, i) => {
          if (prepared.update.ops[i]!.kind !== 'pointer' || prepared.failed || this.disposed) b?.close();
        });
      }
      this.events.frameDone(frame.id);
    }
    this.decoding = false;
    if (this.pending) {
      const next = this.pending;
      this.pending = undefined;
      void this.decode(next);
    }
  }

  private losePicture(): void {
    this.hasKey = false;
    if (this.refreshAsked || this.disposed) return;
    this.refreshAsked = true;
    this.events.lostPicture();
  }

  private apply(frame: ReceivedFrame, { update, bitmaps }: PreparedUpdate): void {
    if (update.full) {
      this.hasKey = true;
      this.refreshAsked = false;
      this.resize(frame.width, frame.height);
      this.pointer?.resize(frame.width, frame.height);
    } else if (!this.hasKey || this.canvas.width !== frame.width || this.canvas.height !== frame.height) {
      this.losePicture(); // a delta on a picture we do not have
      return;
    }
    this.screenWidth = frame.width;
    this.screenHeight = frame.height;
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    update.ops.forEach((op, i) => {
      if (op.kind === 'pointer') {
        if (this.pointer) this.pointer.update(op.at, op.shape, bitmaps[i]);
        else bitmaps[i]?.close();
        return;
      }
      const { x, y, width, height } = op.rect;
      if (op.kind === 'copy') ctx.drawImage(this.canvas, x, y, width, height, x + op.dx, y + op.dy, width, height);
      else ctx.drawImage(bitmaps[i]!, x, y);
    });
    this.drawn++;
    this.canvas.dataset['frames'] = String(this.drawn);
    this.canvas.dataset['lastFrame'] = String(frame.id);
    if (this.drawn === 1) this.events.firstFrame();
  }

  private draw(bitmap: ImageBitmap, frame: ReceivedFrame): void {
    this.screenWidth = frame.width;
    this.screenHeight = frame.height;
    // The canvas holds the picture pixel for pixel; the browser scales it to the panel.
    this.resize(bitmap.width, bitmap.height);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = 'high';
    this.ctx.drawImage(bitmap, 0, 0);
    this.drawn++;
    this.canvas.dataset['frames'] = String(this.drawn);
    this.canvas.dataset['lastFrame'] = String(frame.id);
    if (this.drawn === 1) this.events.firstFrame();
  }

  private resize(width: number, height: number): void {
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
  }

  // --- Pointer ---

  /** Normalised position on the host's screen; points in the letterbox clamp to the nearest edge. */
  private toScreen(clientX: number, clientY: number): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    const pictureWidth = this.canvas.width || 1;
    const pictureHeight = this.canvas.height || 1;
    const scale = Math.min(rect.width / pictureWidth, rect.height / pictureHeight);
    const width = pictureWidth * scale;
    const height = pictureHeight * scale;
    if (!(width > 0 && height > 0)) return { x: 0.5, y: 0.5 };
    const rx = (clientX - rect.left - (rect.width - width) / 2) / width;
    const ry = (clientY - rect.top - (rect.height - height) / 2) / height;
    return { x: unit(rx, this.screenWidth || pictureWidth), y: unit(ry, this.screenHeight || pictureHeight) };
  }

  private onPointerDown(e: PointerEvent): void {
    this.focus();
    if (!this.controlling) return;
    e.preventDefault();
    // A drag that leaves the canvas still ends here, with its up.
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // the pointer may already be gone
    }
    this.onPointer(e);
  }

  /** Reports button changes (any chord) at once, and moves once per animation frame. */
  private onPointer(e: PointerEvent): void {
    if (!this.controlling) return;
    const p = this.toScreen(e.clientX, e.clientY);
    const mask = e.buttons & 7;
    if (mask !== this.buttons) {
      // The button message carries the position: a move waiting for the next frame is now stale.
      this.pendingMove = undefined;
      for (const [bit, button] of BUTTON_BITS) {
        if ((mask & bit) !== (this.buttons & bit)) {
          this.events.sendInput({ type: 'pointerButton', button, down: (mask & bit) !== 0, x: p.x, y: p.y });
        }
      }
      this.buttons = mask;
      this.lastMove = p;
      return;
    }
    if (e.type !== 'pointermove') return;
    this.pendingMove = p;
    this.moveFrame ??= requestAnimationFrame(() => this.flushMove());
  }

  private flushMove(): void {
    this.moveFrame = undefined;
    const p = this.pendingMove;
    this.pendingMove = undefined;
    if (!p || !this.controlling) return;
    if (this.lastMove && this.lastMove.x === p.x && this.lastMove.y === p.y) return;
    this.lastMove = p;
    this.events.sendInput({ type: 'pointerMove', x: p.x, y: p.y });
  }

  /** The pointer was taken away mid-press: let go of what it held. */
  private releaseButtons(): void {
    if (!this.controlling || this.buttons === 0) return;
    const p = this.lastMove ?? { x: 0.5, y: 0.5 };
    for (const [bit, button] of BUTTON_BITS) {
      if (this.buttons & bit) this.events.sendInput({ type: 'pointerButton', button, down: false, x: p.x, y: p.y });
    }
    this.buttons = 0;
  }

  private onWheel(e: WheelEvent): void {
    if (!this.controlling) return;
    e.preventDefault();
    const perDelta = NOTCHES_PER_DELTA[e.deltaMode] ?? NOTCHES_PER_DELTA[0];
    const dx = notches(e.deltaX * perDelta);
    const dy = notches(e.deltaY * perDelta);
    if (dx !== 0 || dy !== 0) this.events.sendInput({ type: 'wheel', dx, dy });
  }

  // --- Keyboard ---

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (!this.controlling) return;
    if (down && e.code === 'Home' && e.ctrlKey && e.altKey) {
      // The way out of the remote screen by keyboard alone (as Remote Desktop's Ctrl+Alt+Home).
      e.preventDefault();
      e.stopPropagation();
      this.events.leaveKeyboard();
      return;
    }
    if (!isKnownKeyCode(e.code)) return;
    e.preventDefault();
    // Keep VS Code's keybindings (which listen on the window) from acting on keys meant for the host;
    // modifiers alone still reach it so its idea of which modifiers are down stays right.
    if (!MODIFIER_CODES.has(e.code)) e.stopPropagation();
    this.events.sendInput({ type: 'key', code: e.code, down });
  }

  /** Focus left (or the panel was hidden): the host lets go of everything, and so do we. */
  private releaseAll(): void {
    if (!this.controlling) return;
    this.buttons = 0;
    this.events.sendInput({ type: 'releaseAll' });
  }

  private listen<K extends keyof EventMap>(
    target: HTMLElement | Window | Document,
    type: K,
    handler: (event: EventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    const listener = handler as EventListener;
    target.addEventListener(type, listener, options);
    this.cleanup.push(() => target.removeEventListener(type, listener, options));
  }
}

/** A fraction of the picture (possibly outside 0..1) to the normalised centre of the screen pixel under it. */
function unit(fraction: number, size: number): number {
  const pixel = Math.min(Math.max(Math.floor(fraction * size), 0), size - 1);
  return toUnit(pixel, size);
}

/** Rounds to whole notches, at least one either way when there was any movement. */
function notches(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return 0;
  const n = Math.max(1, Math.round(Math.abs(value)));
  return Math.sign(value) * Math.min(n, MAX_NOTCHES);
}
