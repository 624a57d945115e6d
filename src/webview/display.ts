/**
 * The helper's panel (webview): the host's screen on a canvas (as noVNC's display). The canvas holds the picture
 * at its own size, pixel for pixel; `ScreenView` (below) sizes its box on the page for the view mode (fit, 1:1,
 * zoom: viewMode.ts) and lets the box around it scroll. The canvas's box is the picture, with no letterbox, so
 * input.ts maps pointer positions through that box alone, in every mode.
 *
 * Frames arrive checked (mediaReceiver.ts: sizes, pixel budget, frames in flight). Whole pictures never queue:
 * while one decodes, only the newest waiting one is kept. Screen updates (deltas, see screenUpdate.ts) are all
 * applied, in order, and decoded one update at a time, so that at most one update's pictures are decoded at
 * once. Every frame is handed back through `frameDone`, in order, once drawn or once skipped.
 */

import { assertNever } from '../shared/protocol';
import type { Rect, ScreenUpdate } from '../shared/screenUpdate';
import type { LogLevel } from './bridge';
import type { ScreenFrame } from './mediaReceiver';
import { RemotePointer } from './pointer';
import { ACTUAL, FIT, followScroll, layout, pictureOffset, zoomIn, zoomOut, type Layout, type Size, type ViewCommand, type ViewMode, type ViewState } from './viewMode';

export interface DisplayEvents {
  /** The display is done with frame `id` (drawn or skipped). */
  frameDone(id: number): void;
  /** The first picture is on the canvas. */
  firstFrame(): void;
  /** The picture is lost (an update did not decode): the host should send the whole screen again. */
  lostPicture(): void;
  log(level: LogLevel, message: string): void;
}

type PictureFrame = Extract<ScreenFrame, { kind: 'picture' }>;
type UpdateFrame = Extract<ScreenFrame, { kind: 'update' }>;

interface DecodedUpdate {
  readonly update: ScreenUpdate;
  /** The decoded image of each image operation (undefined for copies). */
  readonly bitmaps: readonly (ImageBitmap | undefined)[];
  readonly failed: boolean;
}

/**
 * Decodes an image with the browser's own decoders, off the main thread: through WebCodecs' ImageDecoder where there
 * is one (Chromium, so VS Code's webviews), else through a Blob. A Blob is registered with the browser process: in a
 * profile of the panel while a page scrolled at ~40 updates a second, the Blob constructor alone took a quarter of a
 * core of the renderer's main thread (and the browser process ~20 % more), more than the decoding.
 */
async function decodeImage(bytes: Uint8Array, type: 'image/png' | 'image/webp' | 'image/jpeg'): Promise<ImageBitmap> {
  if (typeof ImageDecoder === 'undefined') return createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const decoder = new ImageDecoder({ data: bytes as Uint8Array<ArrayBuffer>, type });
  try {
    const { image } = await decoder.decode();
    try {
      return await createImageBitmap(image);
    } finally {
      image.close();
    }
  } finally {
    decoder.close();
  }
}

export class Display {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly pointer: RemotePointer | undefined;
  private disposed = false;
  /** The host's screen in pixels (what normalised coordinates refer to). */
  private screen = { width: 0, height: 0 };
  /** A picture or an update is being decoded. */
  private busy = false;
  private pending: PictureFrame | undefined;
  /** Screen updates waiting, in order, not yet decoded (mediaReceiver.ts bounds how many). */
  private readonly updates: UpdateFrame[] = [];
  /** A full update was applied: deltas have a picture to apply to. */
  private hasKey = false;
  /** The host was asked for the whole screen and has not sent it yet. */
  private refreshAsked = false;
  private skipped: number[] = [];
  private drawn = 0;
  private decodeErrors = 0;
  /** Where copies inside the picture go through (see copy()); made at the first copy, grown as copies need. */
  private scratch: { readonly canvas: HTMLCanvasElement; readonly ctx: CanvasRenderingContext2D } | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: DisplayEvents,
    /** A canvas over `canvas` (same box, no pointer events) where the host's pointer is drawn. */
    pointerOverlay?: HTMLCanvasElement,
    /** Sizes the canvas's box on the page; told of the picture's size and of the host pointer's moves. */
    private readonly view?: ScreenView,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.pointer = pointerOverlay ? new RemotePointer(pointerOverlay, canvas) : undefined;
  }

  /** Whether the picture is whole and exact as the updates made it (none failed since the last whole screen). */
  get holdsPicture(): boolean {
    return this.hasKey && !this.refreshAsked && !this.disposed;
  }

  /** The host's screen size (from `viewGranted`, then from the frames), 0 x 0 before it is known. */
  get screenSize(): { readonly width: number; readonly height: number } {
    return this.screen;
  }

  /** The host's screen size, from `viewGranted`; frames may update it. */
  setScreenSize(width: number, height: number): void {
    this.screen = { width, height };
    if (this.drawn === 0) this.resize(width, height);
  }

  /** While controlling, the host's pointer is the helper's own (see pointer.ts). */
  setControlling(on: boolean): void {
    this.pointer?.setControlling(on);
  }

  /**
   * Shows a frame. A whole picture is drawn at once if the decoder is free, else kept as the one waiting
   * picture (replacing an older one). A screen update is never skipped: it is a delta on the picture before it,
   * so updates are applied in order.
   */
  present(frame: ScreenFrame): void {
    if (this.disposed) {
      this.events.frameDone(frame.id);
      return;
    }
    if (frame.kind === 'update') {
      this.updates.push(frame);
      if (!this.busy) void this.drain();
      return;
    }
    if (this.busy) {
      if (this.pending) this.skipped.push(this.pending.id);
      this.pending = frame;
      return;
    }
    void this.decodePicture(frame);
  }

  dispose(): void {
    this.disposed = true;
    this.pointer?.setControlling(false);
    this.pointer?.dispose();
  }

  private async decodePicture(frame: PictureFrame): Promise<void> {
    this.busy = true;
    try {
      // A picture whose size could not be read from its header is not given to the decoder at all.
      if (!frame.data) throw new Error('no readable size in its header');
      const bitmap = await decodeImage(frame.data, frame.format === 'png' ? 'image/png' : 'image/jpeg');
      try {
        if (!this.disposed) this.draw(bitmap, frame);
      } finally {
        bitmap.close();
      }
    } catch (error) {
      // A frame that does not decode is skipped; the next one replaces it.
      if (this.decodeErrors++ < 5) this.events.log('warn', `[display] frame ${frame.id} did not decode: ${String(error)}`);
    }
    this.busy = false;
    this.events.frameDone(frame.id);
    for (const id of this.skipped.splice(0)) this.events.frameDone(id);
    const next = this.pending;
    this.pending = undefined;
    if (next) void this.decodePicture(next);
    else if (this.updates.length > 0) void this.drain();
  }

  /** Decodes the pictures of one update (the receiver has held their pixels to the budget). */
  private async decodeUpdate(update: ScreenUpdate): Promise<DecodedUpdate> {
    // PNG for exact pixels, WebP for content that changes every frame (decodeImage: off the main thread).
    const images = update.ops.map((op) => {
      switch (op.kind) {
        case 'image':
          return decodeImage(op.png, 'image/png');
        case 'lossy':
          return decodeImage(op.webp, 'image/webp');
        case 'pointer':
          return op.shape ? decodeImage(op.shape.png, 'image/png') : undefined;
        case 'copy':
          return undefined;
        default:
          return assertNever(op);
      }
    });
    const settled = await Promise.allSettled(images);
    return {
      update,
      bitmaps: settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)),
      // A pointer shape that does not decode only leaves the old shape.
      failed: settled.some((r, i) => update.ops[i]!.kind !== 'pointer' && r.status === 'rejected'),
    };
  }

  /** Decodes and applies the waiting updates, one at a time, in order. */
  private async drain(): Promise<void> {
    this.busy = true;
    while (this.updates.length > 0 && !this.pending) {
      const frame = this.updates.shift()!;
      const decoded = frame.update && !this.disposed ? await this.decodeUpdate(frame.update) : undefined;
      try {
        if (this.disposed) {
          // The panel is going away: nothing to draw, nothing to ask for.
        } else if (!decoded || decoded.failed) {
          // The picture is now wrong until the next full update: stop drawing deltas and ask for one.
          if (this.decodeErrors++ < 5) this.events.log('warn', `[display] update ${frame.id} is malformed or did not decode`);
          this.losePicture();
        } else {
          this.apply(frame, decoded);
        }
      } finally {
        // The pointer keeps its shape's bitmap; the rest are drawn and done.
        decoded?.bitmaps.forEach((b, i) => {
          if (decoded.update.ops[i]!.kind !== 'pointer' || decoded.failed || this.disposed) b?.close();
        });
      }
      this.events.frameDone(frame.id);
    }
    this.busy = false;
    if (this.pending) {
      const next = this.pending;
      this.pending = undefined;
      void this.decodePicture(next);
    }
  }

  private losePicture(): void {
    this.hasKey = false;
    if (this.refreshAsked || this.disposed) return;
    this.refreshAsked = true;
    this.events.lostPicture();
  }

  private apply(frame: UpdateFrame, { update, bitmaps }: DecodedUpdate): void {
    if (update.full) {
      this.hasKey = true;
      this.refreshAsked = false;
      this.resize(frame.width, frame.height);
      this.pointer?.resize(frame.width, frame.height);
    } else if (!this.hasKey || this.canvas.width !== frame.width || this.canvas.height !== frame.height) {
      this.losePicture(); // a delta on a picture we do not have
      return;
    }
    this.screen = { width: frame.width, height: frame.height };
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    update.ops.forEach((op, i) => {
      if (op.kind === 'pointer') {
        if (this.pointer) this.pointer.update(op.at, op.shape, bitmaps[i]);
        else bitmaps[i]?.close();
        this.view?.reveal(op.at);
        return;
      }
      if (op.kind === 'copy') this.copy(op.rect, op.dx, op.dy);
      else ctx.drawImage(bitmaps[i]!, op.rect.x, op.rect.y);
    });
    this.counted(frame.id);
  }

  /**
   * Moves `r` of the picture by (dx, dy) (a scroll, a moved window) through a scratch canvas: drawn onto itself, a
   * canvas makes Chromium copy its whole picture first. Measured in the tests' headless Chromium on the 2-core
   * machine, a 1920x1080 canvas shown at 1280x720, one copy an animation frame: Chromium's CPU a frame 6-7 ms with
   * no copy, 11-12 ms copying 900x600 onto itself, 6 ms through a scratch canvas (a whole-screen scroll: 15 ms
   * against 9 ms).
   */
  private copy(r: Rect, dx: number, dy: number): void {
    let scratch = this.scratch;
    if (!scratch || scratch.canvas.width < r.width || scratch.canvas.height < r.height) {
      const canvas = this.canvas.ownerDocument.createElement('canvas');
      canvas.width = Math.max(r.width, scratch?.canvas.width ?? 0);
      canvas.height = Math.max(r.height, scratch?.canvas.height ?? 0);
      const ctx = canvas.getContext('2d', { alpha: false });
      if (!ctx) throw new Error('no 2D canvas context');
      scratch = { canvas, ctx };
      this.scratch = scratch;
    }
    scratch.ctx.drawImage(this.canvas, r.x, r.y, r.width, r.height, 0, 0, r.width, r.height);
    this.ctx.drawImage(scratch.canvas, 0, 0, r.width, r.height, r.x + dx, r.y + dy, r.width, r.height);
  }

  private draw(bitmap: ImageBitmap, frame: PictureFrame): void {
    // The header was checked against the frame; a decoder that disagrees does not get to size the canvas.
    if (bitmap.width !== frame.width || bitmap.height !== frame.height) {
      throw new Error(`decoded to ${bitmap.width}x${bitmap.height}, its frame says ${frame.width}x${frame.height}`);
    }
    this.screen = { width: frame.width, height: frame.height };
    // The canvas holds the picture pixel for pixel; the browser scales it to the panel.
    this.resize(bitmap.width, bitmap.height);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = 'high';
    this.ctx.drawImage(bitmap, 0, 0);
    this.counted(frame.id);
  }

  private counted(id: number): void {
    this.drawn++;
    this.canvas.dataset['frames'] = String(this.drawn);
    this.canvas.dataset['lastFrame'] = String(id);
    if (this.drawn === 1) this.events.firstFrame();
  }

  private resize(width: number, height: number): void {
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.view?.setPictureSize(width, height);
  }
}

/** How close (CSS pixels) the host's pointer may come to the view's edge before the view follows it. */
const FOLLOW_MARGIN = 48;

/**
 * The picture's box on the page: `viewport` is the stage's scrolling box, `surface` the picture's box inside it
 * (the screen and pointer canvases fill it, so both take the same transform). Laid out again when the view mode,
 * the picture, the panel's size or `devicePixelRatio` (another monitor, VS Code's zoom) changes.
 */
export class ScreenView {
  private mode: ViewMode = FIT;
  private follow = true;
  private picture: Size = { width: 0, height: 0 };
  private shown: Layout | undefined;
  /** Where the surface starts in the viewport's content (centred when smaller). */
  private offset = { x: 0, y: 0 };
  /** The host pointer's last place (host pixels). */
  private pointerAt: { x: number; y: number } | undefined;
  private readonly resizes: ResizeObserver;
  private dprQuery: MediaQueryList | undefined;
  private readonly dprChanged = () => {
    this.watchDpr();
    this.apply();
  };

  constructor(
    private readonly viewport: HTMLElement,
    private readonly surface: HTMLElement,
    private readonly changed: (state: ViewState) => void,
  ) {
    this.resizes = new ResizeObserver(() => this.apply());
    // The border box: scroll bars coming and going (which apply() causes) are no resize, so no observer loop.
    this.resizes.observe(viewport, { box: 'border-box' });
    this.watchDpr();
  }

  get state(): ViewState {
    return { mode: this.mode, percent: this.shown?.percent ?? 100, follow: this.follow };
  }

  run(command: ViewCommand): void {
    const shown = this.shown?.percent ?? 100;
    switch (command) {
      case 'fit':
        return this.setMode(FIT);
      case 'actual':
        return this.setMode(ACTUAL);
      case 'zoomIn':
        return this.setMode(zoomIn(shown));
      case 'zoomOut':
        return this.setMode(zoomOut(shown));
      default:
        return assertNever(command);
    }
  }

  setMode(mode: ViewMode): void {
    // The point at the middle of the view stays there, as an image viewer's zoom does.
    const centre = this.centre();
    const leavingFit = this.mode.kind === 'fit' && mode.kind !== 'fit';
    this.mode = mode;
    this.apply(centre);
    if (leavingFit) this.reveal(this.pointerAt, true);
  }

  setFollow(on: boolean): void {
    this.follow = on;
    this.changed(this.state);
    if (on) this.reveal(this.pointerAt, true);
  }

  setPictureSize(width: number, height: number): void {
    if (this.picture.width === width && this.picture.height === height) return;
    this.picture = { width, height };
    this.apply();
  }

  /**
   * The host's pointer is at `at` (host pixels): with follow on, scroll just enough to keep it inside the view.
   * Only a move is followed (or `force`), so that a helper who scrolled away is not pulled back by a still pointer.
   */
  reveal(at: { x: number; y: number } | undefined, force = false): void {
    const moved = !!at && (at.x !== this.pointerAt?.x || at.y !== this.pointerAt?.y);
    this.pointerAt = at;
    const shown = this.shown;
    if (!at || !(moved || force) || !this.follow || !shown?.scrolls || !(this.picture.width > 0)) return;
    const v = this.viewport;
    const scale = shown.width / this.picture.width;
    const next = followScroll(
      { x: (at.x + 0.5) * scale, y: (at.y + 0.5) * scale },
      { left: v.scrollLeft - this.offset.x, top: v.scrollTop - this.offset.y },
      { width: v.clientWidth, height: v.clientHeight },
      shown,
      FOLLOW_MARGIN,
    );
    if (next) v.scrollTo({ left: next.left + this.offset.x, top: next.top + this.offset.y, behavior: 'instant' });
  }

  dispose(): void {
    this.resizes.disconnect();
    this.dprQuery?.removeEventListener('change', this.dprChanged);
  }

  /** The fraction of the picture at the middle of the view. */
  private centre(): { x: number; y: number } | undefined {
    const shown = this.shown;
    if (!shown || !(shown.width > 0 && shown.height > 0)) return undefined;
    const v = this.viewport;
    const clip = (f: number) => Math.min(Math.max(f, 0), 1);
    return {
      x: clip((v.scrollLeft + v.clientWidth / 2 - this.offset.x) / shown.width),
      y: clip((v.scrollTop + v.clientHeight / 2 - this.offset.y) / shown.height),
    };
  }

  private apply(keep?: { x: number; y: number }): void {
    const v = this.viewport;
    const dpr = window.devicePixelRatio || 1;
    // Overflow first: whether scroll bars may appear changes the room there is.
    v.dataset['scrolls'] = String(this.mode.kind !== 'fit');
    const l = layout(this.mode, this.picture, { width: v.clientWidth, height: v.clientHeight }, dpr);
    this.surface.style.width = `${l.width}px`;
    this.surface.style.height = `${l.height}px`;
    // Measured again: the new size may have brought scroll bars, or taken them away.
    const box = v.getBoundingClientRect();
    this.offset = {
      x: pictureOffset(box.left + v.clientLeft, v.clientWidth, l.width, dpr),
      y: pictureOffset(box.top + v.clientTop, v.clientHeight, l.height, dpr),
    };
    this.surface.style.marginLeft = `${this.offset.x}px`;
    this.surface.style.marginTop = `${this.offset.y}px`;
    v.dataset['mode'] = this.mode.kind;
    v.dataset['percent'] = String(Math.round(l.percent));
    v.dataset['crisp'] = String(l.crisp);
    if (keep && l.scrolls) {
      v.scrollTo({ left: keep.x * l.width + this.offset.x - v.clientWidth / 2, top: keep.y * l.height + this.offset.y - v.clientHeight / 2, behavior: 'instant' });
    }
    const before = this.shown;
    this.shown = l;
    if (before?.percent !== l.percent || before.scrolls !== l.scrolls || keep) this.changed(this.state);
  }

  /** `devicePixelRatio` has no change event: a media query on the current ratio ends when it changes. */
  private watchDpr(): void {
    this.dprQuery?.removeEventListener('change', this.dprChanged);
    this.dprQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    this.dprQuery.addEventListener('change', this.dprChanged);
  }
}
