/**
 * Remote Assist: Microsoft Remote Assistance in the editor. This file only wires the parts together:
 * the host (the person being helped), the helper (the panel), the status bar and the commands.
 */

import * as vscode from 'vscode';
import { Commands, ContextKeys } from './config';
import { HelperController, type JoinArgs } from './helperController';
import { HostController } from './hostController';
import { StatusBar } from './statusBar';
import { plainText } from './text';

let hostController: HostController | undefined;

export function activate(context: vscode.ExtensionContext): { host: HostController; helper: HelperController } {
  const log = vscode.window.createOutputChannel('Remote Assist', { log: true });
  context.subscriptions.push(log);
  log.info(`Remote Assist ${String(context.extension.packageJSON['version'])} activated`);

  const statusBar = new StatusBar();
  context.subscriptions.push(statusBar);
  let recent: 'host' | 'helper' = 'host';
  const render = (side?: 'host' | 'helper') => {
    if (side) recent = side;
    statusBar.render({ host: host.state, helper: helper.state, recent });
    void vscode.commands.executeCommand('setContext', ContextKeys.hostState, host.state?.kind ?? 'none');
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
          const choice = await vscode.window.showErrorMessage(`Remote Assist: ${plainText(error instanceof Error ? error.message : String(error), 1000)}`, 'Show Log');
          if (choice) log.show();
        }
      }),
    );

  register(Commands.inviteHelper, () => host.invite());
  register(Commands.join, (args?: JoinArgs) => helper.join(args ?? {}));
  register(Commands.endSession, () => {
    if (host.active) host.end();
    else if (helper.active) helper.end();
    else void vscode.window.showInformationMessage('Remote Assist: there is no session to end.');
  });
  register(Commands.revokeControl, () => host.revokeControl());
  register(Commands.requestControl, () => helper.requestControl());
  register(Commands.releaseControl, () => helper.releaseControl());
  register(Commands.copyInvitation, () => host.copyInvitation());
  register(Commands.saveInvitation, () => host.saveInvitation());
  register(Commands.showLog, () => log.show());
  register(Commands.showActions, () => showActions(host, helper));
  render();
  return { host, helper };
}

export function deactivate(): void {
  // The invitation dies with the editor: end the host session (the helper is told).
  hostController?.end();
}

interface Action extends vscode.QuickPickItem {
  readonly command: string;
}

/** The status bar's click: the actions that fit where the session stands. */
async function showActions(host: HostController, helper: HelperController): Promise<void> {
  const items: Action[] = [];
  const hostKind = host.state?.kind;
  const helperKind = helper.state?.kind;
  if (hostKind === 'controlled') items.push({ label: '$(debug-stop) Take Back Control', command: Commands.revokeControl });
  if (hostKind === 'awaiting') {
    items.push({ label: '$(copy) Copy Invitation Code', command: Commands.copyInvitation });
    items.push({ label: '$(save) Save Invitation File…', command: Commands.saveInvitation });
    items.push({ label: '$(close) Cancel Invitation', command: Commands.endSession });
  }
  if (helperKind === 'viewing') items.push({ label: '$(remote) Request Control', command: Commands.requestControl });
  if (helperKind === 'controlling') items.push({ label: '$(debug-stop) Release Control', command: Commands.releaseControl });
  if (host.active && hostKind !== 'awaiting') items.push({ label: '$(debug-disconnect) End Session', command: Commands.endSession });
  else if (!host.active && helper.active) items.push({ label: '$(debug-disconnect) End Session', command: Commands.endSession });
  if (!host.active && !helper.active) {
    items.push({ label: '$(broadcast) Invite Helper', description: 'let someone see your screen', command: Commands.inviteHelper });
    items.push({ label: '$(plug) Join', description: 'help someone who invited you', command: Commands.join });
  }
  items.push({ label: '$(output) Show Log', command: Commands.showLog });
  const picked = await vscode.window.showQuickPick(items, { title: 'Remote Assist', placeHolder: 'Choose an action' });
  if (picked) await vscode.commands.executeCommand(picked.command);
}
