/**
 * Every command id, setting key and context key in one place. `package.json` declares the same; a test
 * checks that the two agree.
 */

import * as os from 'node:os';
import * as vscode from 'vscode';
import type { IceServer, SignalingSettings } from './shared/invitation';
import { MAX_LIFETIME_MINUTES } from './shared/invitation';

export const Commands = {
  inviteHelper: 'remoteAssist.inviteHelper',
  join: 'remoteAssist.join',
  endSession: 'remoteAssist.endSession',
  revokeControl: 'remoteAssist.revokeControl',
  requestControl: 'remoteAssist.requestControl',
  releaseControl: 'remoteAssist.releaseControl',
  copyInvitation: 'remoteAssist.copyInvitation',
  saveInvitation: 'remoteAssist.saveInvitation',
  showActions: 'remoteAssist.showActions',
  showLog: 'remoteAssist.showLog',
} as const;

export const ContextKeys = {
  /** The host session's state kind, or 'none'. */
  hostState: 'remoteAssist.hostState',
  /** The helper session's state kind, or 'none'. */
  helperState: 'remoteAssist.helperState',
} as const;

export const SECTION = 'remoteAssist';

export const Settings = {
  signalingHost: 'signaling.host',
  signalingPort: 'signaling.port',
  signalingPath: 'signaling.path',
  signalingSecure: 'signaling.secure',
  signalingKey: 'signaling.key',
  iceServers: 'iceServers',
  lifetimeMinutes: 'invitation.lifetimeMinutes',
  displayName: 'displayName',
  consentTimeoutSeconds: 'consentTimeoutSeconds',
  maxFps: 'capture.maxFps',
  auditWriteFile: 'audit.writeFile',
} as const;

export interface Config {
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  readonly lifetimeMinutes: number;
  readonly displayName: string;
  readonly consentTimeoutMs: number;
  readonly maxFps: number;
  /** Append audit events to a file under the extension's storage (they always go to the output channel). */
  readonly auditWriteFile: boolean;
  /** How long the signaling server and the host have to answer. */
  readonly connectTimeoutMs: number;
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  const num = (key: string, fallback: number, min: number, max: number) => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(Math.max(v, min), max) : fallback;
  };
  const iceServers = c.get<unknown>(Settings.iceServers, []);
  return {
    signaling: {
      host: c.get<string>(Settings.signalingHost, '0.peerjs.com') || '0.peerjs.com',
      port: Math.round(num(Settings.signalingPort, 443, 1, 65535)),
      path: c.get<string>(Settings.signalingPath, '/') || '/',
      secure: c.get<boolean>(Settings.signalingSecure, true),
      key: c.get<string>(Settings.signalingKey, 'peerjs') || 'peerjs',
    },
    iceServers: Array.isArray(iceServers)
      ? iceServers.filter((s): s is IceServer => typeof s === 'object' && s !== null && 'urls' in s)
      : [],
    lifetimeMinutes: Math.round(num(Settings.lifetimeMinutes, 30, 1, MAX_LIFETIME_MINUTES)),
    displayName: c.get<string>(Settings.displayName, '').trim() || defaultDisplayName(),
    consentTimeoutMs: num(Settings.consentTimeoutSeconds, 60, 5, 600) * 1000,
    maxFps: num(Settings.maxFps, 120, 1, 240),
    auditWriteFile: c.get<boolean>(Settings.auditWriteFile, true) !== false,
    connectTimeoutMs: 10_000,
  };
}

function defaultDisplayName(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return os.hostname();
  }
}
