/**
 * A small explicit state machine, as noVNC's RFB keeps one: states are a discriminated union on `kind`,
 * the allowed moves are a table, and a move the table does not allow is refused (and reported), never
 * half-made. Listeners see every accepted move. Pure module.
 */

import { isEndReason, type EndReason } from './protocol';

export interface State {
  readonly kind: string;
}

export type Transitions<S extends State> = { readonly [K in S['kind']]: readonly S['kind'][] };

export class StateMachine<S extends State> {
  private current: S;
  private readonly listeners = new Set<(state: S, previous: S) => void>();

  constructor(
    initial: S,
    private readonly allowed: Transitions<S>,
    private readonly onRefused: (from: S, to: S) => void = () => undefined,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  is<K extends S['kind']>(...kinds: K[]): boolean {
    return (kinds as string[]).includes(this.current.kind);
  }

  /** Moves to `next` if the table allows it; returns whether it did. */
  to(next: S): boolean {
    const from = this.current;
    const targets = this.allowed[from.kind as S['kind']] as readonly string[];
    if (!targets.includes(next.kind)) {
      this.onRefused(from, next);
      return false;
    }
    this.current = next;
    for (const listener of [...this.listeners]) listener(next, from);
    return true;
  }

  onChange(listener: (state: S, previous: S) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
}

/** Who ended a session: this side (its person, or its own checks) or the other side. */
export type EndedBy = 'local' | 'remote';

/** Why a session is over: a reason the protocol names, or a failure that never crossed the wire. */
export type FinalReason =
  | EndReason
  /** The helper could not reach the signaling server or the host, or the connection could not be set up. */
  | 'connectFailed'
  /** The host could not start: no display, no agent, no signaling server. */
  | 'startFailed';

export function isFinalReason(value: unknown): value is FinalReason {
  return value === 'connectFailed' || value === 'startFailed' || isEndReason(value);
}

/**
 * How a session ended, as both final states carry it: notifications and the audit log read this, never the
 * message's wording (which is for people).
 */
export interface SessionEnd {
  readonly reason: FinalReason;
  readonly by: EndedBy;
}

/** Where the host's session stands. */
export type HostState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'awaiting'; readonly code: string; readonly expiresAt: Date }
  | { readonly kind: 'verifying'; readonly helperName: string }
  | { readonly kind: 'asking'; readonly helperName: string }
  | { readonly kind: 'viewing'; readonly helperName: string }
  | { readonly kind: 'controlled'; readonly helperName: string }
  /** The link to the admitted helper was cut: control dropped, waiting up to RESUME_WINDOW_MS for it to resume. */
  | { readonly kind: 'reconnecting'; readonly helperName: string }
  | ({ readonly kind: 'ended'; readonly message: string } & SessionEnd)
  | ({ readonly kind: 'failed'; readonly message: string } & SessionEnd);

export const HOST_TRANSITIONS: Transitions<HostState> = {
  idle: ['starting', 'ended'],
  starting: ['awaiting', 'failed', 'ended'],
  awaiting: ['verifying', 'ended', 'failed'],
  verifying: ['asking', 'awaiting', 'ended', 'failed'],
  asking: ['viewing', 'awaiting', 'ended', 'failed'],
  viewing: ['controlled', 'reconnecting', 'ended', 'failed'],
  controlled: ['viewing', 'reconnecting', 'ended', 'failed'],
  reconnecting: ['viewing', 'ended', 'failed'],
  ended: [],
  failed: [],
};

/** Where the helper's session stands. */
export type HelperState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'verifying' }
  | { readonly kind: 'waitingForConsent'; readonly hostName: string }
  | { readonly kind: 'viewing'; readonly hostName: string }
  | { readonly kind: 'requestingControl'; readonly hostName: string }
  | { readonly kind: 'controlling'; readonly hostName: string }
  /** The link to the host was cut: control dropped, dialling again for up to RESUME_WINDOW_MS (the last picture stays). */
  | { readonly kind: 'reconnecting'; readonly hostName: string }
  | ({ readonly kind: 'ended'; readonly message: string } & SessionEnd)
  | ({ readonly kind: 'failed'; readonly message: string } & SessionEnd);

export const HELPER_TRANSITIONS: Transitions<HelperState> = {
  idle: ['connecting', 'ended', 'failed'],
  connecting: ['verifying', 'ended', 'failed'],
  verifying: ['waitingForConsent', 'ended', 'failed'],
  waitingForConsent: ['viewing', 'ended', 'failed'],
  viewing: ['requestingControl', 'controlling', 'reconnecting', 'ended', 'failed'],
  requestingControl: ['viewing', 'controlling', 'reconnecting', 'ended', 'failed'],
  controlling: ['viewing', 'reconnecting', 'ended', 'failed'],
  reconnecting: ['viewing', 'ended', 'failed'],
  ended: [],
  failed: [],
};

export function isFinal(state: HostState | HelperState): boolean {
  return state.kind === 'ended' || state.kind === 'failed';
}
