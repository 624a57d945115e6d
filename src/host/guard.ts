/**
 * The host's policy for what one helper sends on the control connection (extension host), in one place, as
 * SECURITY.md ("Every message is untrusted") describes it: which messages each state expects, rate limits per
 * kind, the malformed count, a flood that does not stop, and the keys and buttons held on the helper's behalf.
 * The session asks the guard about every message before it acts on it. No I/O: the clock is passed in.
 */

import type { InputEvent } from '../agent/contract';
import type { Logger } from '../shared/log';
import { decodeJson, parseHelperMessage, type HelperMessage } from '../shared/protocol';
import { RateLimiter, type Rate } from '../shared/rateLimit';
import type { HostState } from '../shared/stateMachine';
import type { HandshakeStep } from './handshake';

/**
 * Malformed messages a helper may send before it is disconnected. Before it is admitted, every message that is
 * not part of the handshake counts as malformed too.
 */
export const MAX_MALFORMED = 100;
/**
 * How fast each kind of message may come from a helper (token buckets: a burst of `max`, then `max` per `perMs`);
 * the excess is dropped and counted. Releases of keys and buttons that are down are never dropped: a flood must
 * not leave a key held. The panel sends at most one move per animation frame and a person types a few dozen
 * keys a second; a request for control is a modal prompt on the host, so it gets very few.
 */
export const RATE_LIMITS: Readonly<Record<HelperMessage['type'], Rate>> = {
  hello: { max: 2, perMs: 1000 },
  resume: { max: 2, perMs: 1000 },
  proof: { max: 2, perMs: 1000 },
  mediaProof: { max: 2, perMs: 1000 },
  requestControl: { max: 3, perMs: 30_000 },
  releaseControl: { max: 10, perMs: 1000 },
  pointerMove: { max: 250, perMs: 1000 },
  pointerButton: { max: 40, perMs: 1000 },
  wheel: { max: 120, perMs: 1000 },
  key: { max: 100, perMs: 1000 },
  // One per key that types a character (its key-up is not sent), as `key` gets two per key; each carries up to 64
  // characters (an IME's commit, dictation), so a flood keeps the host's keyboard busy for a bounded time.
  text: { max: 100, perMs: 1000 },
  // A person types a chat message in seconds; each one may become a notification on the host.
  chat: { max: 5, perMs: 5_000 },
  // Each one overwrites the host's clipboard (and tells the host); a person presses "Send Clipboard" now and then.
  clipboard: { max: 3, perMs: 10_000 },
  // Each one is a modal prompt on the host, as a request for control.
  clipboardRequest: { max: 3, perMs: 30_000 },
  // The panel sends at most one every LASER_INTERVAL_MS (webview/laser.ts), about 25 a second.
  laser: { max: 40, perMs: 1000 },
  // Each one is a prompt on the host too (monitorRelay.ts asks one at a time and answers the rest `busy`).
  monitorRequest: { max: 3, perMs: 30_000 },
  releaseAll: { max: 20, perMs: 1000 },
  frameAck: { max: 120, perMs: 1000 },
  refresh: { max: 2, perMs: 1000 },
  heartbeat: { max: 20, perMs: 1000 },
  bye: { max: 2, perMs: 1000 },
};
/**
 * A flood that does not stop: more than `dropped` messages over the rate limits within `windowMs` disconnects the
 * helper. Dropping is cheap but not free (each message is still decoded and parsed); a burst of 10,000 from a
 * broken or hostile panel is survived (about 9,000 dropped), some 1,500 a second for ten seconds is not.
 */
export const RATE_EXCESS = { dropped: 15_000, windowMs: 10_000 } as const;

/** What to do with one well-formed message. */
export type Verdict =
  /** Act on it. */
  | 'accept'
  /** Out of place: count it as malformed. */
  | 'malformed'
  /** Over its kind's rate: dropped (counted by the guard). */
  | 'rateLimited'
  /** Over the rate limits for too long: disconnect the helper. */
  | 'flooding';

/** Messages dropped from helpers over a whole session, for the log and the audit. */
export interface DroppedCounts {
  malformed: number;
  rateLimited: number;
  inputWithoutControl: number;
  /** Input from a helper with control while the host had paused sharing (pauseRelay.ts); counted from the first. */
  inputWhilePaused?: number;
}

export class Guard {
  /** Keys (`key:KeyA`) and buttons (`button:left`) pressed on the helper's behalf and not released. */
  readonly held = new Set<string>();
  malformed = 0;
  ignoredInput = 0;
  pausedInput = 0;
  private readonly rate: RateLimiter<HelperMessage['type']>;
  private excessFrom = 0;
  private excess = 0;

  constructor(
    private readonly log: Logger,
    /** The session's counts, which this guard adds to. */
    private readonly dropped: DroppedCounts,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.rate = new RateLimiter(RATE_LIMITS, now);
  }

  /**
   * Reads one control message: the message if it is to be acted on, `drop` if it was dropped (and counted), or
   * `disconnect` when the helper is over a limit (too many malformed messages, a flood that does not stop).
   */
  screen(data: unknown, state: HostState['kind'], handshake: HandshakeStep): HelperMessage | 'drop' | 'disconnect' {
    const message = parseHelperMessage(decodeJson(data));
    const verdict = message ? this.check(message, state, handshake) : 'malformed';
    switch (verdict) {
      case 'accept':
        return message!;
      case 'malformed': {
        this.dropped.malformed++;
        const over = this.countMalformed();
        if (this.malformed === 1 || this.malformed % 100 === 0) this.log.warn(`dropped malformed message(s) from the helper: ${this.malformed} so far`);
        return over ? 'disconnect' : 'drop';
      }
      case 'rateLimited':
      case 'flooding': {
        this.dropped.rateLimited++;
        const n = this.rate.dropped;
        const counts = JSON.stringify(this.rate.droppedCounts());
        if (verdict === 'flooding') this.log.warn(`the helper kept sending over the rate limits: ${counts}`);
        else if (n === 1 || n % 1000 === 0) this.log.warn(`dropped message(s) over the rate limit: ${counts}`);
        return verdict === 'flooding' ? 'disconnect' : 'drop';
      }
    }
  }

  /** Input from a helper without control: dropped, counted, logged at the first and every hundredth. */
  withoutControl(): void {
    this.dropped.inputWithoutControl++;
    if (++this.ignoredInput === 1 || this.ignoredInput % 100 === 0) this.log.warn(`ignored input from a helper without control (${this.ignoredInput} so far)`);
  }

  /** Input from a helper with control while the host paused sharing: dropped, counted, logged as above. */
  whilePaused(): void {
    this.dropped.inputWhilePaused = (this.dropped.inputWhilePaused ?? 0) + 1;
    if (++this.pausedInput === 1 || this.pausedInput % 100 === 0) this.log.info(`dropped input while sharing is paused (${this.pausedInput} so far)`);
  }

  /**
   * Sorts a well-formed message. Out of place is malformed, whatever the rate: the handshake has one order, and
   * input waits for admission.
   */
  check(message: HelperMessage, state: HostState['kind'], handshake: HandshakeStep): Verdict {
    if (!expected(message, state, handshake)) return 'malformed';
    if (this.isHeldRelease(message) || this.rate.take(message.type)) return 'accept';
    const now = this.now();
    if (now - this.excessFrom > RATE_EXCESS.windowMs) {
      this.excessFrom = now;
      this.excess = 0;
    }
    return ++this.excess > RATE_EXCESS.dropped ? 'flooding' : 'rateLimited';
  }

  /** Counts one malformed message; true when the helper is over the limit. */
  countMalformed(): boolean {
    return ++this.malformed > MAX_MALFORMED;
  }

  /**
   * Input from a helper with control: whether it goes to the agent. Presses are remembered; a release of
   * something that is not down is not forwarded (nothing to release).
   */
  forward(message: InputEvent): boolean {
    const id = heldId(message);
    if (id === undefined) return true;
    if (isPress(message)) {
      this.held.add(id);
      return true;
    }
    return this.held.delete(id);
  }

  /** A key or button up for something pressed on this helper's behalf: never dropped by the rate limits. */
  private isHeldRelease(message: HelperMessage): boolean {
    const id = heldId(message);
    return id !== undefined && !isPress(message) && this.held.has(id);
  }
}

/**
 * Whether a message has its place now: the handshake's in its order and once each, everything else only after
 * admission (chat included: nothing reaches the host's chat before it allowed viewing) and outside a cut (a resume
 * has its own order: `resume`, `proof`, `mediaProof`). Heartbeats and bye are
 * taken at any time (the panel starts its heartbeats as soon as the control connection opens), but a heartbeat
 * counts as being heard from only once the helper has proved the code (see `countsAsHeard`).
 */
export function expected(message: HelperMessage, state: HostState['kind'], handshake: HandshakeStep): boolean {
  switch (message.type) {
    case 'hello':
      return state === 'verifying' && handshake === 'awaitingHello';
    case 'resume':
      return state === 'reconnecting' && handshake === 'awaitingResume';
    case 'proof':
      return (state === 'verifying' || state === 'reconnecting') && handshake === 'challenged';
    case 'mediaProof':
      return handshake === 'awaitingMediaProof';
    case 'heartbeat':
    case 'bye':
      return true;
    default:
      return state !== 'verifying' && state !== 'asking' && state !== 'reconnecting';
  }
}

/**
 * Whether an accepted message shows the helper is still there (the silence that releases held input and ends
 * the session is measured from the last one). Before the proof nothing counts: the handshake has its own timeout.
 */
export function countsAsHeard(handshake: HandshakeStep): boolean {
  return handshake !== 'awaitingHello' && handshake !== 'awaitingResume' && handshake !== 'challenged' && handshake !== 'checkingProof' && handshake !== 'refused';
}

/** The key or button an input message presses or releases, or undefined for moves and wheels. */
export function heldId(message: HelperMessage | InputEvent): string | undefined {
  if (message.type === 'key') return `key:${message.code}`;
  if (message.type === 'pointerButton') return `button:${message.button}`;
  return undefined;
}

export function isPress(message: HelperMessage | InputEvent): boolean {
  return (message.type === 'key' || message.type === 'pointerButton') && message.down;
}
