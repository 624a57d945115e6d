/**
 * The contract between the extension host and the host agent, a child process (`src/agent/main.ts`, bundled
 * to dist/agent.js): the only file of `src/agent/` that the host side imports.
 *
 * Why a child process: a native crash in capture or input (nut-js segfaults when it cannot open the display)
 * ends only the agent, never the user's editor, and capture and encoding stay off the extension host's main
 * thread.
 *
 * - `HostAgent`: what the host session programs against; `src/host/agentClient.ts` implements it by forking
 *   the agent.
 * - `AgentRequest` / `AgentMessage`: the messages over Node's IPC channel, with `serialization: 'advanced'`
 *   (structured clone: frames travel as bytes, not as base64 or JSON arrays). Requests that are answered
 *   carry an `id`; the answer repeats it. Both processes are ours and ship together, so the checks below
 *   only guard against a wrong build, not against an adversary.
 * - `checkDisplay`: the display check that both sides run before nut-js is ever loaded.
 */

import type { EncodedFrame } from '../shared/frames';
import { isInputBlockedReason, type InputBlockedReason } from '../shared/inputBlocked';
import type { LaserPoint, MouseButton } from '../shared/protocol';
import type { Rect } from '../shared/screenUpdate';
import type { MonitorReading } from './monitors';

export { checkDisplay, type DisplayCheck } from './display';
export type { Monitor, MonitorReading } from './monitors';

/** Input the agent injects. Coordinates normalised to 0..1 of the whole captured screen. */
export type InputEvent =
  | { readonly type: 'pointerMove'; readonly x: number; readonly y: number }
  | { readonly type: 'pointerButton'; readonly button: MouseButton; readonly down: boolean; readonly x: number; readonly y: number }
  | { readonly type: 'wheel'; readonly dx: number; readonly dy: number }
  | { readonly type: 'key'; readonly code: string; readonly down: boolean }
  /** Characters typed at once (press and release) in whatever way the host's keyboard layout allows. */
  | { readonly type: 'text'; readonly text: string };

export interface HostAgent {
  /** The size of the screen that is captured and driven, in pixels. */
  screenSize(): Promise<{ width: number; height: number }>;
  /**
   * Captures the screen and returns it encoded: a whole picture, or a screen update (what changed since the
   * last frame; `full` asks for every pixel). Resolves undefined when nothing changed within `waitMs`. Rejects
   * (never hangs) within a few seconds on failure. `lossyBps`: the lossy pictures' bit budget from now on (what the
   * link leaves room for; absent: the agent's own, VIDEO_BUDGET_BPS). `losslessBytes`: the bytes an update's
   * lossless part may take from now on (what the link carries in a moment; absent: no limit). `repaint`: parts of
   * the screen the helper may not have as sent (frames lost in a network cut): the update paints them again exactly
   * first, then what changed.
   */
  capture(request?: { readonly full?: boolean; readonly waitMs?: number; readonly lossyBps?: number; readonly losslessBytes?: number; readonly repaint?: readonly Rect[] }): Promise<EncodedFrame | undefined>;
  /** Injects one input event; events are applied in order. Errors are logged, not thrown. */
  input(event: InputEvent): void;
  /** Releases every key and button that input() pressed and did not release. Resolves when done. */
  releaseAll(): Promise<void>;
  /**
   * Input may follow soon (the helper asked for control): the agent loads what injects it now, while the host reads
   * the prompt, rather than at the first event (nut-js takes ~0.2 s to load, and is not loaded while only viewed).
   */
  prepareInput?(): void;
  /**
   * Shows the helper's laser pointer at `at` (normalised as input, over the area input drives), or hides it
   * (undefined). It hides by itself after LASER_STILL_MS without a move. Not answered; where it cannot be drawn,
   * `onLaserUnavailable` hears why, once.
   */
  laser(at: LaserPoint | undefined): void;
  /** Called once, with a sentence for the log and the user, when the laser pointer cannot be drawn here. */
  onLaserUnavailable(listener: (reason: string) => void): { dispose(): void };
  /**
   * Called with true when the person at the machine moved their own mouse (the agent released everything held
   * and drops input), with false when their mouse has been still long enough and input is applied again.
   */
  onInputPause(listener: (paused: boolean) => void): { dispose(): void };
  /**
   * Called when the host's system starts refusing the helper's input (Windows: an elevated window in front, the
   * secure desktop) with the reason, and with undefined once input gets through again.
   */
  onInputBlocked(listener: (reason: InputBlockedReason | undefined) => void): { dispose(): void };
  /**
   * The host's monitors (X11: RandR) and the one captured and driven; none listed: the whole screen is (no RandR, or
   * not X11). Optional, as the next two: absent, the agent offers no choice (test doubles).
   */
  monitors?(): Promise<MonitorReading>;
  /**
   * Captures and drives monitor `name` (undefined: the default, the primary) from the next frame on, which is then a
   * whole screen; input follows once that frame is out. Rejects, and changes nothing, when there is no such monitor.
   */
  shareMonitor?(name: string | undefined): Promise<MonitorReading>;
  /** Called when the monitors changed by themselves (plugged, unplugged, moved); `lost`: the shared one is gone, the primary is shared instead. */
  onMonitorsChanged?(listener: (reading: MonitorReading, lost: string | undefined) => void): { dispose(): void };
  /** Called once when the agent process ends on its own (crash or error); not called after dispose(). */
  onExit(listener: (error: Error) => void): { dispose(): void };
  /** Releases everything held, then stops the agent. */
  dispose(): void;
}

/** Parent -> agent. */
export type AgentRequest =
  /**
   * Capture the screen (see `CaptureRequest`). Answered by `frame`, by `unchanged` when nothing changed within
   * `waitMs`, or by `requestFailed`.
   */
  | { readonly type: 'capture'; readonly id: number; readonly full?: boolean; readonly waitMs?: number; readonly lossyBps?: number; readonly losslessBytes?: number; readonly repaint?: readonly Rect[] }
  /** The size of what is captured and driven, measured again. Answered by `screenSize` or `requestFailed`. */
  | { readonly type: 'screenSize'; readonly id: number }
  /** Inject one input event. Not answered: events are applied in the order sent, failures are logged. */
  | { readonly type: 'input'; readonly event: InputEvent }
  /** Release every key and button held, after the input sent before. Answered by `released`. */
  | { readonly type: 'releaseAll'; readonly id: number }
  /** Load what injects input now: the helper asked for control. Not answered. */
  | { readonly type: 'prepareInput' }
  /** Show the laser pointer at `at`, or hide it (no `at`). Not answered; `laserUnavailable` once if it cannot be drawn. */
  | { readonly type: 'laser'; readonly at?: LaserPoint }
  /** The monitors, read now. Answered by `monitors`. */
  | { readonly type: 'monitors'; readonly id: number }
  /** Capture and drive monitor `name` (absent: the default). Answered by `monitors`, or `requestFailed` when there is no such monitor. */
  | { readonly type: 'shareMonitor'; readonly id: number; readonly name?: string };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Agent -> parent. */
export type AgentMessage =
  /**
   * Sent once: the display answered and nut-js measured the screen. Requests may be sent from now on.
   * `warnings`: what the user should know though the agent works (a Wayland session, where only XWayland windows
   * are shared), each a sentence for the user; absent when there is nothing to say.
   */
  | { readonly type: 'ready'; readonly width: number; readonly height: number; readonly warnings?: readonly string[] }
  /** Sent instead of `ready` when the agent cannot work here (no display, say); it exits right after. */
  | { readonly type: 'startFailed'; readonly message: string }
  /** Answers `capture`. */
  | { readonly type: 'frame'; readonly id: number; readonly frame: EncodedFrame }
  /** Answers `capture`: nothing changed since the last frame. */
  | { readonly type: 'unchanged'; readonly id: number }
  /** Answers `screenSize`. */
  | { readonly type: 'screenSize'; readonly id: number; readonly width: number; readonly height: number }
  /** Answers `monitors` and `shareMonitor`: the monitors and the one shared (absent: the whole screen). */
  | { readonly type: 'monitors'; readonly id: number; readonly monitors: MonitorReading['monitors']; readonly shared?: string }
  /** Not asked for: the monitors changed by themselves; `lost`: the shared one is gone and the default is shared instead. */
  | { readonly type: 'monitorsChanged'; readonly monitors: MonitorReading['monitors']; readonly shared?: string; readonly lost?: string }
  /** Answers `releaseAll`: nothing is held any more. */
  | { readonly type: 'released'; readonly id: number }
  /** Answers a request that failed; `message` is for the log, and for the user when it is all we know. */
  | { readonly type: 'requestFailed'; readonly id: number; readonly message: string }
  /** A line for the extension's log; the agent has no log of its own. */
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  /**
   * Not asked for. `paused: true`: the host's own mouse moved, everything held was released and input is dropped;
   * `paused: false`: the host's mouse has been still long enough and input is applied again.
   */
  | { readonly type: 'inputPause'; readonly paused: boolean }
  /** Not asked for: the system refuses the helper's input (`reason`), or takes it again (`null`). See windowsInput.ts. */
  | { readonly type: 'inputBlocked'; readonly reason: InputBlockedReason | null }
  /** Not asked for, sent once: the laser pointer cannot be drawn here (not X11, no SHAPE…); `message` says why. */
  | { readonly type: 'laserUnavailable'; readonly message: string };

const LOG_LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A few short sentences at most: they end up in a notification. */
const MAX_WARNINGS = 8;
const MAX_WARNING_LENGTH = 1000;
const isWarnings = (v: unknown): v is readonly string[] =>
  Array.isArray(v) && v.length <= MAX_WARNINGS && v.every((w) => typeof w === 'string' && w.length > 0 && w.length <= MAX_WARNING_LENGTH);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
/** A bit rate: 1 kbit/s to 1 Gbit/s. */
const isBitRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 1000 && v <= 1e9;
const isByteBudget = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1024 && v <= 1e9;
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
/** The most rectangles one capture may be asked to repaint (the host merges more into the whole screen). */
export const MAX_REPAINT_RECTS = 4096;
const isRects = (v: unknown): boolean => Array.isArray(v) && v.length <= MAX_REPAINT_RECTS &&
  v.every((r) => isRecord(r) && Number.isInteger(r['x']) && Number.isInteger(r['y']) && isSize(r['width']) && isSize(r['height']));
const isUnit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
/** A monitor's name from RandR (an atom's text): any text, bounded. */
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const MAX_MONITORS = 64;
const isMonitors = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length <= MAX_MONITORS &&
  v.every((m) => isRecord(m) && isName(m['name']) && typeof m['primary'] === 'boolean' && isRecord(m['area']) &&
    Number.isInteger(m['area']['x']) && Number.isInteger(m['area']['y']) && isSize(m['area']['width']) && isSize(m['area']['height']));

/** Checks a message the agent received from its parent. */
export function isAgentRequest(value: unknown): value is AgentRequest {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'capture':
      return isId(value['id']) && (value['full'] === undefined || typeof value['full'] === 'boolean') && (value['waitMs'] === undefined || (typeof value['waitMs'] === 'number' && value['waitMs'] >= 0)) &&
        (value['lossyBps'] === undefined || isBitRate(value['lossyBps'])) && (value['losslessBytes'] === undefined || isByteBudget(value['losslessBytes'])) &&
        (value['repaint'] === undefined || isRects(value['repaint']));
    case 'screenSize':
    case 'releaseAll':
    case 'monitors':
      return isId(value['id']);
    case 'shareMonitor':
      return isId(value['id']) && (value['name'] === undefined || isName(value['name']));
    case 'input':
      return isRecord(value['event']) && typeof value['event']['type'] === 'string';
    case 'prepareInput':
      return true;
    case 'laser': {
      const at = value['at'];
      return at === undefined || (isRecord(at) && isUnit(at['x']) && isUnit(at['y']));
    }
    default:
      return false;
  }
}

/** Checks a message the parent received from the agent. */
export function isAgentMessage(value: unknown): value is AgentMessage {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'ready':
      return isSize(value['width']) && isSize(value['height']) && (value['warnings'] === undefined || isWarnings(value['warnings']));
    case 'startFailed':
      return typeof value['message'] === 'string';
    case 'frame': {
      const frame = value['frame'];
      return (
        isId(value['id']) &&
        isRecord(frame) &&
        (frame['format'] === 'jpeg' || frame['format'] === 'png' || frame['format'] === 'update') &&
        frame['data'] instanceof Uint8Array &&
        isSize(frame['width']) &&
        isSize(frame['height'])
      );
    }
    case 'screenSize':
      return isId(value['id']) && isSize(value['width']) && isSize(value['height']);
    case 'released':
    case 'unchanged':
      return isId(value['id']);
    case 'requestFailed':
      return isId(value['id']) && typeof value['message'] === 'string';
    case 'log':
      return typeof value['level'] === 'string' && LOG_LEVELS.has(value['level']) && typeof value['message'] === 'string';
    case 'inputPause':
      return typeof value['paused'] === 'boolean';
    case 'inputBlocked':
      return value['reason'] === null || isInputBlockedReason(value['reason']);
    case 'laserUnavailable':
      return typeof value['message'] === 'string' && value['message'].length <= MAX_WARNING_LENGTH;
    case 'monitors':
    case 'monitorsChanged':
      return (value['type'] === 'monitors' ? isId(value['id']) : value['lost'] === undefined || isName(value['lost'])) &&
        isMonitors(value['monitors']) && (value['shared'] === undefined || isName(value['shared']));
    default:
      return false;
  }
}
