/**
 * Messages between the helper's extension side (Node, `vscode`) and its webview panel (browser), in both
 * directions through `postMessage`. The webview runs the helper's PeerJS peer and session; the extension
 * hands it what it needs to connect (never the invitation code itself: only the host's peer id and the
 * proof key derived from it) and mirrors the session state in the status bar.
 */

import { LIMITS, isRelativePath, type CodeLocation } from './context';
import { isRecord } from './invitation';
import { fromBase64 } from './proof';
import { checkIceServers, checkIceTransportPolicy, checkSignaling, isCleanDisplayName, type IceServer, type IceTransportPolicy, type SignalingSettings } from './settings';
import { isFinalReason, type HelperState } from './stateMachine';
import type { KeyboardMode } from './keys';
import { MAX_CLIPBOARD_TO_HELPER, MAX_CLIPBOARD_TO_HOST, isClipboardText } from './protocol';

/** Largest text the panel may ask the extension to put on the clipboard (64 KiB of characters). */
export const MAX_COPY = 64 * 1024;

/** A HelperState as it crosses postMessage (no Dates, no classes). */
export type HelperStateData = HelperState;

/** Extension -> webview. */
export type ToPanel =
  /** Connect to the host. Sent once, after the panel said `ready`. */
  | {
      readonly type: 'connect';
      readonly signaling: SignalingSettings;
      readonly iceServers: readonly IceServer[];
      /** The helper's own `remoteAssist.iceTransportPolicy` (`relay`: TURN relays only), not the invitation's; absent: all. */
      readonly iceTransportPolicy?: IceTransportPolicy;
      readonly hostPeerId: string;
      /** Base64 of the 32-byte proof key derived from the invitation's secret. */
      readonly proofKey: string;
      readonly helperName: string;
      /** Shown until the host says who it is (from the invitation file, or empty for a bare code). */
      readonly expectedHostName: string;
      /** Give up on the signaling server or the host after this long. */
      readonly connectTimeoutMs: number;
      /** How the helper's keys travel when the panel opens (the panel's toolbar switches it). */
      readonly keyboardMode: KeyboardMode;
    }
  /** Ask the host for control (from the command or the status bar). */
  | { readonly type: 'requestControl' }
  /** Give control back (from the command or the status bar). */
  | { readonly type: 'releaseControl' }
  /** End the session (from the command or the status bar). */
  | { readonly type: 'end' }
  /**
   * The helper's clipboard text, answering `readClipboard`: to go to the host if it fits (the panel checks). At most
   * MAX_COPY characters: a longer text is cut here, and then no longer fits anyway.
   */
  | { readonly type: 'clipboardText'; readonly text: string };

/** Webview -> extension. */
export type FromPanel =
  /** The panel's script is running and listening: the extension may send `connect`. */
  | { readonly type: 'ready' }
  /** The helper session moved to a new state. */
  | { readonly type: 'state'; readonly state: HelperStateData; readonly verificationCode?: string }
  /** A line for the "Remote Assist" log. */
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string }
  /**
   * The helper pressed "Open here" on one of the host's file:line: open the same file at that line in the helper's
   * own workspace, if it is there (src/openHere.ts). The location is the host's: nothing is trusted in it.
   */
  | { readonly type: 'openHere'; readonly location: CodeLocation }
  /** Put this text (a stack, an exception, a terminal's output; at most MAX_COPY characters) on the clipboard. */
  | { readonly type: 'copy'; readonly text: string }
  /** A chat message went to the host or came from it: the audit log counts them, never their text. */
  | { readonly type: 'chatCount'; readonly direction: 'sent' | 'received' }
  /** The helper pressed "Send Clipboard": read the helper's clipboard and answer with `clipboardText`. */
  | { readonly type: 'readClipboard' }
  /** Clipboard text went to the host: the audit log records its size. */
  | { readonly type: 'clipboardSent'; readonly characters: number }
  /** The host's clipboard text, which the helper asked for: put it on the helper's clipboard and say so. */
  | { readonly type: 'hostClipboard'; readonly text: string };

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);
const HELPER_KINDS: ReadonlySet<string> = new Set([
  'idle', 'connecting', 'verifying', 'waitingForConsent', 'viewing', 'requestingControl', 'controlling', 'reconnecting', 'ended', 'failed',
]);

/** Checks a message from the webview (the extension does not trust it blindly either). */
export function parseFromPanel(data: unknown): FromPanel | undefined {
  if (!isRecord(data)) return undefined;
  switch (data['type']) {
    case 'ready':
      return { type: 'ready' };
    case 'log':
      return typeof data['level'] === 'string' && LEVELS.has(data['level']) && typeof data['message'] === 'string'
        ? { type: 'log', level: data['level'] as 'info', message: data['message'].slice(0, 2000) }
        : undefined;
    case 'openHere': {
      const location = parseCodeLocation(data['location']);
      return location ? { type: 'openHere', location } : undefined;
    }
    case 'copy':
      return typeof data['text'] === 'string' && data['text'].length <= MAX_COPY ? { type: 'copy', text: data['text'] } : undefined;
    case 'chatCount':
      return data['direction'] === 'sent' || data['direction'] === 'received' ? { type: 'chatCount', direction: data['direction'] } : undefined;
    case 'readClipboard':
      return { type: 'readClipboard' };
    case 'clipboardSent': {
      const n = data['characters'];
      return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_CLIPBOARD_TO_HOST ? { type: 'clipboardSent', characters: n } : undefined;
    }
    case 'hostClipboard':
      return isClipboardText(data['text'], MAX_CLIPBOARD_TO_HELPER) ? { type: 'hostClipboard', text: data['text'] } : undefined;
    case 'state': {
      const s = data['state'];
      if (!isRecord(s) || typeof s['kind'] !== 'string' || !HELPER_KINDS.has(s['kind'])) return undefined;
      const text = (k: string) => (typeof s[k] === 'string' ? (s[k] as string).slice(0, 500) : '');
      let state: HelperState;
      switch (s['kind'] as HelperState['kind']) {
        case 'idle': case 'connecting': case 'verifying':
          state = { kind: s['kind'] as 'idle' };
          break;
        case 'waitingForConsent': case 'viewing': case 'requestingControl': case 'controlling': case 'reconnecting':
          state = { kind: s['kind'] as 'viewing', hostName: text('hostName') };
          break;
        case 'ended': case 'failed': {
          const reason = s['reason'];
          const by = s['by'];
          if (!isFinalReason(reason) || (by !== 'local' && by !== 'remote')) return undefined;
          state = { kind: s['kind'] as 'ended', message: text('message'), reason, by };
          break;
        }
      }
      const code = data['verificationCode'];
      return typeof code === 'string' ? { type: 'state', state, verificationCode: code.slice(0, 20) } : { type: 'state', state };
    }
    default:
      return undefined;
  }
}

/**
 * A location from the panel, rebuilt from its checked fields with context.ts's rules for the host's locations
 * (the panel only hands on what the host sent): relative paths without `..`, bounded one-line names, positive
 * positions, a commit of hex digits. Whether the file is in the helper's workspace is for src/openHere.ts.
 */
export function parseCodeLocation(value: unknown): CodeLocation | undefined {
  if (!isRecord(value)) return undefined;
  const { folder, path, line, column, repo } = value;
  if (!isOneLine(folder, LIMITS.folder) || !isRelativePath(path) || !isPosition(line)) return undefined;
  if (column !== undefined && !isPosition(column)) return undefined;
  let checkedRepo: CodeLocation['repo'];
  if (repo !== undefined) {
    if (!isRecord(repo) || !isRelativePath(repo['pathInRepo'])) return undefined;
    const remote = repo['remote'];
    const commit = repo['commit'];
    if (remote !== undefined && !isOneLine(remote, LIMITS.remote)) return undefined;
    if (commit !== undefined && !(typeof commit === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit))) return undefined;
    checkedRepo = { pathInRepo: repo['pathInRepo'], ...(remote !== undefined ? { remote } : {}), ...(commit !== undefined ? { commit } : {}) };
  }
  return { folder, path, line, ...(column !== undefined ? { column } : {}), ...(checkedRepo ? { repo: checkedRepo } : {}) };
}

function isOneLine(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max && !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(value);
}

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= LIMITS.position;
}

const MAX_TIMEOUT_MS = 10 * 60_000;
const MIN_TIMEOUT_MS = 1_000;

/**
 * Checks a message from the extension (the panel trusts it no more than the extension trusts the panel). The
 * signaling server, the ICE servers and the names go through the validators the extension and the invitation
 * file's reader use (settings.ts): whatever the extension sends after those checks is accepted here.
 */
export function parseToPanel(data: unknown): ToPanel | undefined {
  if (!isRecord(data)) return undefined;
  switch (data['type']) {
    case 'requestControl':
    case 'releaseControl':
    case 'end':
      return { type: data['type'] };
    case 'clipboardText':
      return typeof data['text'] === 'string' && data['text'].length <= MAX_COPY ? { type: 'clipboardText', text: data['text'] } : undefined;
    case 'connect': {
      const signaling = checkSignaling(data['signaling']);
      const iceServers = checkIceServers(data['iceServers']);
      const hostPeerId = data['hostPeerId'];
      const proofKey = data['proofKey'];
      const helperName = data['helperName'];
      const expectedHostName = data['expectedHostName'];
      const timeout = data['connectTimeoutMs'];
      // Absent: text, the default (an older sender); anything else is refused.
      const keyboardMode = data['keyboardMode'] ?? 'text';
      // Absent: all (an older sender); anything else is refused.
      const iceTransportPolicy = checkIceTransportPolicy(data['iceTransportPolicy'] ?? 'all');
      if (
        !signaling.ok ||
        !iceServers.ok ||
        iceTransportPolicy === undefined ||
        typeof hostPeerId !== 'string' ||
        !/^[A-Za-z0-9][A-Za-z0-9_-]{0,126}[A-Za-z0-9]$/.test(hostPeerId) ||
        typeof proofKey !== 'string' ||
        !isProofKey(proofKey) ||
        !isCleanDisplayName(helperName) ||
        !isCleanDisplayName(expectedHostName) ||
        typeof timeout !== 'number' ||
        !Number.isFinite(timeout) ||
        (keyboardMode !== 'text' && keyboardMode !== 'physical')
      ) {
        return undefined;
      }
      return {
        type: 'connect',
        signaling: signaling.value,
        iceServers: iceServers.value,
        iceTransportPolicy,
        hostPeerId,
        proofKey,
        helperName,
        expectedHostName,
        connectTimeoutMs: Math.min(Math.max(timeout, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS),
        keyboardMode,
      };
    }
    default:
      return undefined;
  }
}

function isProofKey(text: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  try {
    return fromBase64(text).length === 32;
  } catch {
    return false;
  }
}
