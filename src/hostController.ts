/**
 * The editor's side of the host: the Invite Helper command, the consent prompts, and the invitation's
 * notification, clipboard and file. The session itself (src/host/hostSession.ts) knows nothing of VS Code.
 */

import * as vscode from 'vscode';
import { auditDir, FileAuditLog } from './audit';
import { Commands, readConfig } from './config';
import { startAgent, type AgentHandle } from './host/agentClient';
import { HostSession, type HostUi } from './host/hostSession';
import { INVITATION_FILE_EXTENSION, type InvitationFile } from './shared/invitation';
import { hasCredentials, type IceServer } from './shared/settings';
import { scoped } from './shared/log';
import type { HostState } from './shared/stateMachine';
import { isFinal } from './shared/stateMachine';
import { askModal, showError } from './prompts';
import { plainText } from './text';

export class HostController implements vscode.Disposable {
  private session: HostSession | undefined;
  /** The ICE servers the open session was started with, TURN credentials included (the file leaves them out). */
  private sessionIceServers: readonly IceServer[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly onStateChange: () => void,
  ) {}

  get state(): HostState | undefined {
    return this.session?.state;
  }

  get active(): boolean {
    return !!this.session && !isFinal(this.session.state);
  }

  async invite(): Promise<void> {
    if (this.active) {
      const choice = await vscode.window.showWarningMessage(
        'A Remote Assist session is already open.',
        { modal: true, detail: 'End it and create a new invitation?' },
        'End and Invite Again',
      );
      if (choice !== 'End and Invite Again') return;
      this.session?.end('hostEnded');
    }
    const config = readConfig();
    const log = scoped(this.log, 'host');
    // The helper's name comes from the peer (cleaned by the protocol, escaped again here: it reaches a prompt).
    const ui: HostUi = {
      askToView: ({ helperName, verificationCode, timeoutMs }) => {
        const name = plainText(helperName, 100);
        return askModal(
          `${name} wants to connect to your computer and see your screen.`,
          `Allow only if you invited ${name}. They will see your whole screen; they cannot use your mouse or keyboard unless you allow that separately.\n\nVerification code: ${plainText(verificationCode, 20)} (your helper sees the same code).\n\nThis request is declined automatically in ${Math.round(timeoutMs / 1000)} seconds.`,
          'Allow',
          'Deny',
          timeoutMs,
        );
      },
      askForControl: ({ helperName, timeoutMs }) =>
        askModal(
          `${plainText(helperName, 100)} asks to control your mouse and keyboard.`,
          'You can take control back at any moment: click the Remote Assist item in the status bar, or run "Remote Assist: Take Back Control" (Ctrl+Alt+Shift+R). Moving your own mouse also pauses the helper.',
          'Allow Control',
          'Deny',
          timeoutMs,
        ),
      notify: (message) => void vscode.window.showWarningMessage(plainText(message, 1000)),
    };
    const session = new HostSession({
      signaling: config.signaling,
      iceServers: config.iceServers,
      hostName: config.displayName,
      lifetimeMinutes: config.lifetimeMinutes,
      consentTimeoutMs: config.consentTimeoutMs,
      signalingTimeoutMs: config.connectTimeoutMs,
      maxFps: config.maxFps,
      startAgent: () => this.startAgentWithWarnings(),
      ui,
      log,
      audit: new FileAuditLog({ side: 'host', dir: config.auditWriteFile ? auditDir(this.context.globalStorageUri) : undefined, log: this.log }),
    });
    this.session = session;
    this.sessionIceServers = config.iceServers;
    this.subscriptions.push(session.machine.onChange((state) => this.onState(state)));
    this.onStateChange();
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Remote Assist: creating an invitation…' },
        () => session.start(),
      );
    } catch (error) {
      await showError(`Remote Assist could not create the invitation. ${error instanceof Error ? error.message : String(error)}`, Commands.showLog);
      return;
    }
    if (this.session !== session || session.state.kind !== 'awaiting') return;
    await vscode.env.clipboard.writeText(session.code);
    void this.showInvitation(session);
  }

  /**
   * Starts the screen agent; when it reports that it will see less than the person expects (a Wayland session,
   * where only XWayland windows are captured and driven), asks before the invitation is made.
   */
  private async startAgentWithWarnings(): Promise<AgentHandle> {
    const agent = await startAgent({ log: this.log, agentPath: this.context.asAbsolutePath('dist/agent.js') });
    if (agent.warnings.length === 0) return agent;
    const invite = vscode.l10n.t('Invite Anyway');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remote Assist may not show your whole screen.'),
      { modal: true, detail: agent.warnings.map((w) => plainText(w, 1000)).join('\n\n') },
      invite,
    );
    if (choice !== invite) {
      agent.dispose();
      throw new Error(vscode.l10n.t('You cancelled the invitation.'));
    }
    return agent;
  }

  private async showInvitation(session: HostSession): Promise<void> {
    const until = session.invitation!.expiresAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const choice = await vscode.window.showInformationMessage(
      `Invitation code (copied to the clipboard): ${session.code} — send it to your helper. It is valid until ${until} and works once.`,
      'Save Invitation File…',
      'Copy Again',
    );
    if (choice === 'Save Invitation File…') await this.saveInvitation();
    else if (choice === 'Copy Again') await this.copyInvitation();
  }

  async copyInvitation(): Promise<void> {
    const session = this.session;
    if (!session || session.state.kind !== 'awaiting') {
      void vscode.window.showInformationMessage('Remote Assist: there is no open invitation. Run "Remote Assist: Invite Helper" first.');
      return;
    }
    await vscode.env.clipboard.writeText(session.code);
    void vscode.window.showInformationMessage(`Invitation code copied to the clipboard: ${session.code}`);
  }

  async saveInvitation(): Promise<void> {
    const session = this.session;
    const stripped = session?.invitationFile;
    if (!session || session.state.kind !== 'awaiting' || !stripped) {
      void vscode.window.showInformationMessage('Remote Assist: there is no open invitation. Run "Remote Assist: Invite Helper" first.');
      return;
    }
    const file = await this.chooseCredentials(stripped);
    if (!file) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const withCredentials = hasCredentials(file.iceServers);
    const target = await vscode.window.showSaveDialog({
      title: withCredentials ? 'Save Remote Assist Invitation (with your TURN credentials)' : 'Save Remote Assist Invitation',
      saveLabel: 'Save Invitation',
      filters: { 'Remote Assist invitation': [INVITATION_FILE_EXTENSION] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `invitation.${INVITATION_FILE_EXTENSION}`) } : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(file, null, 2) + '\n'));
    this.log.info(`[host] invitation file saved to ${target.toString()}${withCredentials ? ' (with TURN credentials)' : ''}`);
    void vscode.window.showInformationMessage(
      `Invitation saved to ${plainText(target.fsPath, 300)}. Send the file to your helper privately: whoever has it can ask to see your screen until ${session.invitation!.expiresAt.toLocaleTimeString()}.`,
    );
  }

  /**
   * The file leaves the TURN user names and credentials of the host's settings out (makeInvitationFile): they
   * are long-lived and the file goes to someone else. When the settings have some, the host decides, with leaving
   * them out as the default answer. Undefined: the host cancelled.
   */
  private async chooseCredentials(stripped: InvitationFile): Promise<InvitationFile | undefined> {
    if (!hasCredentials(this.sessionIceServers)) return stripped;
    const leaveOut: vscode.MessageItem = { title: 'Save Without Credentials' };
    const include: vscode.MessageItem = { title: 'Include Credentials' };
    const choice = await vscode.window.showWarningMessage(
      'Your TURN servers have a user name and credential. Put them in the invitation file?',
      {
        modal: true,
        detail:
          'Without them, the helper connects directly or through their own TURN servers, which is enough on most networks. With them, whoever gets the file can use your TURN account until you change its credential, long after this invitation has expired.',
      },
      leaveOut,
      include,
    );
    if (choice === leaveOut) return stripped;
    if (choice === include) return { ...stripped, iceServers: this.sessionIceServers };
    return undefined;
  }

  revokeControl(): void {
    if (this.session?.state.kind === 'controlled') {
      this.session.revokeControl();
      void vscode.window.showInformationMessage('Remote Assist: you took control back. Your helper can still see your screen.');
    }
  }

  end(): void {
    this.session?.end('hostEnded', 'You ended the session.');
  }

  private onState(state: HostState): void {
    this.onStateChange();
    if (state.kind === 'ended' && !(state.reason === 'hostEnded' && state.by === 'local')) void vscode.window.showInformationMessage(`Remote Assist: ${plainText(state.message)}`);
  }

  dispose(): void {
    this.session?.end('hostEnded');
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
