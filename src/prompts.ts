/** Modal questions that answer "no" by themselves when nobody answers in time, and errors with a "Show Log" action. */

import * as vscode from 'vscode';
import { plainText } from './text';

/**
 * Asks a modal yes/no question whose safe answer is the default. Resolves true only if `yes` is clicked before
 * `timeoutMs`; a timeout, Enter, Escape, `no` or Cancel resolve false.
 *
 * Which button Enter presses: VS Code (mainThreadMessageService `_showModalMessage`) makes the item marked
 * `isCloseAffordance` the dialog's cancel button (Escape, the close box) and passes the others in order; the
 * first of those is the primary button, which has the focus in VS Code's own dialog (`Dialog.show` in
 * src/vs/base/browser/ui/dialog/dialog.ts) and is the `defaultId` of the native one on every OS
 * (`massageMessageBoxOptions` in src/vs/platform/dialogs/common/dialogs.ts). So `no` comes first and is not the
 * close affordance: Enter denies. VS Code then adds its own Cancel button, which Escape presses, and which denies
 * too. An admitted helper who times a request so that the host's next Enter lands on the prompt gets a Deny.
 *
 * `message` and `detail` must already be safe to show (callers pass names through plainText). VS Code cannot close
 * a modal from code: if it is answered after the timeout, the person is told the request had already been declined.
 */
export async function askModal(message: string, detail: string, yes: string, no: string, timeoutMs: number): Promise<boolean> {
  let timedOut = false;
  const noItem: vscode.MessageItem = { title: no };
  const yesItem: vscode.MessageItem = { title: yes };
  const answer = vscode.window.showWarningMessage(message, { modal: true, detail }, noItem, yesItem);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve(undefined);
    }, timeoutMs);
  });
  const first = await Promise.race([answer, timeout]);
  clearTimeout(timer);
  if (timedOut) {
    void answer.then((late) => {
      if (late === yesItem) void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: that request had timed out and was declined.'));
    });
    return false;
  }
  return first === yesItem;
}

/**
 * Shows an error with a "Show Log" action. The message may quote text from outside (a panel's state message, an
 * exception's): it goes through plainText, so nothing in it becomes a link.
 */
export async function showError(message: string, showLogCommand: string): Promise<void> {
  const showLog = vscode.l10n.t('Show Log');
  const choice = await vscode.window.showErrorMessage(plainText(message, 1000), showLog);
  if (choice === showLog) await vscode.commands.executeCommand(showLogCommand);
}
