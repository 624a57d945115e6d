/**
 * The one status-bar item. It renders from the session states and nothing else: whatever changes a state
 * re-renders it. A click offers the actions that fit (the `showActions` command).
 */

import * as vscode from 'vscode';
import { Commands } from './config';
import { isFinal, type HelperState, type HostState } from './shared/stateMachine';

export interface SessionView {
  readonly host: HostState | undefined;
  readonly helper: HelperState | undefined;
  /** Which side changed last: when neither is active, its final state is the one shown. */
  readonly recent?: 'host' | 'helper';
}

interface Look {
  readonly text: string;
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
    const tooltip = new vscode.MarkdownString(`**Remote Assist**\n\n${look.tooltip}\n\n[Show Log](command:${Commands.showLog})`, true);
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
    switch (host.kind) {
      case 'starting':
        return { text: '$(loading~spin) Remote Assist: starting…', tooltip: 'Creating the invitation.' };
      case 'awaiting':
        return {
          text: '$(radio-tower) Awaiting helper',
          tooltip: `Waiting for a helper to join. The invitation is valid until ${host.expiresAt.toLocaleTimeString()}. Click to copy it again or cancel it.`,
        };
      case 'verifying':
        return { text: '$(loading~spin) Helper connecting…', tooltip: `${host.helperName} is connecting; checking the invitation code.` };
      case 'asking':
        return { text: `$(question) ${host.helperName} asks to connect`, tooltip: `${host.helperName} wants to see your screen. Answer the prompt.`, background: 'warning' };
      case 'viewing':
        return { text: `$(eye) ${host.helperName} sees your screen`, tooltip: `${host.helperName} is viewing your screen. Click to end the session.`, background: 'warning' };
      case 'controlled':
        return {
          text: `$(remote) ${host.helperName} controls your screen`,
          tooltip: `${host.helperName} controls your mouse and keyboard. Click to take control back or end the session.`,
          background: 'error',
        };
      case 'ended':
        return { text: '$(debug-disconnect) Remote Assist: ended', tooltip: host.message };
      case 'failed':
        return { text: '$(error) Remote Assist: failed', tooltip: host.message, background: 'error' };
      case 'idle':
        return undefined;
    }
  }
  return undefined;
}

function helperLook(helper: HelperState | undefined): Look | undefined {
  if (helper) {
    switch (helper.kind) {
      case 'connecting':
        return { text: '$(loading~spin) Remote Assist: connecting…', tooltip: 'Connecting to the host.' };
      case 'verifying':
        return { text: '$(loading~spin) Remote Assist: verifying…', tooltip: 'Proving the invitation code to the host.' };
      case 'waitingForConsent':
        return { text: `$(watch) Waiting for ${helper.hostName}`, tooltip: `Waiting for ${helper.hostName} to allow the connection.` };
      case 'viewing':
        return { text: `$(eye) Viewing ${helper.hostName}`, tooltip: `You see ${helper.hostName}'s screen. Click to ask for control or end the session.` };
      case 'requestingControl':
        return { text: `$(loading~spin) Asking ${helper.hostName} for control`, tooltip: `Waiting for ${helper.hostName} to allow control.` };
      case 'controlling':
        return {
          text: `$(remote) Controlling ${helper.hostName}`,
          tooltip: `Your mouse and keyboard drive ${helper.hostName}'s screen while the panel has the focus.`,
          background: 'warning',
        };
      case 'ended':
        return { text: '$(debug-disconnect) Remote Assist: ended', tooltip: helper.message };
      case 'failed':
        return { text: '$(error) Remote Assist: failed', tooltip: helper.message, background: 'error' };
      case 'idle':
        return undefined;
    }
  }
  return undefined;
}
