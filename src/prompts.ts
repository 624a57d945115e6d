/** Modal questions that answer "no" by themselves when nobody answers in time. */

import * as vscode from 'vscode';

/**
 * Asks a modal yes/no question. Resolves true only if `yes` is clicked before `timeoutMs`; a timeout, Cancel
 * or `no` resolve false. VS Code cannot close a modal from code: if it is answered after the timeout, the
 * person is told the request had already been declined.
 */
export async function askModal(message: string, detail: string, yes: string, no: string, timeoutMs: number): Promise<boolean> {
  let timedOut = false;
  const answer = vscode.window.showWarningMessage(message, { modal: true, detail }, yes, no);
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => {
      timedOut = true;
      resolve(undefined);
    }, timeoutMs),
  );
  const first = await Promise.race([answer, timeout]);
  if (timedOut) {
    void answer.then((late) => {
      if (late === yes) void vscode.window.showInformationMessage('Remote Assist: that request had timed out and was declined.');
    });
    return false;
  }
  return first === yes;
}

/** Shows an error with a "Show Log" action. */
export async function showError(message: string, showLogCommand: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Show Log');
  if (choice === 'Show Log') await vscode.commands.executeCommand(showLogCommand);
}
