/**
 * The host's session view (extension host): a tree beside the chat, in the same panel container (package.json
 * `views.remoteAssistChatPanel`), so the person being helped has the session and the conversation side by side
 * below their editor and no extra icon in the activity bar. It shows who is connected, the verification code,
 * what is shared (the screen, shared or paused, and which monitor; the editor, debugger and terminal, each on or
 * off), whether the helper may point with its laser pointer, and who has control, with the session's buttons as
 * view/title and inline actions (package.json `menus`). It renders from the
 * host controller's summary and nothing else, wherever the status bar renders.
 *
 * The helper's name comes from the peer: plain text in labels and descriptions, escaped Markdown in tooltips.
 */

import * as vscode from 'vscode';
import { Commands, SESSION_VIEW_ID } from './config';
import { CONTEXT_KINDS, type ContextKind, type Sharing } from './shared/context';
import { RESUME_WINDOW_MS } from './shared/protocol';
import type { HostState } from './shared/stateMachine';
import { markdownText, plainText } from './text';

/** What the view shows: the host controller's summary of its session. */
export interface HostSummary {
  readonly state: HostState | undefined;
  readonly paused: boolean;
  /** The code both people saw in the prompt; empty before the host was asked. */
  readonly verificationCode: string;
  /** What the host shares besides the screen, while a helper sees it. */
  readonly sharing: Sharing | undefined;
  /** The helper's laser pointer: allowed (`on`), and whether this screen can show it (`seen`); absent without a session. */
  readonly laser?: { readonly on: boolean; readonly seen: boolean } | undefined;
  /** The monitor shared ("DP-2 (1920×1080)", plain text), while a helper sees it; `choice`: the host has others. */
  readonly monitor?: { readonly text: string; readonly choice: boolean } | undefined;
}

/** One line of the view. */
export interface Row {
  readonly id: string;
  /** A codicon's name. */
  readonly icon: string;
  readonly label: string;
  readonly description?: string;
  /** Plain words; escaped for Markdown when the item is made. */
  readonly tooltip: string;
  /** Matched by the `view/item/context` menus (`viewItem == …`): the inline buttons. */
  readonly contextValue?: string;
  readonly command?: string;
}

export class SessionView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private rows: Row[] = [];
  private readonly changed = new vscode.EventEmitter<Row | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Row>;

  constructor() {
    this.view = vscode.window.createTreeView(SESSION_VIEW_ID, { treeDataProvider: this, showCollapseAll: false });
  }

  render(summary: HostSummary): void {
    this.rows = rowsFor(summary);
    this.view.message = this.rows.length === 0 ? vscode.l10n.t('No Remote Assist session. Run "Remote Assist: Invite Helper" to start one.') : undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(row: Row): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    if (row.description !== undefined) item.description = row.description;
    // Not trusted, no theme icons: whatever the peer chose for its name stays text.
    item.tooltip = new vscode.MarkdownString(markdownText(row.tooltip, 1000));
    if (row.contextValue !== undefined) item.contextValue = row.contextValue;
    if (row.command !== undefined) item.command = { command: row.command, title: row.label };
    return item;
  }

  getChildren(row?: Row): Row[] {
    return row ? [] : this.rows;
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}

/** The rows for a session as it stands: nothing without an open session. */
export function rowsFor(summary: HostSummary): Row[] {
  const { state } = summary;
  if (!state) return [];
  const name = 'helperName' in state ? plainText(state.helperName, 100) : '';
  switch (state.kind) {
    case 'awaiting':
      return [{
        id: 'awaiting',
        icon: 'radio-tower',
        label: vscode.l10n.t('Awaiting helper'),
        description: vscode.l10n.t('until {0}', state.expiresAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
        tooltip: vscode.l10n.t('Nobody is connected. Click to copy the invitation code again.'),
        command: Commands.copyInvitation,
      }];
    case 'verifying':
      return [{ id: 'helper', icon: 'loading~spin', label: name, description: vscode.l10n.t('connecting…'), tooltip: vscode.l10n.t('{0} is connecting; checking the invitation code.', name) }];
    case 'asking':
      return [{ id: 'helper', icon: 'question', label: name, description: vscode.l10n.t('asks to see your screen'), tooltip: vscode.l10n.t('{0} wants to see your screen. Answer the prompt.', name) }, ...codeRow(summary)];
    case 'viewing':
    case 'controlled':
      return seeingRows(state, name, summary);
    case 'reconnecting':
      return [{ id: 'helper', icon: 'sync~spin', label: name, description: vscode.l10n.t('reconnecting…'), tooltip: vscode.l10n.t('The connection to {0} was cut. Control was taken back; your screen is not sent until they are reconnected. The session ends if they are not back within {1} seconds.', name, RESUME_WINDOW_MS / 1000) }, ...codeRow(summary)];
    case 'idle':
    case 'starting':
    case 'ended':
    case 'failed':
      return [];
  }
}

/** The verification code, once the host has been asked about this helper. */
function codeRow(summary: HostSummary): Row[] {
  if (!summary.verificationCode) return [];
  return [{ id: 'code', icon: 'shield', label: vscode.l10n.t('Verification code'), description: plainText(summary.verificationCode, 20), tooltip: vscode.l10n.t('Your helper sees the same code: compare it with them if you like.') }];
}

/** Admitted: the helper, the code, the screen, each kind of context, control and chat. */
function seeingRows(state: Extract<HostState, { kind: 'viewing' | 'controlled' }>, name: string, summary: HostSummary): Row[] {
  const controlled = state.kind === 'controlled';
  const rows: Row[] = [{
    id: 'helper',
    icon: 'person',
    label: name,
    description: controlled ? vscode.l10n.t('controls your screen') : vscode.l10n.t('sees your screen'),
    tooltip: controlled ? vscode.l10n.t('{0} controls your mouse and keyboard.', name) : vscode.l10n.t('{0} is viewing your screen.', name),
  }];
  rows.push(...codeRow(summary));
  rows.push(summary.paused
    ? { id: 'screen', icon: 'debug-pause', label: vscode.l10n.t('Screen'), description: vscode.l10n.t('paused'), tooltip: vscode.l10n.t('Nothing is captured or sent, and input from {0} is dropped. Resume to share again.', name), contextValue: 'screen.paused' }
    : { id: 'screen', icon: 'device-desktop', label: vscode.l10n.t('Screen'), description: vscode.l10n.t('shared'), tooltip: vscode.l10n.t('{0} sees your whole screen, live. Pause to hide it for a moment.', name), contextValue: 'screen.shared' });
  const { monitor } = summary;
  if (monitor) {
    rows.push({
      id: 'monitor',
      icon: 'device-desktop',
      label: vscode.l10n.t('Monitor'),
      description: monitor.text,
      tooltip: monitor.choice ? vscode.l10n.t('{0} sees this monitor. Click to share another one.', name) : vscode.l10n.t('{0} sees your only monitor.', name),
      ...(monitor.choice ? { contextValue: 'monitor.choice', command: Commands.shareAnotherMonitor } : {}),
    });
  }
  const labels: Record<ContextKind, [string, string]> = {
    editor: ['code', vscode.l10n.t('Editor')],
    debug: ['debug-alt', vscode.l10n.t('Debugger')],
    terminal: ['terminal', vscode.l10n.t('Terminal')],
  };
  for (const kind of CONTEXT_KINDS) {
    const on = !!summary.sharing?.[kind];
    rows.push({
      id: `context.${kind}`,
      icon: labels[kind][0],
      label: labels[kind][1],
      description: on ? vscode.l10n.t('on') : vscode.l10n.t('off'),
      tooltip: on ? vscode.l10n.t('Shared with {0}. Click to choose what else your helper sees.', name) : vscode.l10n.t('Not shared. Click to choose what else your helper sees.'),
      command: Commands.chooseSharing,
    });
  }
  rows.push(laserRow(summary, name));
  rows.push(controlled
    ? { id: 'control', icon: 'remote', label: vscode.l10n.t('Control'), description: name, tooltip: vscode.l10n.t('{0} has your mouse and keyboard. Take it back at any moment.', name), contextValue: 'control.helper' }
    : { id: 'control', icon: 'lock', label: vscode.l10n.t('Control'), description: vscode.l10n.t('you'), tooltip: vscode.l10n.t('Only you use your mouse and keyboard. Your helper can ask for control.') });
  rows.push({ id: 'chat', icon: 'comment-discussion', label: vscode.l10n.t('Chat'), tooltip: vscode.l10n.t('Write to {0}.', name), contextValue: 'chat', command: Commands.openChat });
  return rows;
}

/** The laser pointer: allowed or not (click or the inline button to switch), and said when this screen cannot show it. */
function laserRow(summary: HostSummary, name: string): Row {
  const laser = summary.laser ?? { on: false, seen: true };
  if (!laser.on) {
    return { id: 'laser', icon: 'circle-slash', label: vscode.l10n.t('Laser pointer'), description: vscode.l10n.t('off'), tooltip: vscode.l10n.t('{0} cannot point at things on your screen. Click to allow their laser pointer.', name), contextValue: 'laser.off', command: Commands.laserPointerOn };
  }
  return {
    id: 'laser',
    icon: 'record',
    label: vscode.l10n.t('Laser pointer'),
    description: laser.seen ? vscode.l10n.t('on') : vscode.l10n.t('on, their view only'),
    tooltip: laser.seen
      ? vscode.l10n.t('Without control, {0} can point at things: a red ring follows their pointer on your screen. Click to turn it off.', name)
      : vscode.l10n.t('{0} can point at things, but this screen cannot show the ring (only X11 can): only their view shows it. Click to turn it off.', name),
    contextValue: 'laser.on',
    command: Commands.laserPointerOff,
  };
}
