/**
 * Remote Assist: Microsoft Remote Assistance in the editor. This file only wires the parts together:
 * the host (the person being helped), the helper (the panel), the status bar and the commands.
 */

import * as vscode from 'vscode';
import { CHAT_VIEW_ID, Commands, ContextKeys } from './config';
import { HelperController, type JoinArgs } from './helperController';
import { HostController } from './hostController';
import { InvitationEditorProvider } from './invitationEditor';
import { parseJoinLink, type JoinLinkRefusal } from './joinLink';
import { showError } from './prompts';
import { SessionView } from './sessionView';
import type { Sharing } from './shared/context';
import { StatusBar } from './statusBar';
import { plainText } from './text';

let hostController: HostController | undefined;

export function activate(context: vscode.ExtensionContext): { host: HostController; helper: HelperController } {
  const log = vscode.window.createOutputChannel('Remote Assist', { log: true });
  context.subscriptions.push(log);
  log.info(`Remote Assist ${String(context.extension.packageJSON['version'])} activated`);

  const statusBar = new StatusBar();
  const sessionView = new SessionView();
  context.subscriptions.push(statusBar, sessionView);
  let recent: 'host' | 'helper' = 'host';
  const render = (side?: 'host' | 'helper') => {
    if (side) recent = side;
    statusBar.render({ host: host.state, helper: helper.state, recent, sharing: host.sharing, paused: host.paused });
    sessionView.render(host.summary);
    void vscode.commands.executeCommand('setContext', ContextKeys.hostState, host.state?.kind ?? 'none');
    void vscode.commands.executeCommand('setContext', ContextKeys.hostPaused, host.paused);
    void vscode.commands.executeCommand('setContext', ContextKeys.hostLaser, host.laserPointer);
    void vscode.commands.executeCommand('setContext', ContextKeys.helperState, helper.state?.kind ?? 'none');
  };
  const host = new HostController(context, log, () => render('host'));
  const helper = new HelperController(context, log, () => render('helper'));
  hostController = host;
  context.subscriptions.push(host, helper);

  const register = (id: string, run: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          await run(...args);
        } catch (error) {
          log.error(error instanceof Error ? error : String(error));
          // An error's text may quote a setting or a file (and a notification turns `[…](command:…)` into a link).
          const showLog = vscode.l10n.t('Show Log');
          const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Remote Assist: {0}', plainText(error instanceof Error ? error.message : String(error), 1000)), showLog);
          if (choice) log.show();
        }
      }),
    );

  register(Commands.inviteHelper, () => host.invite());
  register(Commands.join, (args?: JoinArgs) => helper.join(args ?? {}));
  register(Commands.endSession, () => {
    if (host.active) host.end();
    else if (helper.active) helper.end();
    else void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: there is no session to end.'));
  });
  register(Commands.revokeControl, () => host.revokeControl());
  register(Commands.requestControl, () => helper.requestControl());
  register(Commands.releaseControl, () => helper.releaseControl());
  register(Commands.copyInvitation, () => host.copyInvitation());
  register(Commands.copyJoinLink, () => host.copyJoinLink());
  register(Commands.saveInvitation, () => host.saveInvitation());
  register(Commands.showLog, () => log.show());
  register(Commands.showActions, () => showActions(host, helper));
  register(Commands.chooseSharing, () => host.chooseSharing());
  register(Commands.pauseSharing, () => host.setPaused(true));
  register(Commands.resumeSharing, () => host.setPaused(false));
  register(Commands.laserPointerOn, () => host.setLaserPointer(true));
  register(Commands.laserPointerOff, () => host.setLaserPointer(false));
  register(Commands.shareAnotherMonitor, () => host.shareAnotherMonitor());
  register(Commands.openChat, () => vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`));
  context.subscriptions.push(
    vscode.window.registerUriHandler({ handleUri: (uri) => openJoinLink(uri, helper, log) }),
    InvitationEditorProvider.register(context, log),
  );
  render();
  return { host, helper };
}

export function deactivate(): void {
  // The invitation dies with the editor: end the host session (the helper is told).
  hostController?.end();
}

/**
 * A join link (src/joinLink.ts) opens Join with its code filled in; the helper still reviews the details and
 * presses Connect. Any web page can open such a URI: it is checked, and never quoted back.
 */
async function openJoinLink(uri: vscode.Uri, helper: HelperController, log: vscode.LogOutputChannel): Promise<void> {
  const link = parseJoinLink(uri.path, uri.query);
  if (!link.ok) {
    log.warn(`[helper] refused a link (${link.reason}), ${uri.path.length + uri.query.length} characters`);
    await showError(joinLinkRefusal(link.reason), Commands.showLog);
    return;
  }
  log.info('[helper] join link opened');
  try {
    await helper.join({ prefill: link.code });
  } catch (error) {
    log.error(error instanceof Error ? error : String(error));
    await showError(vscode.l10n.t('Remote Assist: {0}', error instanceof Error ? error.message : String(error)), Commands.showLog);
  }
}

function joinLinkRefusal(reason: JoinLinkRefusal): string {
  switch (reason) {
    case 'path':
      return vscode.l10n.t('Remote Assist cannot open this link: it is not a join link.');
    case 'query':
      return vscode.l10n.t('Remote Assist cannot open this link: a join link carries an invitation code and nothing else.');
    case 'code':
      return vscode.l10n.t('The invitation code in this join link is not valid: ask for a new link, or paste the code into Remote Assist: Join.');
  }
}

/** The kinds of context shared besides the screen, named for the host (empty when none). */
export function sharedNames(sharing: Sharing): string {
  return [sharing.editor && vscode.l10n.t('Editor'), sharing.debug && vscode.l10n.t('Debugger'), sharing.terminal && vscode.l10n.t('Terminal')].filter((n): n is string => !!n).join(', ');
}

interface Action extends vscode.QuickPickItem {
  readonly command: string;
}

/** The status bar's click: the actions that fit where the session stands. */
async function showActions(host: HostController, helper: HelperController): Promise<void> {
  const items: Action[] = [];
  const hostKind = host.state?.kind;
  const helperKind = helper.state?.kind;
  // Icons stay outside the translated words: a translation cannot drop or break them.
  const action = (icon: string, label: string, command: string, description?: string): Action => ({
    label: `$(${icon}) ${label}`,
    command,
    ...(description ? { description } : {}),
  });
  if (hostKind === 'controlled') items.push(action('debug-stop', vscode.l10n.t('Take Back Control'), Commands.revokeControl));
  if (hostKind === 'viewing' || hostKind === 'controlled') {
    items.push(host.paused
      ? action('debug-continue', vscode.l10n.t('Resume Sharing'), Commands.resumeSharing, vscode.l10n.t('your helper sees your screen again'))
      : action('debug-pause', vscode.l10n.t('Pause Sharing'), Commands.pauseSharing, vscode.l10n.t('hide your screen and drop their input for a moment')));
  }
  const sharing = host.sharing;
  if (sharing) {
    const shared = sharedNames(sharing);
    items.push(action('eye', vscode.l10n.t('Sharing: {0}', shared || vscode.l10n.t('only the screen')), Commands.chooseSharing, vscode.l10n.t('choose what else your helper sees')));
    items.push(action('comment-discussion', vscode.l10n.t('Chat with Your Helper'), Commands.openChat));
    const monitor = host.summary.monitor;
    if (monitor?.choice) items.push(action('device-desktop', vscode.l10n.t('Share Another Monitor'), Commands.shareAnotherMonitor, vscode.l10n.t('sharing {0}', monitor.text)));
  }
  if (hostKind === 'awaiting') {
    items.push(action('copy', vscode.l10n.t('Copy Invitation Code'), Commands.copyInvitation));
    items.push(action('link', vscode.l10n.t('Copy Join Link'), Commands.copyJoinLink));
    items.push(action('save', vscode.l10n.t('Save Invitation File…'), Commands.saveInvitation));
    items.push(action('close', vscode.l10n.t('Cancel Invitation'), Commands.endSession));
  }
  if (helperKind === 'viewing') items.push(action('remote', vscode.l10n.t('Request Control'), Commands.requestControl));
  if (helperKind === 'controlling') items.push(action('debug-stop', vscode.l10n.t('Release Control'), Commands.releaseControl));
  if (host.active && hostKind !== 'awaiting') items.push(action('debug-disconnect', vscode.l10n.t('End Session'), Commands.endSession));
  else if (!host.active && helper.active) items.push(action('debug-disconnect', vscode.l10n.t('End Session'), Commands.endSession));
  if (!host.active && !helper.active) {
    items.push(action('broadcast', vscode.l10n.t('Invite Helper'), Commands.inviteHelper, vscode.l10n.t('let someone see your screen')));
    items.push(action('plug', vscode.l10n.t('Join'), Commands.join, vscode.l10n.t('help someone who invited you')));
  }
  items.push(action('output', vscode.l10n.t('Show Log'), Commands.showLog));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Remote Assist'), placeHolder: vscode.l10n.t('Choose an action') });
  if (picked) await vscode.commands.executeCommand(picked.command);
}
