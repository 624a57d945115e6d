/**
 * Opening a `.remoteassist` file (explorer, File > Open, drag and drop) shows what it invites to and a Join button
 * instead of its JSON: a read-only custom editor (package.json `customEditors`, priority default). Opening never
 * connects: Join runs the Join command with the file, whose review dialog and Connect button follow.
 */

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { Commands, INVITATION_EDITOR_VIEW_TYPE } from './config';
import { invitationPage, parseInvitationViewMessage, type InvitationViewModel } from './invitationView';
import { isExpired, parseInvitationFile } from './shared/invitation';
import { hasCredentials } from './shared/settings';

/** Larger files are not read: a real one is under 2 KB (the Join command has the same limit). */
const MAX_FILE = 64 * 1024;

export class InvitationEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static register(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(INVITATION_EDITOR_VIEW_TYPE, new InvitationEditorProvider(context, log), {
      supportsMultipleEditorsPerDocument: true,
    });
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    const subscriptions: vscode.Disposable[] = [];
    const render = async () => {
      const model = await this.model(document.uri);
      panel.webview.html = invitationPage(model, {
        cspSource: panel.webview.cspSource,
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'invitationEditor.css')).toString(),
        nonce: crypto.randomBytes(16).toString('base64'),
      });
    };
    subscriptions.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseInvitationViewMessage(raw);
        if (!message) {
          this.log.warn('[invitation editor] dropped a malformed message from its page');
          return;
        }
        switch (message.type) {
          case 'join':
            void vscode.commands.executeCommand(Commands.join, { file: document.uri });
            return;
          case 'openAsText':
            void vscode.commands.executeCommand('vscode.openWith', document.uri, 'default');
            return;
        }
      }),
    );
    // The file may be replaced by a newer invitation while it is open (saved again over the old one).
    if (document.uri.scheme === 'file') {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, '..'), '*'));
      const changed = (uri: vscode.Uri) => {
        if (uri.toString() === document.uri.toString()) void render();
      };
      subscriptions.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
    }
    panel.onDidDispose(() => {
      for (const d of subscriptions.splice(0)) d.dispose();
    });
    await render();
  }

  /** What the page shows: the details as the review dialog gives them, or why the file cannot be used. */
  private async model(uri: vscode.Uri): Promise<InvitationViewModel> {
    const base = {
      title: vscode.l10n.t('Remote Assist Invitation'),
      openAsTextLabel: vscode.l10n.t('Open as Text'),
      notice: vscode.l10n.t('Whoever has this file can ask to see the screen of the person who sent it, until it expires. Opening it connects to nothing: Join shows the details again and waits for you to press Connect.'),
    };
    let text: string;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_FILE) return { ...base, rows: [], error: vscode.l10n.t('The file is too large to be an invitation.') };
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      this.log.warn(`[invitation editor] cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
      return { ...base, rows: [], error: vscode.l10n.t('Cannot read the invitation file.') };
    }
    const parsed = parseInvitationFile(text);
    // The parser's messages never quote the file's values (they reach notifications too).
    if (!parsed.ok) return { ...base, rows: [], error: parsed.message };
    const { file, invitation } = parsed;
    const expired = isExpired(invitation, new Date());
    const rows: [string, string][] = [
      [vscode.l10n.t('From'), file.hostName],
      [vscode.l10n.t('Created'), formatDateTime(invitation.createdAt)],
      [expired ? vscode.l10n.t('Expired') : vscode.l10n.t('Valid until'), formatDateTime(invitation.expiresAt)],
      [vscode.l10n.t('Signaling server'), `${file.signaling.host}:${file.signaling.port}${file.signaling.path}`],
      [
        vscode.l10n.t('TURN credentials'),
        hasCredentials(file.iceServers) ? vscode.l10n.t('included (the file is as secret as a password)') : vscode.l10n.t('none'),
      ],
    ];
    if (expired) return { ...base, rows, error: vscode.l10n.t('This invitation has expired. Ask for a new one.') };
    return { ...base, rows, joinLabel: vscode.l10n.t('Join') };
  }
}

function formatDateTime(date: Date): string {
  return date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
