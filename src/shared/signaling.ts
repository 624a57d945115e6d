/**
 * The signaling server (PeerJS), as both sides use it: the host in the extension host and the helper in the
 * webview. The PeerJS options made from an invitation's settings, what each PeerJS error means to a person, and
 * the check of what the server relays from other peers before PeerJS acts on it. Pure module: no Node, no DOM,
 * no `vscode` (it is compiled for the browser too).
 */

import type { IceServer, SignalingSettings } from './invitation';
import type { IceTransportPolicy } from './settings';
import { isRecord } from './invitation';
import { cleanText } from './protocol';

/** The PeerJS options this extension uses (a subset of PeerJS's `PeerOptions`, which it satisfies). */
export interface SignalingPeerOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly secure: boolean;
  readonly key: string;
  readonly config: {
    iceServers: { urls: string | string[]; username?: string; credential?: string }[];
    /** `relay`: TURN relays only (RTCPeerConnection's own option, read by Chromium and node-datachannel alike). */
    iceTransportPolicy: IceTransportPolicy;
  };
  readonly debug: 0 | 1 | 2 | 3;
  readonly logFunction: (level: number, ...rest: unknown[]) => void;
}

/** Longest peer-supplied text (ids, labels, PeerJS's words about them) that goes into a log line. */
export const MAX_SHOWN_TEXT = 120;

/**
 * Text from the network as it may appear in a log line or an audit record: control, line-break, bidirectional and
 * zero-width characters removed (a peer must not fake log lines), cut to `max` characters.
 */
export function shownText(value: unknown, max = MAX_SHOWN_TEXT): string {
  // `max` characters of text, and the ellipsis beyond them.
  return cleanText(typeof value === 'string' ? value : String(value), max + 1);
}

/**
 * PeerJS options for an invitation's signaling server and ICE servers, and this side's own ICE transport policy.
 * PeerJS's own messages (warnings at level 2) go to `log`, cleaned: they quote what other peers sent (connection
 * ids, peer ids).
 */
export function peerOptions(
  signaling: SignalingSettings,
  iceServers: readonly IceServer[],
  log: (text: string) => void,
  iceTransportPolicy: IceTransportPolicy = 'all',
): SignalingPeerOptions {
  return {
    host: signaling.host,
    port: signaling.port,
    path: signaling.path,
    secure: signaling.secure,
    key: signaling.key,
    config: {
      iceServers: iceServers.map((s) => ({
        urls: typeof s.urls === 'string' ? s.urls : [...s.urls],
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      iceTransportPolicy,
    },
    debug: 2,
    logFunction: (level, ...rest) => log(`peerjs(${level}) ${shownText(rest.map(String).join(' '), 400)}`),
  };
}

/** Which side is reading a signaling error: the advice differs (settings on the host, the invitation on the helper). */
export type SignalingSide = 'host' | 'helper';

/** Words for a PeerJS error (`type` is PeerJS's `PeerErrorType`), fit to show to the person on `side`. */
export function signalingErrorText(side: SignalingSide, error: { readonly type?: string; readonly message: string }, signaling: SignalingSettings): string {
  const where = `${signaling.host}:${signaling.port}`;
  switch (error.type) {
    case 'network':
    case 'server-error':
    case 'socket-error':
    case 'socket-closed':
      return side === 'host' ? `Cannot reach the signaling server ${where}: ${shownText(error.message)}` : `Cannot reach the signaling server ${where}.`;
    case 'unavailable-id':
      return "The signaling server already has a peer with this invitation's id. Try inviting again.";
    case 'peer-unavailable':
      return 'No one is waiting with this invitation: the host may have ended it, or it has expired.';
    case 'invalid-key':
      return side === 'host' ? `The signaling server ${where} refused the key "${signaling.key}".` : `The signaling server ${where} refused the key in the invitation.`;
    case 'ssl-unavailable':
      return side === 'host'
        ? `The signaling server ${where} does not offer a secure connection; check remoteAssist.signaling.secure.`
        : `The signaling server ${where} does not accept secure connections. Check the invitation's server settings.`;
    case 'browser-incompatible':
      return 'This panel cannot use WebRTC, which Remote Assist needs.';
    case 'webrtc':
      return 'The direct connection to the host failed (WebRTC). See the log for details.';
    default:
      return side === 'host'
        ? `The signaling server ${where} failed: ${shownText(error.message)}`
        : `Could not connect to the host (${shownText(error.type ?? 'unknown', 40)}). See the log for details.`;
  }
}

/** Messages only the signaling server itself sends (a peer cannot have it relay these). */
const SERVER_TYPES: ReadonlySet<string> = new Set(['OPEN', 'ERROR', 'ID-TAKEN', 'INVALID-KEY', 'HEARTBEAT']);
/** Relayed messages about the sender's own connections, which PeerJS stores until a connection claims them. */
const CONNECTION_TYPES: ReadonlySet<string> = new Set(['ANSWER', 'CANDIDATE']);
const MAX_CONNECTION_ID = 64;
const MAX_LABEL = 64;
const MAX_SDP = 64 * 1024;

/**
 * Why a message from the signaling server must not reach PeerJS, or undefined when it may. Anything a peer
 * can have relayed is checked against what PeerJS 1.5 reads without checking: an OFFER's `serialization` is looked
 * up as a property name on PeerJS's serializer table (`"toString"` or `"constructor"` throws inside the socket's
 * message handler, and the socket then delivers nothing more); this extension only ever uses `raw` data
 * connections, so every other offer is dropped. ANSWER and CANDIDATE must be for a connection `known` to PeerJS
 * (else PeerJS keeps them, without bound, for a connection that never comes).
 */
export function unsafeSignalingMessage(message: unknown, known: (peerId: string, connectionId: string) => boolean): string | undefined {
  if (!isRecord(message) || typeof message['type'] !== 'string') return 'not a message';
  const type = message['type'];
  const payload = message['payload'];
  if (SERVER_TYPES.has(type)) return type === 'ERROR' && !isRecord(payload) ? 'an ERROR without a payload' : undefined;
  if (type === 'LEAVE' || type === 'EXPIRE') return typeof message['src'] === 'string' ? undefined : `a ${type} without a sender`;
  const src = message['src'];
  if (typeof src !== 'string') return `a ${shownText(type, 20)} without a sender`;
  if (!isRecord(payload) || typeof payload['connectionId'] !== 'string' || payload['connectionId'].length > MAX_CONNECTION_ID) {
    return `a ${shownText(type, 20)} without a connection id`;
  }
  if (type === 'OFFER') {
    if (payload['type'] !== 'data') return `an offer of type ${shownText(payload['type'], 20)}`;
    if (payload['serialization'] !== 'raw') return `an offer with serialization ${shownText(payload['serialization'], 20)}`;
    if (typeof payload['label'] !== 'string' || payload['label'].length > MAX_LABEL) return 'an offer without a proper label';
    const sdp = payload['sdp'];
    if (!isRecord(sdp) || typeof sdp['sdp'] !== 'string' || sdp['sdp'].length > MAX_SDP) return 'an offer without a session description';
    return undefined;
  }
  if (CONNECTION_TYPES.has(type)) return known(src, payload['connectionId']) ? undefined : `a ${type} for no connection`;
  return `a message of type ${shownText(type, 20)}`;
}
