/**
 * The helper's panel (webview): one set of connections to the host, `control` then `media`, each its own PeerJS
 * DataConnection (raw, reliable; `media` tagged with its control's id, so that the host pairs them). The session makes
 * one when it joins (media once control is open) and a new one for each attempt to resume after a network cut (both
 * at once); a link that was closed or replaced never reaches the session again, so a late event of a dead
 * connection cannot end the session that replaced it. No DOM.
 */

import type { DataConnection, Peer, PeerError } from 'peerjs';
import { CONTROL_LABEL, MEDIA_LABEL } from '../shared/protocol';

export type LinkLabel = typeof CONTROL_LABEL | typeof MEDIA_LABEL;

/** What a link reports, only while it is the session's. */
export interface HostLinkEvents {
  open(label: LinkLabel): void;
  data(label: LinkLabel, data: unknown): void;
  closed(label: LinkLabel): void;
  error(label: LinkLabel, error: PeerError<string>): void;
  /** The connection's WebRTC state went `disconnected` or `failed`: the path may be cut. */
  lost(label: LinkLabel, state: string): void;
}

export class HostLink {
  readonly control: DataConnection;
  media: DataConnection | undefined;
  controlOpen = false;
  mediaOpen = false;
  /** When it was dialled (performance.now()). */
  readonly since = performance.now();
  private closed = false;

  constructor(
    private readonly peer: Peer,
    private readonly hostPeerId: string,
    private readonly events: HostLinkEvents,
  ) {
    this.control = this.dial(CONTROL_LABEL);
  }

  /** Dials the media connection, tagged with this link's control connection so that the host pairs the two. */
  openMedia(): void {
    if (!this.media && !this.closed) this.media = this.dial(MEDIA_LABEL);
  }

  /**
   * Nothing more is reported, but the connections stay open: at a cut, closing them would tell a host that still
   * hears this side (a cut in one direction only) that the helper left. Closed once the resume is done.
   */
  mute(): this {
    this.closed = true;
    return this;
  }

  /** Closes both connections; nothing more is reported. */
  close(): void {
    this.closed = true;
    for (const conn of [this.control, this.media]) {
      try {
        conn?.close();
      } catch {
        // already closed under us
      }
    }
  }

  private dial(label: LinkLabel): DataConnection {
    const metadata = label === MEDIA_LABEL ? { control: this.control.connectionId } : undefined;
    const conn = this.peer.connect(this.hostPeerId, { label, reliable: true, serialization: 'raw', ...(metadata ? { metadata } : {}) });
    const live = (fn: () => void) => () => void (this.closed || fn());
    conn.on('open', live(() => {
      if (label === CONTROL_LABEL) this.controlOpen = true;
      else this.mediaOpen = true;
      this.events.open(label);
    }));
    conn.on('data', (data) => void (this.closed || this.events.data(label, data)));
    conn.on('close', live(() => this.events.closed(label)));
    conn.on('error', (error) => void (this.closed || this.events.error(label, error)));
    // PeerJS makes the RTCPeerConnection as it dials; its state says a cut path within seconds (PeerJS never closes).
    const pc = conn.peerConnection as RTCPeerConnection | undefined;
    pc?.addEventListener?.('connectionstatechange', live(() => {
      if (pc.connectionState === 'disconnected' || pc.connectionState === 'failed') this.events.lost(label, pc.connectionState);
    }));
    return conn;
  }
}

/** Destroys the peer (every connection with it) after `delayMs` (time for a last bye to leave), or at once. */
export function destroyPeer(peer: Peer, delayMs: number, failed: (error: unknown) => void): void {
  const close = () => {
    try {
      peer.destroy();
    } catch (error) {
      failed(error);
    }
  };
  if (delayMs <= 0) close();
  else setTimeout(close, delayMs);
}
