/**
 * The one status-bar item. It renders from the session states and nothing else: whatever changes a state
 * re-renders it. A click offers the actions that fit (the `showActions` command).
 */

import * as vscode from 'vscode';
import { Commands } from './config';
import type { Sharing } from './shared/context';
import { RESUME_WINDOW_MS } from './shared/protocol';
import { isFinal, type HelperState, type HostState } from './shared/stateMachine';
import { markdownText, plainText, statusBarText } from './text';

export interface SessionView {
  readonly host: HostState | undefined;
  readonly helper: HelperState | undefined;
  /** Which side changed last: when neither is active, its final state is the one shown. */
  readonly recent?: 'host' | 'helper';
  /** What the host shares besides the screen, while a helper sees it. */
  readonly sharing?: Sharing | undefined;
  /** The host paused sharing (pauseRelay.ts). */
  readonly paused?: boolean;
}

interface Look {
  /** Status-bar text: our own `$(icon)`s, and names escaped with statusBarText. */
  readonly text: string;
  /** Plain text (names and messages through plainText); render() escapes it for Markdown. */
  readonly tooltip: string;
  readonly background?: 'warning' | 'error';
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('remoteAssist.status', vscode.StatusBarAlignment.Left, 100);

  constructor() {
    this.item.name = vscode.l10n.t('Remote Assist');
    this.item.command = Commands.showActions;
  }

  render(view: SessionView): void {
    const look = lookFor(view);
    this.item.text = look.text;
    // The tooltip's words hold names from the peer: escaped, so that only our own link is a link.
    const tooltip = new vscode.MarkdownString(
      `**${markdownText(vscode.l10n.t('Remote Assist'))}**\n\n${markdownText(look.tooltip)}\n\n[${markdownText(vscode.l10n.t('Show Log'))}](command:${Commands.showLog})`,
      true,
    );
    tooltip.isTrusted = { enabledCommands: [Commands.showLog] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(`statusBarItem.${look.background}Background`) : undefined;
    this.item.accessibilityInformation = { label: vscode.l10n.t('Remote Assist: {0}', look.tooltip), role: 'button' };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

/**
 * Pure mapping from states to what the item shows: an active session first (the host side when both are), then
 * the final state of the side that changed last, then the idle entry point.
 */
export function lookFor(view: SessionView): Look {
  const { host, helper } = view;
  const active = (s: HostState | HelperState | undefined) => !!s && s.kind !== 'idle' && !isFinal(s);
  if (active(host)) return withSharing((view.paused && pausedLook(host!)) || hostLook(host!)!, host!, view.sharing);
  if (active(helper)) return helperLook(helper!)!;
  const finals = view.recent === 'helper' ? [helperLook(helper), hostLook(host)] : [hostLook(host), helperLook(helper)];
  return finals.find((l) => l !== undefined) ?? {
    text: `$(remote-explorer) ${vscode.l10n.t('Remote Assist')}`,
    tooltip: vscode.l10n.t('Invite a helper to see your screen, or join someone who invited you.'),
  };
}

/**
 * While the host shares its editor, debugger or terminal, the item says so: an icon per kind after the text, and a
 * line in the tooltip. Nothing changes when only the screen is shared.
 */
function withSharing(look: Look, host: HostState, sharing: Sharing | undefined): Look {
  if (!sharing || (host.kind !== 'viewing' && host.kind !== 'controlled')) return look;
  const kinds = [
    sharing.editor && { icon: 'code', name: vscode.l10n.t('Editor') },
    sharing.debug && { icon: 'debug-alt', name: vscode.l10n.t('Debugger') },
    sharing.terminal && { icon: 'terminal', name: vscode.l10n.t('Terminal') },
  ].filter((k): k is { icon: string; name: string } => !!k);
  if (kinds.length === 0) return look;
  return {
    ...look,
    text: `${look.text} ${kinds.map((k) => `$(${k.icon})`).join('')}`,
    tooltip: `${look.tooltip} ${vscode.l10n.t('Also shared with {0}: {1}.', plainText(host.helperName, 100), kinds.map((k) => k.name).join(', '))}`,
  };
}

/** The host paused sharing: said first, in the warning colour, whether or not the helper holds control. */
function pausedLook(host: HostState): Look | undefined {
  if (host.kind !== 'viewing' && host.kind !== 'controlled') return undefined;
  return {
    text: `$(debug-pause) ${vscode.l10n.t('Sharing paused')}`,
    tooltip: vscode.l10n.t('You paused sharing: {0} sees nothing and their mouse and keyboard input is dropped. Click to resume or end the session.', plainText(host.helperName, 100)),
    background: 'warning',
  };
}

function hostLook(host: HostState | undefined): Look | undefined {
  if (host) {
    // The helper's name comes from the peer: escaped for each place it goes.
    const name = 'helperName' in host ? plainText(host.helperName, 100) : '';
    const label = 'helperName' in host ? statusBarText(host.helperName, 100) : '';
    switch (host.kind) {
      case 'starting':
        return { text: `$(loading~spin) ${vscode.l10n.t('Remote Assist: starting…')}`, tooltip: vscode.l10n.t('Creating the invitation.') };
      case 'awaiting':
        return {
          text: `$(radio-tower) ${vscode.l10n.t('Awaiting helper')}`,
          tooltip: vscode.l10n.t('Waiting for a helper to join. The invitation is valid until {0}. Click to copy it again or cancel it.', host.expiresAt.toLocaleTimeString()),
        };
      case 'verifying':
        return { text: `$(loading~spin) ${vscode.l10n.t('Helper connecting…')}`, tooltip: vscode.l10n.t('{0} is connecting; checking the invitation code.', name) };
      case 'asking':
        return { text: `$(question) ${vscode.l10n.t('{0} asks to connect', label)}`, tooltip: vscode.l10n.t('{0} wants to see your screen. Answer the prompt.', name), background: 'warning' };
      case 'viewing':
        return { text: `$(eye) ${vscode.l10n.t('{0} sees your screen', label)}`, tooltip: vscode.l10n.t('{0} is viewing your screen. Click to end the session.', name), background: 'warning' };
      case 'controlled':
        return {
          text: `$(remote) ${vscode.l10n.t('{0} controls your screen', label)}`,
          tooltip: vscode.l10n.t('{0} controls your mouse and keyboard. Click to take control back or end the session.', name),
          background: 'error',
        };
      case 'reconnecting':
        return {
          text: `$(sync~spin) ${vscode.l10n.t('Reconnecting to {0}…', label)}`,
          tooltip: vscode.l10n.t('The connection to {0} was cut. Control was taken back and nothing is sent until they are reconnected; the session ends if they are not back within {1} seconds. Click to end it now.', name, RESUME_WINDOW_MS / 1000),
          background: 'warning',
        };
      case 'ended':
        return { text: `$(debug-disconnect) ${vscode.l10n.t('Remote Assist: ended')}`, tooltip: plainText(host.message) };
      case 'failed':
        return { text: `$(error) ${vscode.l10n.t('Remote Assist: failed')}`, tooltip: plainText(host.message), background: 'error' };
      case 'idle':
        return undefined;
    }
  }
  return undefined;
}

function helperLook(helper: HelperState | undefined): Look | undefined {
  if (helper) {
    // The host's name comes from the peer (or the invitation file): escaped for each place it goes.
    const name = 'hostName' in helper ? plainText(helper.hostName, 100) : '';
    const label = 'hostName' in helper ? statusBarText(helper.hostName, 100) : '';
    switch (helper.kind) {
      case 'connecting':
        return { text: `$(loading~spin) ${vscode.l10n.t('Remote Assist: connecting…')}`, tooltip: vscode.l10n.t('Connecting to the host.') };
      case 'verifying':
        return { text: `$(loading~spin) ${vscode.l10n.t('Remote Assist: verifying…')}`, tooltip: vscode.l10n.t('Proving the invitation code to the host.') };
      case 'waitingForConsent':
        return { text: `$(watch) ${vscode.l10n.t('Waiting for {0}', label)}`, tooltip: vscode.l10n.t('Waiting for {0} to allow the connection.', name) };
      case 'viewing':
        return { text: `$(eye) ${vscode.l10n.t('Viewing {0}', label)}`, tooltip: vscode.l10n.t("You see {0}'s screen. Click to ask for control or end the session.", name) };
      case 'requestingControl':
        return { text: `$(loading~spin) ${vscode.l10n.t('Asking {0} for control', label)}`, tooltip: vscode.l10n.t('Waiting for {0} to allow control.', name) };
      case 'controlling':
        return {
          text: `$(remote) ${vscode.l10n.t('Controlling {0}', label)}`,
          tooltip: vscode.l10n.t("Your mouse and keyboard drive {0}'s screen while the panel has the focus.", name),
          background: 'warning',
        };
      case 'reconnecting':
        return {
          text: `$(sync~spin) ${vscode.l10n.t('Reconnecting to {0}…', label)}`,
          tooltip: vscode.l10n.t('The connection to {0} was cut; reconnecting. You will have to ask for control again. The session ends if the connection is not back within {1} seconds.', name, RESUME_WINDOW_MS / 1000),
          background: 'warning',
        };
      case 'ended':
        return { text: `$(debug-disconnect) ${vscode.l10n.t('Remote Assist: ended')}`, tooltip: plainText(helper.message) };
      case 'failed':
        return { text: `$(error) ${vscode.l10n.t('Remote Assist: failed')}`, tooltip: plainText(helper.message), background: 'error' };
      case 'idle':
        return undefined;
    }
  }
  return undefined;
}
