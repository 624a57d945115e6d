/**
 * Every command id, setting key and context key in one place (the setting keys are defined beside their
 * validators in src/shared/settings.ts and re-exported here). `package.json` declares the same; a test checks that
 * the two agree.
 */

import * as os from 'node:os';
import * as vscode from 'vscode';
import type { KeyboardMode } from './shared/keys';
import { cleanDisplayName, readSettings, SECTION, type IceServer, type IceTransportPolicy, type SignalingSettings } from './shared/settings';

export { SECTION, Settings, USER_ONLY_SETTINGS } from './shared/settings';

export const Commands = {
  inviteHelper: 'remoteAssist.inviteHelper',
  join: 'remoteAssist.join',
  endSession: 'remoteAssist.endSession',
  revokeControl: 'remoteAssist.revokeControl',
  requestControl: 'remoteAssist.requestControl',
  releaseControl: 'remoteAssist.releaseControl',
  copyInvitation: 'remoteAssist.copyInvitation',
  copyJoinLink: 'remoteAssist.copyJoinLink',
  saveInvitation: 'remoteAssist.saveInvitation',
  showActions: 'remoteAssist.showActions',
  chooseSharing: 'remoteAssist.chooseSharing',
  pauseSharing: 'remoteAssist.pauseSharing',
  shareAnotherMonitor: 'remoteAssist.shareAnotherMonitor',
  resumeSharing: 'remoteAssist.resumeSharing',
  laserPointerOn: 'remoteAssist.laserPointerOn',
  laserPointerOff: 'remoteAssist.laserPointerOff',
  openChat: 'remoteAssist.openChat',
  showLog: 'remoteAssist.showLog',
} as const;

/**
 * The host's chat view (package.json `views`, in the panel). Not `remoteAssist.`-prefixed: VS Code registers
 * `<id>.focus` and more for every view, and every `remoteAssist.*` command must be one package.json contributes.
 */
export const CHAT_VIEW_ID = 'remoteAssistChat';
/** The panel container of the chat view (package.json `viewsContainers.panel`). */
export const CHAT_CONTAINER_ID = 'remoteAssistChatPanel';
/** The host's session view (sessionView.ts), a tree beside the chat in the same container; not prefixed, as above. */
export const SESSION_VIEW_ID = 'remoteAssistSession';

/** The custom editor that opens `.remoteassist` files (package.json `customEditors`). */
export const INVITATION_EDITOR_VIEW_TYPE = 'remoteAssist.invitation';

export const ContextKeys = {
  /** The host session's state kind, or 'none'. */
  hostState: 'remoteAssist.hostState',
  /** The helper session's state kind, or 'none'. */
  helperState: 'remoteAssist.helperState',
  /** Whether the host has paused sharing (true only while a helper sees the screen). */
  hostPaused: 'remoteAssist.hostPaused',
  /** Whether the host allows the helper's laser pointer (true only while a helper sees the screen). */
  hostLaser: 'remoteAssist.hostLaser',
} as const;

export interface Config {
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  /** This side's own choice (never the invitation's): `relay` connects through TURN relays only. */
  readonly iceTransportPolicy: IceTransportPolicy;
  readonly lifetimeMinutes: number;
  readonly displayName: string;
  readonly consentTimeoutMs: number;
  readonly maxFps: number;
  /** Append audit events to a file under the extension's storage (they always go to the output channel). */
  readonly auditWriteFile: boolean;
  /** How long the signaling server and the host have to answer. */
  readonly connectTimeoutMs: number;
  /** How the helper's keys travel when the panel opens. */
  readonly keyboardMode: KeyboardMode;
  /** Whether the helper's laser pointer starts allowed in a host session. */
  readonly laserPointer: boolean;
}

/**
 * Reads the settings, checked by the validators the invitation file and the panel use (src/shared/settings.ts).
 * The security settings (USER_ONLY_SETTINGS) are read from the user's settings only, never from a workspace. An
 * invalid setting throws an error that names it: a wrong value is never swapped for a default behind the user's
 * back.
 */
export function readConfig(): Config {
  const read = readSettings(vscode.workspace.getConfiguration(SECTION));
  if (!read.ok) throw new Error(read.message);
  const s = read.settings;
  return {
    signaling: s.signaling,
    iceServers: s.iceServers,
    iceTransportPolicy: s.iceTransportPolicy,
    lifetimeMinutes: s.lifetimeMinutes,
    displayName: s.displayName || defaultDisplayName(),
    consentTimeoutMs: s.consentTimeoutSeconds * 1000,
    maxFps: s.maxFps,
    auditWriteFile: s.auditWriteFile,
    connectTimeoutMs: 10_000,
    keyboardMode: s.keyboardMode,
    laserPointer: s.laserPointer,
  };
}

/** user@computer, cleaned and bounded as any display name (a user or host name may hold anything). */
function defaultDisplayName(): string {
  let name: string;
  try {
    name = `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    name = os.hostname();
  }
  return cleanDisplayName(name) || vscode.l10n.t('Remote Assist user');
}
