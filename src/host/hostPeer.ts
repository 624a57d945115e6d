/**
 * The host's link to the signaling server (extension host): the PeerJS peer behind two small interfaces (so that
 * unit tests can pass a fake transport), with every message the server relays checked before PeerJS sees it;
 * registering within a timeout; coming back, with a growing wait, when the server is lost while helpers still
 * need it; and leaving it once the invitation is spent.
 */

import type { Logger } from '../shared/log';
import type { SignalingSettings } from '../shared/invitation';
import { shownText, signalingErrorText, unsafeSignalingMessage, type SignalingPeerOptions } from '../shared/signaling';
import { CONTROL_LABEL, MEDIA_LABEL } from '../shared/protocol';
import type { MediaChannel } from './framePump';

/** A data connection as the session uses it (PeerJS's `DataConnection`; a fake in unit tests). */
export interface HostConnection extends MediaChannel {
  readonly peer: string;
  readonly label: string;
  readonly serialization: string;
  readonly peerConnection?: unknown;
  /** PeerJS's id of the connection, and what the dialling peer attached to it (untrusted). */
  readonly connectionId?: string;
  readonly metadata?: unknown;
  on(event: 'open' | 'close', listener: () => void): unknown;
  on(event: 'data', listener: (data: unknown) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  send(data: unknown): unknown;
  close(): void;
}

/** The PeerJS peer as the session uses it. */
export interface HostPeer {
  readonly disconnected: boolean;
  readonly destroyed: boolean;
  on(event: 'open', listener: () => void): unknown;
  on(event: 'connection', listener: (conn: HostConnection) => void): unknown;
  on(event: 'error', listener: (error: Error & { type?: string }) => void): unknown;
  on(event: 'disconnected', listener: () => void): unknown;
  disconnect(): void;
  reconnect(): void;
  destroy(): void;
}

/** Makes the peer with the invitation's id; `log` is the session's. */
export type HostPeerFactory = (id: string, options: SignalingPeerOptions, log: Logger) => Promise<HostPeer>;


/** PeerJS, with every message the signaling server relays checked before PeerJS acts on it. */
const peerJs: HostPeerFactory = async (id, options, log) => {
  const { Peer } = await import('peerjs');
  const peer = new Peer(id, options);
  // PeerJS 1.5 trusts what the server relays from any peer that knows our id (see unsafeSignalingMessage): one
  // bad OFFER would throw inside its socket handler and leave the host deaf. Its handler is wrapped here.
  const inner = peer as unknown as { _handleMessage?: (message: unknown) => void };
  const handle = inner._handleMessage;
  if (typeof handle !== 'function') throw new Error('This PeerJS version cannot be guarded (no _handleMessage).');
  let dropped = 0;
  inner._handleMessage = (message) => {
    const why = unsafeSignalingMessage(message, (src, connectionId) => !!peer.getConnection(src, connectionId));
    try {
      if (why === undefined) return handle.call(peer, message);
    } catch (error) {
      log.warn(`PeerJS failed on a signaling message: ${shownText(error instanceof Error ? error.message : error)}`);
      return;
    }
    if (++dropped === 1 || dropped % 100 === 0) log.warn(`dropped signaling message(s) PeerJS must not see (${dropped} so far): ${why}`);
  };
  return peer as unknown as HostPeer;
};

/** Reconnects wait this long at first, doubling up to the cap; the person hears of it at the third in a row. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;
/**
 * The cap while a helper waits to resume (`hurry`): the server was most likely lost in the same cut as the helper,
 * and comes back with the path; a doubling wait would leave the host off it for seconds after that.
 */
const RECONNECT_HURRY_MS = 1_000;
const RECONNECT_NOTIFY_AT = 3;

export interface SignalingLinkOptions {
  readonly createPeer?: HostPeerFactory;
  readonly signaling: SignalingSettings;
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly notify: (message: string) => void;
  /** Whether helpers still need the server (before one is admitted, or while one resumes): only then is a lost server come back to. */
  readonly wanted: () => boolean;
  /** Whether a helper waits to resume: a lost server is then tried again every RECONNECT_HURRY_MS at most. */
  readonly hurry?: () => boolean;
}

export class SignalingLink {
  private reconnects = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  private constructor(
    readonly peer: HostPeer,
    private readonly options: SignalingLinkOptions,
  ) {
    peer.on('error', (error) => options.log.warn(`peer error (${shownText(error.type ?? 'unknown', 40)}): ${shownText(error.message)}`));
    peer.on('open', () => this.onBack());
    peer.on('disconnected', () => this.onLost());
  }

  /** Registers `id` on the server; rejects with words for the person when it fails or does not answer in time. */
  static async open(id: string, peerOptions: SignalingPeerOptions, options: SignalingLinkOptions): Promise<SignalingLink> {
    const { signaling, timeoutMs, log } = options;
    const peer = await (options.createPeer ?? peerJs)(id, peerOptions, log);
    try {
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const settle = (error?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timeout);
          if (error) reject(error);
          else resolve();
        };
        const seconds = Math.round(timeoutMs / 1000);
        const timeout = setTimeout(() => settle(new Error(`The signaling server ${signaling.host}:${signaling.port} did not answer within ${seconds} s.`)), timeoutMs);
        peer.on('open', () => settle());
        peer.on('error', (error) => settle(new Error(signalingErrorText('host', error, signaling))));
      });
    } catch (error) {
      peer.destroy();
      throw error;
    }
    return new SignalingLink(peer, options);
  }

  /**
   * Hands on the connections the session may use: `raw` ones (no PeerJS deserializer ever runs on what a
   * helper sends) labelled control or media. Others are closed and reported, with the peer's words cut and cleaned.
   */
  onConnection(accept: (conn: HostConnection, shownId: string) => void, refused: (what: string, shownId: string) => void): void {
    this.peer.on('connection', (conn) => {
      const shownId = shownText(conn.peer, 64);
      if (conn.serialization === 'raw' && (conn.label === CONTROL_LABEL || conn.label === MEDIA_LABEL)) return accept(conn, shownId);
      const what = `label ${shownText(conn.label, 40)}, serialization ${shownText(conn.serialization, 20)}`;
      this.options.log.warn(`refused a connection from ${shownId}: ${what}`);
      refused(what, shownId);
      conn.close();
    });
  }

  /** Leaves the server for good (the invitation is spent): nobody can reach the peer any more. */
  leave(): boolean {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    if (this.peer.disconnected) return false;
    this.peer.disconnect();
    return true;
  }

  /**
   * Back on the server after `leave()`, with the same id, while the session waits for its helper to resume after a
   * cut (resume.ts); a lost server is then come back to as before admission (`wanted`).
   */
  rejoin(): void {
    if (this.peer.destroyed) return;
    this.closed = false;
    if (this.peer.disconnected) this.peer.reconnect();
  }

  /** Destroys the peer, once the last messages have had time to leave. */
  dispose(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    setTimeout(() => this.peer.destroy(), 150).unref?.();
  }

  private onLost(): void {
    if (this.closed || !this.options.wanted() || this.peer.destroyed || this.reconnectTimer) return;
    const { log, notify } = this.options;
    this.reconnects++;
    const delay = Math.min(this.options.hurry?.() ? RECONNECT_HURRY_MS : RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** (this.reconnects - 1));
    log.warn(`lost the signaling server (attempt ${this.reconnects}); reconnecting in ${delay} ms`);
    if (this.reconnects === RECONNECT_NOTIFY_AT) notify('Remote Assist lost its signaling server: your helper cannot reach you until it is back. Retrying.');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.peer.destroyed && this.peer.disconnected) this.peer.reconnect();
    }, delay);
  }

  private onBack(): void {
    if (this.reconnects === 0) return;
    this.options.log.info(`back on the signaling server after ${this.reconnects} attempt(s)`);
    if (this.reconnects >= RECONNECT_NOTIFY_AT) this.options.notify('Remote Assist is back on its signaling server: your helper can connect.');
    this.reconnects = 0;
  }
}
