/**
 * What a host session is made with (hostSession.ts): the prompts the editor supplies, the settings, and the parts
 * that tests replace (the agent, the transport, the clock, the audit log).
 */

import type { HostAgent } from '../agent/contract';
import type { AuditLog } from '../shared/audit';
import type { IceServer, SignalingSettings } from '../shared/invitation';
import type { Logger } from '../shared/log';
import type { SignalingPeerOptions } from '../shared/signaling';
import type { HostClipboard } from './clipboardRelay';
import type { HostPeerFactory } from './hostPeer';
import type { AskToSwitch } from './monitorRelay';
import type { Schedule } from './resume';

/** What the session asks of the person at the machine. Each resolves false on "no" and on timeout. */
export interface HostUi {
  askToView(request: { helperName: string; verificationCode: string; timeoutMs: number }): Promise<boolean>;
  askForControl(request: { helperName: string; timeoutMs: number }): Promise<boolean>;
  /** Something the person should know about without being asked (a failed proof, a lock). */
  notify(message: string): void;
  /** The host's clipboard, for the helper's requests (clipboardRelay.ts); absent: every request is refused. */
  readonly clipboard?: HostClipboard;
  /** The helper asks for another monitor (monitorRelay.ts); absent: every request is refused. */
  readonly askToSwitchMonitor?: AskToSwitch;
}

export interface HostSessionOptions {
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  readonly iceTransportPolicy?: SignalingPeerOptions['config']['iceTransportPolicy']; // 'all' if absent; not in the invitation
  readonly hostName: string;
  readonly lifetimeMinutes: number;
  readonly consentTimeoutMs: number;
  /** How long the signaling server has to answer before the invitation fails. */
  readonly signalingTimeoutMs: number;
  /** Upper bound on frames per second sent to the helper. */
  readonly maxFps: number;
  readonly startAgent: () => Promise<HostAgent>;
  readonly ui: HostUi;
  readonly log: Logger;
  readonly random?: (bytes: Uint8Array) => void;
  /** The wall clock the invitation's times are read against (tests move it). */
  readonly now?: () => Date;
  /** Where the session's audit events go; none by default. */
  readonly audit?: AuditLog;
  /** Makes the PeerJS peer: PeerJS by default, a fake transport in unit tests. */
  readonly createPeer?: HostPeerFactory;
  /** Whether the helper's laser pointer starts allowed (`remoteAssist.host.laserPointer`); true if absent. */
  readonly laserPointer?: boolean;
  /** Silence that is a cut (LINK_LOST_SILENCE_MS), how long a cut may last (RESUME_WINDOW_MS) and its clock; for tests. */
  readonly linkLostSilenceMs?: number;
  readonly resumeWindowMs?: number;
  readonly resumeSchedule?: Schedule;
}
