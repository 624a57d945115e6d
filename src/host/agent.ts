/**
 * The host agent: the part of the host that touches the desktop (screen capture and input injection).
 *
 * It runs in a child process (forked from the extension host), so that a native crash in capture or input
 * (nut-js segfaults when it cannot open the display) ends only the agent, never the user's editor, and so
 * that capture and encoding stay off the extension host's main thread.
 *
 * This file is the contract the host session programs against; `agentClient.ts` implements it.
 */

import type { EncodedFrame } from '../shared/frames';
import type { MouseButton } from '../shared/protocol';

/** Input the agent injects. Coordinates normalised to 0..1 of the whole captured screen. */
export type InputEvent =
  | { readonly type: 'pointerMove'; readonly x: number; readonly y: number }
  | { readonly type: 'pointerButton'; readonly button: MouseButton; readonly down: boolean; readonly x: number; readonly y: number }
  | { readonly type: 'wheel'; readonly dx: number; readonly dy: number }
  | { readonly type: 'key'; readonly code: string; readonly down: boolean };

export interface HostAgent {
  /** The size of the screen that is captured and driven, in pixels. */
  screenSize(): Promise<{ width: number; height: number }>;
  /**
   * Captures the screen and returns it encoded: a whole picture, or a screen update (what changed since the
   * last frame; `full` asks for every pixel). Resolves undefined when nothing changed within `waitMs`. Rejects
   * (never hangs) within a few seconds on failure.
   */
  capture(request?: { readonly full?: boolean; readonly waitMs?: number }): Promise<EncodedFrame | undefined>;
  /** Injects one input event; events are applied in order. Errors are logged, not thrown. */
  input(event: InputEvent): void;
  /** Releases every key and button that input() pressed and did not release. Resolves when done. */
  releaseAll(): Promise<void>;
  /**
   * Called with true when the person at the machine moved their own mouse (the agent released everything held
   * and drops input), with false when their mouse has been still long enough and input is applied again.
   */
  onInputPause(listener: (paused: boolean) => void): { dispose(): void };
  /** Called once when the agent process ends on its own (crash or error); not called after dispose(). */
  onExit(listener: (error: Error) => void): { dispose(): void };
  /** Releases everything held, then stops the agent. */
  dispose(): void;
}
