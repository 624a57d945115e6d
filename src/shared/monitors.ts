/**
 * The host's monitors as the helper is told of them (protocol.ts `monitors`, `monitorRequest`): which there are, by
 * name and size, and which one is shared. Pure: compiled for the extension host and the panel alike.
 *
 * A monitor is named as the host's X server names it over RandR (`DP-2`, `HDMI-1`, or a name set with
 * `xrandr --setmonitor`): the name is shown, and the helper sends it back to ask for that monitor. Only plain names
 * travel (isMonitorName: one line, no control, format or bidirectional character, no stray spaces), so a name is
 * clean as it is and nothing has to be cleaned into a different one; a monitor with another kind of name is not
 * offered to the helper (the host can still share it). The host switches only to a monitor of its own list, after
 * its own yes: a name from the helper selects nothing by itself.
 */

/** One monitor of the host, as the helper sees it listed. Its place on the host's desktop stays on the host. */
export interface SharedMonitor {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly primary: boolean;
}

/** Why the host did not switch monitors: `denied` (no, or no answer), `busy` (already asking), `unknown` (no such monitor). */
export type MonitorRefusal = 'denied' | 'busy' | 'unknown';
const MONITOR_REFUSALS: ReadonlySet<unknown> = new Set<MonitorRefusal>(['denied', 'busy', 'unknown']);

export function isMonitorRefusal(value: unknown): value is MonitorRefusal {
  return MONITOR_REFUSALS.has(value);
}

/** Most monitors listed to the helper: more than any desk holds, few enough for a menu. */
export const MAX_MONITORS = 16;
/** Longest monitor name. */
export const MAX_MONITOR_NAME = 64;
/** A side of a monitor: at most 8K, as a frame's (isDimension in protocol.ts). */
const MAX_SIDE = 8192;

/** What a name may not hold: control, format (bidirectional, zero-width), surrogate and separator characters, runs of spaces, spaces at either end. */
const NOT_PLAIN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|\s\s|^\s|\s$/u;

/** A monitor's name as it may travel and be shown: 1 to MAX_MONITOR_NAME characters, none of NOT_PLAIN. */
export function isMonitorName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_MONITOR_NAME && !NOT_PLAIN.test(v);
}

const isSide = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_SIDE;

/**
 * The fields of a `monitors` message, rebuilt from their checked values: 1 to MAX_MONITORS monitors, names unique,
 * and `shared` one of them. Undefined for anything else.
 */
export function parseMonitorList(monitors: unknown, shared: unknown): { monitors: SharedMonitor[]; shared: string } | undefined {
  if (!Array.isArray(monitors) || monitors.length === 0 || monitors.length > MAX_MONITORS) return undefined;
  const out: SharedMonitor[] = [];
  const names = new Set<string>();
  for (const m of monitors as unknown[]) {
    if (typeof m !== 'object' || m === null) return undefined;
    const { name, width, height, primary } = m as Record<string, unknown>;
    if (!isMonitorName(name) || names.has(name) || !isSide(width) || !isSide(height) || typeof primary !== 'boolean') return undefined;
    names.add(name);
    out.push({ name, width, height, primary });
  }
  if (!isMonitorName(shared) || !names.has(shared)) return undefined;
  return { monitors: out, shared };
}

/** A monitor of the agent's (src/agent/monitors.ts `Monitor`), as far as the helper is told of it. */
export interface ListedMonitor {
  readonly name: string;
  readonly primary: boolean;
  readonly area: { readonly width: number; readonly height: number };
}

/** The agent's monitors as the helper is told of them: the primary first, at most MAX_MONITORS, only plain names and sizes a frame may have. */
export function toSharedMonitors(monitors: readonly ListedMonitor[]): SharedMonitor[] {
  return [...monitors]
    .filter((m) => isMonitorName(m.name) && isSide(m.area.width) && isSide(m.area.height))
    .sort((a, b) => Number(b.primary) - Number(a.primary))
    .slice(0, MAX_MONITORS)
    .map((m) => ({ name: m.name, width: m.area.width, height: m.area.height, primary: m.primary }));
}

/** "DP-2 (1920×1080)": a monitor for a prompt, a menu or a log line. */
export function describeMonitor(m: { readonly name: string; readonly width: number; readonly height: number }): string {
  return `${m.name} (${m.width}×${m.height})`;
}
