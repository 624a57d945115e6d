/**
 * Messages between the extension host (`agentClient.ts`, the parent) and the host agent (`agentMain.ts`, a
 * child process), over Node's IPC channel with `serialization: 'advanced'` (structured clone: frames travel
 * as bytes, not as base64 or JSON arrays).
 *
 * Requests that are answered carry an `id`; the answer repeats it. Both processes are ours and ship
 * together, so the checks below only guard against a wrong build, not against an adversary.
 */

import type { InputEvent } from './agent';
import type { EncodedFrame } from '../shared/frames';

/** Parent -> agent. */
export type AgentRequest =
  /**
   * Capture the screen (see `CaptureRequest`). Answered by `frame`, by `unchanged` when nothing changed within
   * `waitMs`, or by `requestFailed`.
   */
  | { readonly type: 'capture'; readonly id: number; readonly full?: boolean; readonly waitMs?: number }
  /** The size of what is captured and driven, measured again. Answered by `screenSize` or `requestFailed`. */
  | { readonly type: 'screenSize'; readonly id: number }
  /** Inject one input event. Not answered: events are applied in the order sent, failures are logged. */
  | { readonly type: 'input'; readonly event: InputEvent }
  /** Release every key and button held, after the input sent before. Answered by `released`. */
  | { readonly type: 'releaseAll'; readonly id: number };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Agent -> parent. */
export type AgentMessage =
  /** Sent once: the display answered and nut-js measured the screen. Requests may be sent from now on. */
  | { readonly type: 'ready'; readonly width: number; readonly height: number }
  /** Sent instead of `ready` when the agent cannot work here (no display, say); it exits right after. */
  | { readonly type: 'startFailed'; readonly message: string }
  /** Answers `capture`. */
  | { readonly type: 'frame'; readonly id: number; readonly frame: EncodedFrame }
  /** Answers `capture`: nothing changed since the last frame. */
  | { readonly type: 'unchanged'; readonly id: number }
  /** Answers `screenSize`. */
  | { readonly type: 'screenSize'; readonly id: number; readonly width: number; readonly height: number }
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
  | { readonly type: 'inputPause'; readonly paused: boolean };

const LOG_LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Checks a message the agent received from its parent. */
export function isAgentRequest(value: unknown): value is AgentRequest {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'capture':
      return isId(value['id']) && (value['full'] === undefined || typeof value['full'] === 'boolean') && (value['waitMs'] === undefined || (typeof value['waitMs'] === 'number' && value['waitMs'] >= 0));
    case 'screenSize':
    case 'releaseAll':
      return isId(value['id']);
    case 'input':
      return isRecord(value['event']) && typeof value['event']['type'] === 'string';
    default:
      return false;
  }
}

/** Checks a message the parent received from the agent. */
export function isAgentMessage(value: unknown): value is AgentMessage {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'ready':
      return isSize(value['width']) && isSize(value['height']);
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
    default:
      return false;
  }
}
