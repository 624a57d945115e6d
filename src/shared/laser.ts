/**
 * The helper's laser pointer on the wire (protocol.ts `laser`, both ways): where it points, and the host's mode for
 * it. Pure: compiled for the extension host, the agent and the panel alike.
 */

/** A point on the shared picture, normalised to 0..1 of its width and height as input is. */
export interface LaserPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * The laser pointer as the host has it: `on`, drawn on the host's screen; `off`, the host switched it off (the helper's
 * toggle is disabled); `unseen`, allowed but this host's screen cannot show it (it is drawn on X11 only), so only the
 * helper's own view shows where it points.
 */
export type LaserMode = 'on' | 'off' | 'unseen';

const LASER_MODES: ReadonlySet<unknown> = new Set<LaserMode>(['on', 'off', 'unseen']);

export function isLaserMode(value: unknown): value is LaserMode {
  return LASER_MODES.has(value);
}

/** A point's own fields `x` and `y`, each within 0..1; undefined for anything else. */
export function parseLaserPoint(value: unknown): LaserPoint | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const own = (key: string): unknown => (Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined);
  const x = own('x');
  const y = own('y');
  const unit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
  return unit(x) && unit(y) ? { x, y } : undefined;
}
