/**
 * The host's pointer at the helper. Captures leave the pointer out (X draws it apart from the screen's pixels),
 * so the host sends its place and shape with the screen updates, and the panel draws it:
 *
 * - while viewing, on a canvas laid over the picture (same pixel size, same box on the page, so the same scale
 *   and scroll in every view mode; no pointer events), where the host's pointer is;
 * - while controlling, as the helper's own pointer over the picture (a CSS cursor of the host's shape), which
 *   moves at once, before any frame could show it. The overlay then stays empty, so there is one pointer.
 */

import { toBase64 } from '../shared/proof';
import type { PointerShape } from '../shared/screenUpdate';

export class RemotePointer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private at: { x: number; y: number } | undefined;
  private shape: { readonly bitmap: ImageBitmap; readonly hotX: number; readonly hotY: number; readonly css: string } | undefined;
  /** What was drawn last, to clear just that. */
  private drawn: { x: number; y: number; width: number; height: number } | undefined;
  private controlling = false;

  constructor(
    private readonly overlay: HTMLCanvasElement,
    /** The element whose CSS cursor becomes the host's pointer while controlling. */
    private readonly surface: HTMLElement,
  ) {
    this.ctx = overlay.getContext('2d');
  }

  /** The picture's size: the overlay matches it, so that both scale alike. */
  resize(width: number, height: number): void {
    if (this.overlay.width === width && this.overlay.height === height) return;
    this.overlay.width = width;
    this.overlay.height = height;
    this.drawn = undefined;
    this.draw();
  }

  /** A pointer operation from an update; `bitmap` is its decoded shape, if it has one (owned from now on). */
  update(at: { x: number; y: number } | undefined, shape: PointerShape | undefined, bitmap: ImageBitmap | undefined): void {
    this.at = at;
    if (shape && bitmap) {
      this.shape?.bitmap.close();
      this.shape = { bitmap, hotX: shape.hotX, hotY: shape.hotY, css: `url("data:image/png;base64,${toBase64(shape.png)}") ${shape.hotX} ${shape.hotY}, default` };
      this.applyCursor();
    }
    this.draw();
  }

  setControlling(on: boolean): void {
    this.controlling = on;
    this.applyCursor();
    this.draw();
  }

  dispose(): void {
    this.shape?.bitmap.close();
    this.shape = undefined;
    this.surface.style.cursor = '';
  }

  private applyCursor(): void {
    this.surface.style.cursor = this.controlling && this.shape ? this.shape.css : '';
  }

  private draw(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (this.drawn) ctx.clearRect(this.drawn.x, this.drawn.y, this.drawn.width, this.drawn.height);
    this.drawn = undefined;
    this.overlay.dataset['pointer'] = this.at ? `${this.at.x},${this.at.y}` : '';
    if (this.controlling || !this.at || !this.shape) return;
    const { bitmap, hotX, hotY } = this.shape;
    const x = this.at.x - hotX;
    const y = this.at.y - hotY;
    ctx.drawImage(bitmap, x, y);
    this.drawn = { x, y, width: bitmap.width, height: bitmap.height };
  }
}
