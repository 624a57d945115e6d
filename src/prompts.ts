/** Modal questions that answer "no" by themselves when nobody answers in time. */

import * as vscode from 'vscode';

/**
 * Asks a modal yes/no question. Resolves true only if `yes` is clicked before `timeoutMs`; a timeout, Escape or
 * `no` resolve false. `no` is the dialog's close affordance, so the dialog shows exactly two buttons. VS Code cannot
 * close a modal from code: if it is answered after the timeout, the person is told the request had already been
 * declined.
 */
export async function askModal(message: string, detail: string, yes: string, no: string, timeoutMs: number): Promise<boolean> {
  let timedOut = false;
  const yesItem: vscode.MessageItem = { title: yes };
  const noItem: vscode.MessageItem = { title: no, isCloseAffordance: true };
  const answer = vscode.window.showWarningMessage(message, { modal: true, detail }, yesItem, noItem);
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => {
      timedOut = true;
      resolve(undefined);
    }, timeoutMs),
  );
  const first = await Promise.race([answer, timeout]);
  if (timedOut) {
    void answer.then((late) => {
      if (late === yesItem) void vscode.window.showInformationMessage('Remote Assist: that request had timed out and was declined.');
    });
    return false;
  }
  return first === yesItem;
}

/** Shows an error with a "Show Log" action. */
export async function showError(message: string, showLogCommand: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Show Log');
  if (choice === 'Show Log') await vscode.commands.executeCommand(showLogCommand);
}
