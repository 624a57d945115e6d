/**
 * PeerJS is written for browsers. esbuild injects this module into the Node bundles (see esbuild.js): every
 * free reference to `window`, `navigator`, `location`, `WebSocket`, `RTCPeerConnection` or
 * `RTCSessionDescription` inside the bundle resolves to the exports below instead of a global. Nothing is put on
 * the extension host's globals, which every other extension shares.
 *
 * The native WebRTC (node-datachannel) is loaded on first use only, so activating the extension loads no native
 * code.
 */

import WebSocketImpl from 'ws';

type PolyfillPeerConnection = new (config?: unknown) => object;

let safeClass: PolyfillPeerConnection | undefined;

/** The PeerJS default config, which PeerJS uses only for its capability probe at load time. */
const PEERJS_DEFAULT_TURN = 'turn:eu-0.turn.peerjs.com:3478';

function isPeerJsProbe(config: unknown): boolean {
  if (config === undefined) return true;
  return JSON.stringify(config).includes(PEERJS_DEFAULT_TURN);
}

/**
 * node-datachannel's polyfill, with local ICE candidates held back until the remote description is set, and
 * remote candidates queued until then. libdatachannel hands the remote SDP to ICE before it stores it as the
 * remote description; without this, a candidate of ours that reaches the browser first can make the DTLS
 * handshake check against no fingerprint ("certificate verify failed": 7 of 40 connects failed, 0 of 100 with
 * this, per PLATFORM-FACTS.md).
 */
function loadSafePeerConnection(): PolyfillPeerConnection {
  if (safeClass) return safeClass;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const polyfill = require('node-datachannel/polyfill') as { RTCPeerConnection: new (config?: unknown) => EventTarget & {
    setRemoteDescription(d: unknown): Promise<void>;
    addIceCandidate(c: unknown): Promise<void>;
  } };
  class SafePeerConnection extends polyfill.RTCPeerConnection {
    #remoteSet = false;
    #heldLocal: Event[] = [];
    #queuedRemote: unknown[] = [];

    constructor(config?: unknown) {
      // PeerJS's load-time probe would otherwise start gathering against its public STUN/TURN servers.
      super(isPeerJsProbe(config) ? { iceServers: [] } : config);
    }

    override dispatchEvent(event: Event): boolean {
      if (event.type === 'icecandidate' && !this.#remoteSet) {
        this.#heldLocal.push(event);
        return true;
      }
      return super.dispatchEvent(event);
    }

    override async setRemoteDescription(description: unknown): Promise<void> {
      await super.setRemoteDescription(description);
      if (this.#remoteSet) return;
      this.#remoteSet = true;
      for (const candidate of this.#queuedRemote.splice(0)) await super.addIceCandidate(candidate);
      for (const event of this.#heldLocal.splice(0)) super.dispatchEvent(event);
    }

    override async addIceCandidate(candidate: unknown): Promise<void> {
      if (!this.#remoteSet) {
        this.#queuedRemote.push(candidate);
        return;
      }
      await super.addIceCandidate(candidate);
    }
  }
  safeClass = SafePeerConnection;
  return safeClass;
}

/** Constructs the real (native) peer connection on first use. */
export const RTCPeerConnection = function RTCPeerConnection(this: unknown, config?: unknown) {
  const Impl = loadSafePeerConnection();
  return new Impl(config);
} as unknown as PolyfillPeerConnection;

/** PeerJS only wraps and reads `{ type, sdp }`; no native code needed. */
export class RTCSessionDescription {
  readonly type: string;
  readonly sdp: string;
  constructor(init: { type: string; sdp: string }) {
    this.type = init.type;
    this.sdp = init.sdp;
  }
  toJSON(): { type: string; sdp: string } {
    return { type: this.type, sdp: this.sdp };
  }
}

/**
 * `ws` emits 'error' as an EventEmitter event, which throws when nobody listens, and PeerJS only sets `onclose`.
 * A refused or cut connection must reach PeerJS as a close, not crash the host: listen, and let close report it.
 */
export class WebSocket extends WebSocketImpl {
  constructor(...args: ConstructorParameters<typeof WebSocketImpl>) {
    super(...args);
    this.on('error', () => undefined);
  }
}
export const navigator = { userAgent: 'node', platform: process.platform };
export const location = { protocol: 'https:', hostname: 'localhost' };
export const window = { navigator, location, RTCPeerConnection, RTCSessionDescription, WebSocket };
