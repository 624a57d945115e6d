/**
 * The one status-bar item. It renders from the session states and nothing else: whatever changes a state
 * re-renders it. A click offers the actions that fit (the `showActions` command).
 */

import * as vscode from 'vscode';
import { Commands } from './config';
import { isFinal, type HelperState, type HostState } from './shared/stateMachine';
import { markdownText, plainText, statusBarText } from './text';

export interface SessionView {
  readonly host: HostState | undefined;
  readonly helper: HelperState | undefined;
  /** Which side changed last: when neither is active, its final state is the one shown. */
  readonly recent?: 'host' | 'helper';
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
    this.item.name = 'Remote Assist';
    this.item.command = Commands.showActions;
  }

  render(view: SessionView): void {
    const look = lookFor(view);
    this.item.text = look.text;
    // The tooltip's words hold names from the peer: escaped, so that only our own link is a link.
    const tooltip = new vscode.MarkdownString(`**Remote Assist**\n\n${markdownText(look.tooltip)}\n\n[Show Log](command:${Commands.showLog})`, true);
    tooltip.isTrusted = { enabledCommands: [Commands.showLog] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(`statusBarItem.${look.background}Background`) : undefined;
    this.item.accessibilityInformation = { label: `Remote Assist: ${look.tooltip}`, role: 'button' };
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
  if (active(host)) return hostLook(host!)!;
  if (active(helper)) return helperLook(helper!)!;
  const finals = view.recent === 'helper' ? [helperLook(helper), hostLook(host)] : [hostLook(host), helperLook(helper)];
  return finals.find((l) => l !== undefined) ?? {
    text: '$(remote-explorer) Remote Assist',
    tooltip: 'Invite a helper to see your screen, or join someone who invited you.',
  };
}

function hostLook(host: HostState | undefined): Look | undefined {
  if (host) {
    // The helper's name comes from the peer: escaped for each place it goes.
    const name = 'helperName' in host ? plainText(host.helperName, 100) : '';
    const label = 'helperName' in host ? statusBarText(host.helperName, 100) : '';
    switch (host.kind) {
      case 'starting':
        return { text: '$(loading~spin) Remote Assist: starting…', tooltip: 'Creating the invitation.' };
      case 'awaiting':
        return {
          text: '$(radio-tower) Awaiting helper',
          tooltip: `Waiting for a helper to join. The invitation is valid until ${host.expiresAt.toLocaleTimeString()}. Click to copy it again or cancel it.`,
        };
      case 'verifying':
        return { text: '$(loading~spin) Helper connecting…', tooltip: `${name} is connecting; checking the invitation code.` };
      case 'asking':
        return { text: `$(question) ${label} asks to connect`, tooltip: `${name} wants to see your screen. Answer the prompt.`, background: 'warning' };
      case 'viewing':
        return { text: `$(eye) ${label} sees your screen`, tooltip: `${name} is viewing your screen. Click to end the session.`, background: 'warning' };
      case 'controlled':
        return {
          text: `$(remote) ${label} controls your screen`,
          tooltip: `${name} controls your mouse and keyboard. Click to take control back or end the session.`,
          background: 'error',
        };
      case 'ended':
        return { text: '$(debug-disconnect) Remote Assist: ended', tooltip: plainText(host.message) };
      case 'failed':
        return { text: '$(error) Remote Assist: failed', tooltip: plainText(host.message), background: 'error' };
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
        return { text: '$(loading~spin) Remote Assist: connecting…', tooltip: 'Connecting to the host.' };
      case 'verifying':
        return { text: '$(loading~spin) Remote Assist: verifying…', tooltip: 'Proving the invitation code to the host.' };
      case 'waitingForConsent':
        return { text: `$(watch) Waiting for ${label}`, tooltip: `Waiting for ${name} to allow the connection.` };
      case 'viewing':
        return { text: `$(eye) Viewing ${label}`, tooltip: `You see ${name}'s screen. Click to ask for control or end the session.` };
      case 'requestingControl':
        return { text: `$(loading~spin) Asking ${label} for control`, tooltip: `Waiting for ${name} to allow control.` };
      case 'controlling':
        return {
          text: `$(remote) Controlling ${label}`,
          tooltip: `Your mouse and keyboard drive ${name}'s screen while the panel has the focus.`,
          background: 'warning',
        };
      case 'ended':
        return { text: '$(debug-disconnect) Remote Assist: ended', tooltip: plainText(helper.message) };
      case 'failed':
        return { text: '$(error) Remote Assist: failed', tooltip: plainText(helper.message), background: 'error' };
      case 'idle':
        return undefined;
    }
  }
  return undefined;
}
