/**
 * The wire protocol between the host (the person being helped, Node) and the helper (the webview).
 *
 * Two PeerJS data connections, both reliable and ordered, both with PeerJS serialization `raw` (so that no
 * PeerJS deserializer ever runs on what a peer sends: `json` would throw from inside the channel on bad JSON):
 * - `control`: JSON text, one message per string (see encodeMessage / decodeJson); the handshake, consent,
 *   control, input and heartbeats; one message type per union member.
 * - `media`: binary screen frames, cut in chunks (see frames.ts). Never queued: the host sends a new
 *   frame only when the helper has acknowledged enough of the previous ones.
 *
 * Every message that arrives is untrusted: `parseHelperMessage` / `parseHostMessage` check the shape, ranges
 * and sizes and return undefined for anything else.
 */

import { isInputBlockedReason, type InputBlockedReason } from './inputBlocked';
import { isChatText, parseContextUpdate, parseSharing, type ContextUpdate, type Sharing } from './context';
import { isRecord } from './invitation';
import { isKnownKeyCode } from './keys';
import { RESUME_WINDOW_MS, assertNever, describeEnd, isEndReason, type EndReason } from './endReasons';
import { isLaserMode, parseLaserPoint, type LaserMode, type LaserPoint } from './laser';
import { isMonitorName, isMonitorRefusal, parseMonitorList, type MonitorRefusal, type SharedMonitor } from './monitors';

export type { EndReason, LaserMode, LaserPoint, MonitorRefusal };
export { RESUME_WINDOW_MS, assertNever, describeEnd, isEndReason };

/**
 * 2: the helper proves its media connection too (`mediaProof`); control has `resumed`.
 * 3: frames are screen updates (deltas, see screenUpdate.ts); the helper may ask for a `refresh`.
 * 4: the host may share its editor, debugger and terminal (`sharing`, `context`: see context.ts), both sides `chat`;
 *    host messages may be up to MAX_HOST_MESSAGE. Later additions in the same version (an older peer drops them as
 *    malformed, which costs nothing): the `back` and `forward` buttons, and clipboard text on request (`clipboard`,
 *    `clipboardRequest`, `clipboardRefused`), the host's pause of the screen (`paused`).
 * 5: screen updates may paint content that changes every frame as lossy WebP (`lossy`, screenUpdate.ts), which a
 *    helper of 4 cannot parse: it would lose its picture and ask for the whole screen again at every video frame.
 *    Also new in 5: the helper's laser pointer (`laser`, both ways), the host's monitors (`monitors`,
 *    `monitorRequest`, `monitorRefused`), input the host's system refuses (`inputBlocked`), resuming after a network
 *    cut (`resume`, `resumed`: see resume.ts and SECURITY.md, "Resuming after a network cut").
 */
export const PROTOCOL_VERSION = 5;
export const CONTROL_LABEL = 'control';
export const MEDIA_LABEL = 'media';
/**
 * Heartbeats go both ways this often while the helper controls: the host releases held keys and buttons after
 * INPUT_RELEASE_SILENCE_MS of silence.
 */
export const HEARTBEAT_MS = 250;
/**
 * And this often while the helper only views: then only the link's loss (LINK_LOST_SILENCE_MS) is judged, and each
 * heartbeat wakes the host's process and its WebRTC threads (on a still screen, 250 ms against 1 s: 1.3-1.6 % of a
 * core against 1.0 % in the bench's 20 s still phase).
 */
export const IDLE_HEARTBEAT_MS = 1_000;

/** Whether the helper's heartbeat is due at a tick (every HEARTBEAT_MS), `sinceMs` after its last. */
export function heartbeatDue(controlling: boolean, sinceMs: number): boolean {
  return controlling || sinceMs >= IDLE_HEARTBEAT_MS - HEARTBEAT_MS / 2;
}
/** Silence after which held keys and buttons are released (the peer may be gone). */
export const INPUT_RELEASE_SILENCE_MS = 1_000;
/**
 * Silence after which the link is taken as cut: control is dropped and both sides show "Reconnecting…" while the
 * helper dials again (a closed connection or a failed ICE state is taken as a cut at once).
 */
export const LINK_LOST_SILENCE_MS = 3_000;

/** `back` and `forward`: the side buttons (X11 buttons 8 and 9). */
export type MouseButton = 'left' | 'middle' | 'right' | 'back' | 'forward';

/** Why control changed hands. `granted` and `resumed` give control; the others take it away or refuse it. */
export type ControlReason = ControlChange['reason'];

/** A change of control as the host announces it: the two fields always agree. */
export type ControlChange =
  /** The host allowed the helper's request. */
  | { readonly granted: true; readonly reason: 'granted' }
  /** The person at the machine stopped using their own mouse: the helper's input is applied again. */
  | { readonly granted: true; readonly reason: 'resumed' }
  /** The host refused the helper's request (or did not answer in time). */
  | { readonly granted: false; readonly reason: 'denied' }
  /** The host took control back. */
  | { readonly granted: false; readonly reason: 'revoked' }
  /** The helper gave control back (the host confirms). */
  | { readonly granted: false; readonly reason: 'released' }
  /**
   * The person at the machine moved their own mouse: everything the helper held is released and its input
   * is dropped until they have left the mouse alone for a moment (then `resumed`).
   */
  | { readonly granted: false; readonly reason: 'paused' };


/** Messages the helper sends to the host on the control connection. */
export type HelperMessage =
  /** First message: opens the handshake. */
  | { readonly type: 'hello'; readonly version: number; readonly helperName: string; readonly helperNonce: string }
  /**
   * First message on a new control connection after a cut, instead of `hello`: the same helper comes back. The host
   * answers with a `challenge`; the `proof` that follows is made with the session's resume key (proof.ts).
   * `lastFrame`: the last frame the helper drew (it still shows that picture): the host then sends only what may
   * differ from it (src/host/paintedLog.ts); absent, the whole screen. Optional, so older peers still agree.
   */
  | { readonly type: 'resume'; readonly version: number; readonly helperNonce: string; readonly lastFrame?: number }
  /** Answer to the host's challenge: HMAC over the transcript with the proof key (the resume key when resuming). */
  | { readonly type: 'proof'; readonly mac: string }
  /**
   * Once the host has proved itself and the media connection is open: HMAC over the transcript and the media
   * connection's own DTLS fingerprints, so that the screen goes only over a connection the helper opened.
   */
  | { readonly type: 'mediaProof'; readonly mac: string }
  /** The helper asks to take control of mouse and keyboard. */
  | { readonly type: 'requestControl' }
  /** The helper gives control back on its own. */
  | { readonly type: 'releaseControl' }
  /** Pointer moved; coordinates normalised to 0..1 of the shared screen. */
  | { readonly type: 'pointerMove'; readonly x: number; readonly y: number }
  /** A mouse button went down or up at a position. */
  | { readonly type: 'pointerButton'; readonly button: MouseButton; readonly down: boolean; readonly x: number; readonly y: number }
  /** Wheel, in notches (positive: down / right). */
  | { readonly type: 'wheel'; readonly dx: number; readonly dy: number }
  /** A physical key (`KeyboardEvent.code`) went down or up. Modifiers are keys like any other. */
  | { readonly type: 'key'; readonly code: string; readonly down: boolean }
  /**
   * Characters to type on the host whatever its keyboard layout (text mode): what one key press or one finished
   * composition (IME, dead keys) produced. Typed at once, never held; 1 to MAX_TEXT_CODE_POINTS code points, no
   * control characters (Enter, Tab and Backspace travel as `key`).
   */
  | { readonly type: 'text'; readonly text: string }
  /** The helper's panel lost the focus: release whatever it holds. */
  | { readonly type: 'releaseAll' }
  /** Frame `id` has been drawn: the host may send more. */
  | { readonly type: 'frameAck'; readonly id: number }
  /** The panel lost its picture (an update that did not decode): send the whole screen again. */
  | { readonly type: 'refresh' }
  /** I am still here. */
  | { readonly type: 'heartbeat' }
  /** A chat message for the host: 1 to MAX_CHAT code units, no control character but `\n` (see isChatText). Only once admitted. */
  | { readonly type: 'chat'; readonly text: string }
  /**
   * Text for the host's clipboard, sent when the helper pressed "Send Clipboard": only while the helper has control
   * (it changes the host's state), 1 to MAX_CLIPBOARD_TO_HOST code units of isClipboardText.
   */
  | { readonly type: 'clipboard'; readonly text: string }
  /** The helper asks for the text on the host's clipboard; the host is asked every time (answer: `clipboard` or `clipboardRefused`). */
  | { readonly type: 'clipboardRequest' }
  /** The helper's laser pointer while it views without control: where it points on the picture, or no `at` (hidden). */
  | { readonly type: 'laser'; readonly at?: LaserPoint }
  /** The helper asks to see another of the host's monitors (one `monitors` named); the host is asked every time. */
  | { readonly type: 'monitorRequest'; readonly name: string }
  /** The helper ends the session. */
  | { readonly type: 'bye'; readonly reason: EndReason };

/** Messages the host sends to the helper on the control connection. */
export type HostMessage =
  /** Answer to hello: the host's nonce. */
  | { readonly type: 'challenge'; readonly hostNonce: string }
  /** The helper's proof was right; here is the host's own proof and who the host is. The consent prompt is now up. */
  | {
      readonly type: 'welcome';
      readonly mac: string;
      readonly hostName: string;
      readonly createdAt: string;
      readonly expiresAt: string;
      readonly consentTimeoutMs: number;
    }
  /**
   * Answer to a resume's `proof`: the host's own proof with the resume key. The helper then proves its new media
   * connection (`mediaProof`) and the host sends `viewGranted` again, then the whole screen. Control stays dropped.
   */
  | { readonly type: 'resumed'; readonly mac: string }
  /** The host allowed the helper to see the screen; frames follow on the media connection. */
  | { readonly type: 'viewGranted'; readonly width: number; readonly height: number }
  /** Control was granted, resumed, paused or taken back (or refused, after a request). */
  | ({ readonly type: 'control' } & ControlChange)
  /**
   * Which kinds of context the host shares now: sent once right after `viewGranted` (all off until the host turns
   * one on) and whenever the host changes a switch.
   */
  | { readonly type: 'sharing'; readonly sharing: Sharing }
  /**
   * The whole of one kind of context, as it is now (replaces the last one): only while that kind is shared, at most
   * every few hundred milliseconds per kind. A kind switched off is followed by its empty update.
   */
  | { readonly type: 'context'; readonly update: ContextUpdate }
  /** A chat message from the host, as `chat` from the helper. */
  | { readonly type: 'chat'; readonly text: string }
  /** The host's clipboard text, answering `clipboardRequest` once the host allowed it: 1 to MAX_CLIPBOARD_TO_HELPER code units. */
  | { readonly type: 'clipboard'; readonly text: string }
  /** Answers `clipboardRequest` without text: the host said no (or did not answer), or there was nothing that fits. */
  | { readonly type: 'clipboardRefused'; readonly reason: ClipboardRefusal }
  /**
   * The host paused sharing (`true`) or resumed it (`false`): while paused nothing is captured or sent and the
   * helper's input is dropped (control, if held, stays granted); the first update after a resume is a whole screen.
   * Sent when it changes, and right after `viewGranted` if the host paused before.
   */
  | { readonly type: 'paused'; readonly paused: boolean }
  /** While the helper has control: the host's system refuses its input (`reason`, shared/inputBlocked.ts) or takes it again (`null`). */
  | { readonly type: 'inputBlocked'; readonly reason: InputBlockedReason | null }
  /** The laser pointer's mode (see LaserMode): sent right after `viewGranted` and whenever it changes. */
  | { readonly type: 'laser'; readonly mode: LaserMode }
  /** The host's monitors and the one shared (monitors.ts): after `viewGranted` and on each change; a whole screen follows a switch. */
  | { readonly type: 'monitors'; readonly monitors: readonly SharedMonitor[]; readonly shared: string }
  /** Answers `monitorRequest` without a switch: the host said no (or did not answer), was already asked, or has no such monitor. */
  | { readonly type: 'monitorRefused'; readonly reason: MonitorRefusal }
  /** I am still here. */
  | { readonly type: 'heartbeat' }
  /** The host ends the session, and says why. */
  | { readonly type: 'bye'; readonly reason: EndReason; readonly message: string };

/** Why the host sent no clipboard text: `denied` (no, or no answer), `empty` (no text on it), `tooLarge`, `busy` (already asking). */
export type ClipboardRefusal = 'denied' | 'empty' | 'tooLarge' | 'busy';

/** Largest control message accepted from the helper, in characters. */
export const MAX_CONTROL_MESSAGE = 4096;
/**
 * Clipboard text from the helper: what fits in one control message (MAX_CONTROL_MESSAGE) once JSON has escaped it,
 * so at most this many code units and fewer for text full of quotes, backslashes or tabs (see clipboardFits). The
 * limit is not raised for this one type: the host would then read 64 KiB from an untrusted peer before it knows
 * what the message is. A snippet, a command, a path or an error message fits; a file does not.
 */
export const MAX_CLIPBOARD_TO_HOST = MAX_CONTROL_MESSAGE - 30;
/**
 * Largest control message accepted from the host, in characters: context (a selection, a stack with variables,
 * terminal output) does not fit in 4 KiB. PeerJS raw channels carry up to 256 KiB per message.
 */
export const MAX_HOST_MESSAGE = 65_536;
/** Clipboard text from the host: what fits in one host message (see clipboardFits). */
export const MAX_CLIPBOARD_TO_HELPER = MAX_HOST_MESSAGE - 30;

/**
 * What clipboard text may not hold: control characters but tab and line breaks (an escape sequence pasted in a
 * terminal can end a bracketed paste and run what follows), and lone surrogates.
 */
const NOT_CLIPBOARD = /[\p{Cs}\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;

/** Clipboard text as it may travel: what NOT_CLIPBOARD names is dropped (the rest is sent as it is). */
export function cleanClipboard(text: string): string {
  return text.replace(new RegExp(NOT_CLIPBOARD.source, 'gu'), '');
}

/** Whether `v` is clipboard text of 1 to `max` code units, none of NOT_CLIPBOARD. */
export function isClipboardText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max && !NOT_CLIPBOARD.test(v);
}

/** Whether a `clipboard` message with `text` fits in `maxMessage` characters once encoded (JSON escapes included). */
export function clipboardFits(text: string, maxMessage: number): boolean {
  return encodeMessage({ type: 'clipboard', text }).length <= maxMessage;
}

export function encodeMessage(message: HelperMessage | HostMessage): string {
  return JSON.stringify(message);
}

/**
 * Parses a control message's JSON text without ever throwing; anything else, and text over `max` characters, gives
 * undefined. The host reads with the default (MAX_CONTROL_MESSAGE), the helper with MAX_HOST_MESSAGE.
 */
export function decodeJson(data: unknown, max: number = MAX_CONTROL_MESSAGE): unknown {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (view.byteLength > max * 4) return undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(view);
    } catch {
      return undefined;
    }
  } else return undefined;
  if (text.length > max) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const MAX_NAME = 100;
/** Nonces and MACs are 32 bytes: 44 characters of base64. */
const B64_32 = /^[A-Za-z0-9+/]{43}=$/;
const BUTTONS: ReadonlySet<string> = new Set<MouseButton>(['left', 'middle', 'right', 'back', 'forward']);
const CLIPBOARD_REFUSALS: ReadonlySet<string> = new Set<ClipboardRefusal>(['denied', 'empty', 'tooLarge', 'busy']);
const GRANTING: ReadonlySet<string> = new Set<ControlReason>(['granted', 'resumed']);
const NOT_GRANTING: ReadonlySet<string> = new Set<ControlReason>(['denied', 'revoked', 'released', 'paused']);
/** Frame ids are u32 on the wire (frames.ts). */
const MAX_FRAME_ID = 0xffff_ffff;

const isUnit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isB64 = (v: unknown): v is string => typeof v === 'string' && B64_32.test(v);
const isNotch = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 50;

/** Longest `text` message, in code points: a long paste or commit is cut into several messages. */
export const MAX_TEXT_CODE_POINTS = 64;
/**
 * What a `text` message may not hold: control characters (they would be shortcuts or line breaks typed behind
 * the key policy's back), lone surrogates (no character to type) and the line and paragraph separators.
 */
const NOT_TEXT = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Text as the panel sends it: what no `text` message may carry is dropped, the rest cut into messages of at most
 * MAX_TEXT_CODE_POINTS code points (never inside a surrogate pair).
 */
export function splitText(text: string): string[] {
  const out: string[] = [];
  let part: string[] = [];
  for (const ch of text) {
    if (NOT_TEXT.test(ch)) continue;
    part.push(ch);
    if (part.length === MAX_TEXT_CODE_POINTS) {
      out.push(part.join(''));
      part = [];
    }
  }
  if (part.length > 0) out.push(part.join(''));
  return out;
}

/** Whether `v` is text a `text` message may carry: 1 to MAX_TEXT_CODE_POINTS code points, none of NOT_TEXT. */
export function isTypableText(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT_CODE_POINTS * 2 || NOT_TEXT.test(v)) return false;
  let n = 0;
  for (const _ of v) if (++n > MAX_TEXT_CODE_POINTS) return false;
  return true;
}

/** Checks a message from the helper. Unknown fields are ignored; anything out of shape gives undefined. */
export function parseHelperMessage(data: unknown): HelperMessage | undefined {
  const m = ownFields(data);
  if (!m || typeof m['type'] !== 'string') return undefined;
  switch (m['type']) {
    case 'hello':
      return typeof m['version'] === 'number' && Number.isSafeInteger(m['version']) && isShortString(m['helperName'], MAX_NAME) && isB64(m['helperNonce'])
        ? { type: 'hello', version: m['version'], helperName: cleanName(m['helperName']), helperNonce: m['helperNonce'] }
        : undefined;
    case 'resume': {
      const last = m['lastFrame'];
      if (last !== undefined && !(typeof last === 'number' && Number.isInteger(last) && last >= 0 && last <= MAX_FRAME_ID)) return undefined;
      return typeof m['version'] === 'number' && Number.isSafeInteger(m['version']) && isB64(m['helperNonce'])
        ? { type: 'resume', version: m['version'], helperNonce: m['helperNonce'], ...(last !== undefined ? { lastFrame: last } : {}) }
        : undefined;
    }
    case 'proof':
    case 'mediaProof':
      return isB64(m['mac']) ? { type: m['type'], mac: m['mac'] } : undefined;
    case 'requestControl':
    case 'releaseControl':
    case 'releaseAll':
    case 'refresh':
    case 'heartbeat':
    case 'clipboardRequest':
      return { type: m['type'] };
    case 'pointerMove':
      return isUnit(m['x']) && isUnit(m['y']) ? { type: 'pointerMove', x: m['x'], y: m['y'] } : undefined;
    case 'pointerButton':
      return typeof m['button'] === 'string' && BUTTONS.has(m['button']) && typeof m['down'] === 'boolean' && isUnit(m['x']) && isUnit(m['y'])
        ? { type: 'pointerButton', button: m['button'] as MouseButton, down: m['down'], x: m['x'], y: m['y'] }
        : undefined;
    case 'wheel':
      return isNotch(m['dx']) && isNotch(m['dy']) ? { type: 'wheel', dx: m['dx'], dy: m['dy'] } : undefined;
    case 'key':
      return typeof m['code'] === 'string' && isKnownKeyCode(m['code']) && typeof m['down'] === 'boolean'
        ? { type: 'key', code: m['code'], down: m['down'] }
        : undefined;
    case 'text':
      return isTypableText(m['text']) ? { type: 'text', text: m['text'] } : undefined;
    case 'chat':
      return isChatText(m['text']) ? { type: 'chat', text: m['text'] } : undefined;
    case 'clipboard':
      return isClipboardText(m['text'], MAX_CLIPBOARD_TO_HOST) ? { type: 'clipboard', text: m['text'] } : undefined;
    case 'laser': {
      const at = m['at'] === undefined ? undefined : parseLaserPoint(m['at']);
      return m['at'] === undefined ? { type: 'laser' } : at ? { type: 'laser', at } : undefined;
    }
    case 'monitorRequest':
      return isMonitorName(m['name']) ? { type: 'monitorRequest', name: m['name'] } : undefined;
    case 'frameAck':
      return typeof m['id'] === 'number' && Number.isInteger(m['id']) && m['id'] >= 0 && m['id'] <= MAX_FRAME_ID ? { type: 'frameAck', id: m['id'] } : undefined;
    case 'bye':
      return typeof m['reason'] === 'string' && isEndReason(m['reason']) ? { type: 'bye', reason: m['reason'] as EndReason } : undefined;
    default:
      return undefined;
  }
}

/** Checks a message from the host. The helper trusts the host no more than the host trusts it. */
export function parseHostMessage(data: unknown): HostMessage | undefined {
  const m = ownFields(data);
  if (!m || typeof m['type'] !== 'string') return undefined;
  switch (m['type']) {
    case 'challenge':
      return isB64(m['hostNonce']) ? { type: 'challenge', hostNonce: m['hostNonce'] } : undefined;
    case 'welcome':
      return isB64(m['mac']) &&
        isShortString(m['hostName'], MAX_NAME) &&
        isShortString(m['createdAt'], 40) &&
        isShortString(m['expiresAt'], 40) &&
        typeof m['consentTimeoutMs'] === 'number' &&
        m['consentTimeoutMs'] >= 0 &&
        m['consentTimeoutMs'] <= 3_600_000
        ? {
            type: 'welcome',
            mac: m['mac'],
            hostName: cleanName(m['hostName']),
            createdAt: m['createdAt'],
            expiresAt: m['expiresAt'],
            consentTimeoutMs: m['consentTimeoutMs'],
          }
        : undefined;
    case 'resumed':
      return isB64(m['mac']) ? { type: 'resumed', mac: m['mac'] } : undefined;
    case 'viewGranted':
      return isDimension(m['width']) && isDimension(m['height']) ? { type: 'viewGranted', width: m['width'], height: m['height'] } : undefined;
    case 'control': {
      const reason = m['reason'];
      if (typeof reason !== 'string') return undefined;
      if (m['granted'] === true && GRANTING.has(reason)) return { type: 'control', granted: true, reason: reason as 'granted' | 'resumed' };
      if (m['granted'] === false && NOT_GRANTING.has(reason)) {
        return { type: 'control', granted: false, reason: reason as 'denied' | 'revoked' | 'released' | 'paused' };
      }
      return undefined;
    }
    case 'sharing': {
      const sharing = parseSharing(m['sharing']);
      return sharing ? { type: 'sharing', sharing } : undefined;
    }
    case 'context': {
      const update = parseContextUpdate(m['update']);
      return update ? { type: 'context', update } : undefined;
    }
    case 'chat':
      return isChatText(m['text']) ? { type: 'chat', text: m['text'] } : undefined;
    case 'clipboard':
      return isClipboardText(m['text'], MAX_CLIPBOARD_TO_HELPER) ? { type: 'clipboard', text: m['text'] } : undefined;
    case 'clipboardRefused':
      return typeof m['reason'] === 'string' && CLIPBOARD_REFUSALS.has(m['reason']) ? { type: 'clipboardRefused', reason: m['reason'] as ClipboardRefusal } : undefined;
    case 'paused':
      return typeof m['paused'] === 'boolean' ? { type: 'paused', paused: m['paused'] } : undefined;
    case 'inputBlocked':
      return m['reason'] === null || isInputBlockedReason(m['reason']) ? { type: 'inputBlocked', reason: m['reason'] } : undefined;
    case 'laser':
      return isLaserMode(m['mode']) ? { type: 'laser', mode: m['mode'] } : undefined;
    case 'monitors': {
      const list = parseMonitorList(m['monitors'], m['shared']);
      return list ? { type: 'monitors', ...list } : undefined;
    }
    case 'monitorRefused':
      return isMonitorRefusal(m['reason']) ? { type: 'monitorRefused', reason: m['reason'] } : undefined;
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'bye':
      return typeof m['reason'] === 'string' && isEndReason(m['reason']) && isShortString(m['message'], 500)
        ? { type: 'bye', reason: m['reason'] as EndReason, message: m['message'] }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * A message's own fields, on an object with no prototype: nothing inherited (a polluted `Object.prototype`, an
 * object made with a prototype) can stand in for a field the sender did not send.
 */
function ownFields(data: unknown): Record<string, unknown> | undefined {
  if (!isRecord(data)) return undefined;
  return Object.assign(Object.create(null) as Record<string, unknown>, data);
}

/**
 * A display name as the other side may show it (in a consent prompt above all): control characters, line
 * breaks, bidirectional overrides and zero-width characters are removed, runs of spaces collapsed. A name
 * cannot fake extra lines in a prompt or reverse the text around it.
 */
export function cleanName(name: string): string {
  return name
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Outside text cleaned as `cleanName` cleans names and cut to at most `max` characters, an ellipsis included, never
 * inside a surrogate pair: what every place that shows or logs a peer's, a file's or a setting's text starts from
 * (notifications in text.ts, HTML in webviewPage.ts, log lines in signaling.ts and the panel's logText.ts). Text far
 * longer than `max` is cut before it is cleaned, so that a huge string costs little.
 */
export function cleanText(text: string, max: number): string {
  const clean = cleanName(text.length > max * 4 ? text.slice(0, max * 4) : text);
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/** A side of the host's screen: at most 8K, as MAX_SCREEN_SIDE in screenUpdate.ts (a larger canvas is a memory bomb). */
function isDimension(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 8192;
}
