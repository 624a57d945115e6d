/**
 * The panel's side of the extension <-> webview channel: posting `FromPanel` messages through VS Code's
 * webview API, and checking every `ToPanel` message before anything acts on it (the panel trusts the
 * extension's messages no more than the extension trusts the panel's).
 */

import type { IceServer, SignalingSettings } from '../shared/invitation';
import { isRecord } from '../shared/invitation';
import type { FromPanel, ToPanel } from '../shared/panelProtocol';
import { fromBase64 } from '../shared/proof';

/** What `acquireVsCodeApi()` gives a webview script (only the part the panel uses). */
interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export type LogLevel = Extract<FromPanel, { type: 'log' }>['level'];

export class ExtensionBridge {
  private readonly api: VsCodeApi;

  constructor() {
    // acquireVsCodeApi may be called once per page load: this object is the only caller.
    this.api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage: () => undefined };
  }

  post(message: FromPanel): void {
    this.api.postMessage(message);
  }

  log(level: LogLevel, message: string): void {
    this.post({ type: 'log', level, message });
  }

  /** Calls `handler` with every well-formed message from the extension; returns the unsubscribe function. */
  onMessage(handler: (message: ToPanel) => void, onMalformed: (data: unknown) => void): () => void {
    const listener = (event: MessageEvent<unknown>) => {
      const message = parseToPanel(event.data);
      if (message) handler(message);
      else onMalformed(event.data);
    };
    window.addEventListener('message', listener);
    return () => window.removeEventListener('message', listener);
  }
}

const MAX_NAME = 100;
const MAX_TIMEOUT_MS = 10 * 60_000;
const MIN_TIMEOUT_MS = 1_000;

/** Checks a message from the extension. Anything out of shape gives undefined. */
export function parseToPanel(data: unknown): ToPanel | undefined {
  if (!isRecord(data)) return undefined;
  switch (data['type']) {
    case 'requestControl':
    case 'releaseControl':
    case 'end':
      return { type: data['type'] };
    case 'connect': {
      const signaling = parseSignaling(data['signaling']);
      const iceServers = parseIceServers(data['iceServers']);
      const hostPeerId = data['hostPeerId'];
      const proofKey = data['proofKey'];
      const helperName = data['helperName'];
      const expectedHostName = data['expectedHostName'];
      const timeout = data['connectTimeoutMs'];
      if (
        !signaling ||
        !iceServers ||
        typeof hostPeerId !== 'string' ||
        !/^[A-Za-z0-9][A-Za-z0-9_-]{0,126}[A-Za-z0-9]$/.test(hostPeerId) ||
        typeof proofKey !== 'string' ||
        !isProofKey(proofKey) ||
        typeof helperName !== 'string' ||
        helperName.length > MAX_NAME ||
        typeof expectedHostName !== 'string' ||
        expectedHostName.length > MAX_NAME ||
        typeof timeout !== 'number' ||
        !Number.isFinite(timeout)
      ) {
        return undefined;
      }
      return {
        type: 'connect',
        signaling,
        iceServers,
        hostPeerId,
        proofKey,
        helperName,
        expectedHostName,
        connectTimeoutMs: Math.min(Math.max(timeout, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS),
      };
    }
    default:
      return undefined;
  }
}

function parseSignaling(v: unknown): SignalingSettings | undefined {
  if (!isRecord(v)) return undefined;
  const { host, port, path, secure, key } = { host: v['host'], port: v['port'], path: v['path'], secure: v['secure'], key: v['key'] };
  if (typeof host !== 'string' || host.length === 0 || host.length > 255 || /[\s/]/.test(host)) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  if (typeof path !== 'string' || path.length > 200 || /\s/.test(path)) return undefined;
  if (typeof secure !== 'boolean') return undefined;
  if (typeof key !== 'string' || key.length > 200) return undefined;
  return { host, port, path, secure, key };
}

function parseIceServers(v: unknown): IceServer[] | undefined {
  if (!Array.isArray(v) || v.length > 10) return undefined;
  const out: IceServer[] = [];
  for (const s of v) {
    if (!isRecord(s)) return undefined;
    const urls = s['urls'];
    const isUrl = (u: unknown): u is string => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u) && u.length <= 500;
    if (!(isUrl(urls) || (Array.isArray(urls) && urls.length > 0 && urls.length <= 10 && urls.every(isUrl)))) return undefined;
    const username = s['username'];
    const credential = s['credential'];
    if (username !== undefined && typeof username !== 'string') return undefined;
    if (credential !== undefined && typeof credential !== 'string') return undefined;
    out.push({
      urls: typeof urls === 'string' ? urls : [...(urls as string[])],
      ...(username !== undefined ? { username } : {}),
      ...(credential !== undefined ? { credential } : {}),
    });
  }
  return out;
}

function isProofKey(text: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  try {
    return fromBase64(text).length === 32;
  } catch {
    return false;
  }
}
