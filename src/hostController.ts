/**
 * The editor's side of the host: the Invite Helper command, the consent prompts, and the invitation's
 * notification, clipboard and file. The session itself (src/host/hostSession.ts) knows nothing of VS Code.
 */

import * as vscode from 'vscode';
import { auditDir, FileAuditLog } from './audit';
import { ChatView } from './chatView';
import { ContextSources } from './context/sources';
import { Commands, readConfig } from './config';
import { startAgent, type AgentHandle } from './host/agentClient';
import { HostSession, type HostUi } from './host/hostSession';
import { CONTEXT_KINDS, type ContextKind, type Sharing } from './shared/context';
import { INVITATION_FILE_EXTENSION, type InvitationFile } from './shared/invitation';
import { hasCredentials, type IceServer } from './shared/settings';
import { scoped } from './shared/log';
import type { HostState } from './shared/stateMachine';
import { isFinal } from './shared/stateMachine';
import { askToSwitchMonitor, monitorText, pickMonitor } from './hostMonitors';
import { makeJoinLink } from './joinLink';
import { macSettingsPanes } from './macSettings';
import { askModal, showError } from './prompts';
import type { HostSummary } from './sessionView';
import { plainText } from './text';

export class HostController implements vscode.Disposable {
  private session: HostSession | undefined;
  /** The ICE servers the open session was started with, TURN credentials included (the file leaves them out). */
  private sessionIceServers: readonly IceServer[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The session's collectors of editor, debugger and terminal context (they run only for the kinds shared). */
  private sources: ContextSources | undefined;
  /** Whether the host has been asked what to share besides the screen in this session (once, after allowing view). */
  private sharingAsked = false;
  /** The verification code of the helper the host was last asked about (the session's prompt carries it). */
  private verificationCode = '';
  private readonly chat: ChatView;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly onStateChange: () => void,
  ) {
    this.chat = new ChatView(context, log);
  }

  get state(): HostState | undefined {
    return this.session?.state;
  }

  get active(): boolean {
    return !!this.session && !isFinal(this.session.state);
  }

  /** What the host shares besides the screen, while a helper sees it; undefined otherwise. */
  get sharing(): Sharing | undefined {
    const kind = this.session?.state.kind;
    return kind === 'viewing' || kind === 'controlled' ? this.session!.sharing : undefined;
  }

  /** Whether the host has paused sharing (only while a helper sees the screen). */
  get paused(): boolean {
    const kind = this.session?.state.kind;
    return (kind === 'viewing' || kind === 'controlled') && this.session!.pause.paused;
  }

  /** Whether the host allows the helper's laser pointer (only while a helper sees the screen). */
  get laserPointer(): boolean {
    const kind = this.session?.state.kind;
    return (kind === 'viewing' || kind === 'controlled') && this.session!.laser.enabled;
  }

  /** What the session view shows (sessionView.ts). */
  get summary(): HostSummary {
    const kind = this.session?.state.kind;
    const known = kind === 'asking' || kind === 'viewing' || kind === 'controlled';
    const laser = this.session?.laser;
    const monitors = this.session?.monitors;
    const shared = monitors?.shared;
    const monitor = shared && this.sharing ? { text: monitorText(shared), choice: monitors.known.monitors.length > 1 } : undefined;
    return {
      state: this.session?.state,
      paused: this.paused,
      verificationCode: known ? this.verificationCode : '',
      sharing: this.sharing,
      laser: laser ? { on: laser.enabled, seen: laser.mode !== 'unseen' } : undefined,
      monitor,
    };
  }

  /** The host's switch for the helper's laser pointer in this session (laserRelay.ts); the helper is told. */
  setLaserPointer(on: boolean): void {
    if (this.session?.laser.setEnabled(on)) this.onStateChange();
  }

  /** "Share Another Monitor": the host picks one of its monitors; the helper's picture follows (monitorRelay.ts). */
  async shareAnotherMonitor(): Promise<void> {
    const session = this.session;
    const state = session?.state;
    if (!session || !state || (state.kind !== 'viewing' && state.kind !== 'controlled')) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: no helper sees your screen.'));
      return;
    }
    const reading = await session.monitors.list();
    if (reading.monitors.length < 2) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: your helper sees your only monitor.'));
      return;
    }
    const name = await pickMonitor(reading, {
      title: vscode.l10n.t('Share Another Monitor with {0}', plainText(state.helperName, 100)),
      placeHolder: vscode.l10n.t('Your helper sees the monitor you pick instead of the one shared now.'),
      preselect: 'other',
    });
    if (name === undefined || name === reading.shared || this.session !== session || isFinal(session.state)) return;
    await session.monitors.share(name, 'host');
    this.onStateChange();
  }

  /**
   * Pauses sharing (nothing captured or sent, the helper's input dropped, held keys released: pauseRelay.ts) or
   * resumes it (the whole screen goes again). Nothing happens unless a helper sees the screen.
   */
  setPaused(paused: boolean): void {
    const session = this.session;
    if (!session || !session.pause.set(paused)) return;
    this.onStateChange();
    if (!paused) return;
    const name = session.state.kind === 'viewing' || session.state.kind === 'controlled' ? session.state.helperName : '';
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Remote Assist: sharing paused. {0} sees nothing and cannot use your mouse or keyboard until you resume ({1}).', plainText(name || vscode.l10n.t('Your helper'), 100), process.platform === 'darwin' ? 'Cmd+Alt+Shift+P' : 'Ctrl+Alt+Shift+P'),
    );
  }

  /**
   * Asks the host which of its editor, debugger and terminal the helper may also see (none preselected the first
   * time: nothing is shared unless picked). Dismissing the picker changes nothing.
   */
  async chooseSharing(): Promise<void> {
    const session = this.session;
    const state = session?.state;
    if (!session || !state || (state.kind !== 'viewing' && state.kind !== 'controlled')) return;
    const current = session.sharing;
    const labels: Record<ContextKind, [string, string]> = {
      editor: [vscode.l10n.t('Editor'), vscode.l10n.t('active file, cursor, selection, problems')],
      debug: [vscode.l10n.t('Debugger'), vscode.l10n.t('state, stack, variables')],
      terminal: [vscode.l10n.t('Terminal'), vscode.l10n.t('last commands and their output')],
    };
    const items = CONTEXT_KINDS.map((kind) => ({ label: labels[kind][0], description: labels[kind][1], picked: current[kind], contextKind: kind }));
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      ignoreFocusOut: false,
      title: vscode.l10n.t('Also share with {0}', plainText(state.helperName, 100)),
      placeHolder: vscode.l10n.t('Your helper already sees your screen. Pick what else they may see; you can change it at any time from the status bar.'),
    });
    if (!picked || this.session !== session || (session.state.kind !== 'viewing' && session.state.kind !== 'controlled')) return;
    const sharing: Sharing = {
      editor: picked.some((p) => p.contextKind === 'editor'),
      debug: picked.some((p) => p.contextKind === 'debug'),
      terminal: picked.some((p) => p.contextKind === 'terminal'),
    };
    session.setSharing(sharing);
    this.sources?.setSharing(sharing);
    this.onStateChange();
  }

  async invite(): Promise<void> {
    if (this.active) {
      const again = vscode.l10n.t('End and Invite Again');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('A Remote Assist session is already open.'),
        { modal: true, detail: vscode.l10n.t('End it and create a new invitation?') },
        again,
      );
      if (choice !== again) return;
      this.session?.end('hostEnded');
    }
    const config = readConfig();
    const log = scoped(this.log, 'host');
    // The helper's name comes from the peer (cleaned by the protocol, escaped again here: it reaches a prompt).
    const ui: HostUi = {
      askToView: ({ helperName, verificationCode, timeoutMs }) => {
        const name = plainText(helperName, 100);
        this.verificationCode = verificationCode;
        return askModal(
          vscode.l10n.t('{0} wants to connect to your computer and see your screen.', name),
          vscode.l10n.t(
            'Allow only if you invited {0}. They will see your whole screen; they cannot use your mouse or keyboard unless you allow that separately.\n\nVerification code: {1} (your helper sees the same code).\n\nThis request is declined automatically in {2} seconds.',
            name,
            plainText(verificationCode, 20),
            Math.round(timeoutMs / 1000),
          ),
          vscode.l10n.t('Allow'),
          vscode.l10n.t('Deny'),
          timeoutMs,
        );
      },
      askForControl: ({ helperName, timeoutMs }) =>
        askModal(
          vscode.l10n.t('{0} asks to control your mouse and keyboard.', plainText(helperName, 100)),
          vscode.l10n.t('You can take control back at any moment: click the Remote Assist item in the status bar, or run "Remote Assist: Take Back Control" ({0}). Moving your own mouse also pauses the helper.', process.platform === 'darwin' ? 'Cmd+Alt+Shift+R' : 'Ctrl+Alt+Shift+R'),
          vscode.l10n.t('Allow Control'),
          vscode.l10n.t('Deny'),
          timeoutMs,
        ),
      notify: (message) => void vscode.window.showWarningMessage(plainText(message, 1000)),
      clipboard: {
        askToShare: ({ helperName, timeoutMs }) =>
          askModal(
            vscode.l10n.t('{0} asks for the text on your clipboard.', plainText(helperName, 100)),
            vscode.l10n.t('They get a copy of whatever text you last copied, a password included if that is what it was. You are asked every time.\n\nThis request is declined automatically in {0} seconds.', Math.round(timeoutMs / 1000)),
            vscode.l10n.t('Send Clipboard Text'),
            vscode.l10n.t('Deny'),
            timeoutMs,
          ),
        read: () => Promise.resolve(vscode.env.clipboard.readText()),
      },
      askToSwitchMonitor,
    };
    const session = new HostSession({
      signaling: config.signaling,
      iceServers: config.iceServers,
      iceTransportPolicy: config.iceTransportPolicy,
      hostName: config.displayName,
      lifetimeMinutes: config.lifetimeMinutes,
      consentTimeoutMs: config.consentTimeoutMs,
      signalingTimeoutMs: config.connectTimeoutMs,
      maxFps: config.maxFps,
      laserPointer: config.laserPointer,
      startAgent: () => this.startAgentWithWarnings().then((agent) => this.chooseMonitor(agent)),
      ui,
      log,
      audit: new FileAuditLog({ side: 'host', dir: config.auditWriteFile ? auditDir(this.context.globalStorageUri) : undefined, log: this.log }),
    });
    this.session = session;
    this.sessionIceServers = config.iceServers;
    this.sharingAsked = false;
    this.verificationCode = '';
    this.sources?.dispose();
    this.sources = new ContextSources((update) => session.shareContext(update), this.log);
    this.chat.startSession((text) => session.sendChat(text));
    session.onChat((text) => this.chat.received(session.state.kind === 'viewing' || session.state.kind === 'controlled' ? session.state.helperName : '', text));
    session.onClipboard((text) => void this.clipboardReceived(session, text));
    this.subscriptions.push(session.machine.onChange((state) => this.onState(state)), session.monitors.onChange(() => this.onStateChange()));
    this.onStateChange();
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Remote Assist: creating an invitation…') },
        () => session.start(),
      );
    } catch (error) {
      await showError(vscode.l10n.t('Remote Assist could not create the invitation. {0}', error instanceof Error ? error.message : String(error)), Commands.showLog);
      return;
    }
    if (this.session !== session || session.state.kind !== 'awaiting') return;
    await vscode.env.clipboard.writeText(session.code);
    void this.showInvitation(session);
  }

  /**
   * Starts the screen agent; when it reports that it will see or do less than the person expects (a Wayland
   * session, where only XWayland windows are captured and driven; macOS without the Screen Recording or
   * Accessibility permission), asks before the invitation is made, and on macOS offers the System Settings pane.
   */
  private async startAgentWithWarnings(): Promise<AgentHandle> {
    const agent = await startAgent({ log: this.log, agentPath: this.context.asAbsolutePath('dist/agent.js') });
    if (agent.warnings.length === 0) return agent;
    for (const warning of agent.warnings) this.log.warn(`[host] ${plainText(warning, 1000)}`);
    const invite = vscode.l10n.t('Invite Anyway');
    const panes = macSettingsPanes(process.platform, agent.warnings).map((pane) => ({
      url: pane.url,
      title: pane.id === 'screenRecording' ? vscode.l10n.t('Open Screen Recording Settings') : vscode.l10n.t('Open Accessibility Settings'),
    }));
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Your helper may not see or control everything on this computer.'),
      { modal: true, detail: agent.warnings.map((w) => plainText(w, 1000)).join('\n\n') },
      invite,
      ...panes.map((p) => p.title),
    );
    if (choice !== invite) {
      agent.dispose();
      const pane = panes.find((p) => p.title === choice);
      // The agent's warnings are only matched against fixed panes: no text of theirs becomes a URL.
      if (pane) void vscode.env.openExternal(vscode.Uri.parse(pane.url, true));
      throw new Error(pane ? vscode.l10n.t('Allow Remote Assist in System Settings, then invite again.') : vscode.l10n.t('You cancelled the invitation.'));
    }
    return agent;
  }

  /**
   * With more than one monitor, the host chooses the one to share before the invitation is made (the primary first
   * and preselected); dismissing the choice cancels the invitation. One monitor (or none known): no question.
   */
  private async chooseMonitor(agent: AgentHandle): Promise<AgentHandle> {
    let reading;
    try {
      reading = await agent.monitors();
    } catch (error) {
      this.log.warn(`[host] the monitors could not be read, the primary is shared: ${error instanceof Error ? error.message : String(error)}`);
      return agent;
    }
    if (reading.monitors.length < 2) return agent;
    const name = await pickMonitor(reading, {
      title: vscode.l10n.t('Remote Assist: Which Monitor to Share?'),
      placeHolder: vscode.l10n.t('Your helper will see this monitor only. You can share another one during the session.'),
      preselect: 'primary',
    });
    try {
      if (name === undefined) throw new Error(vscode.l10n.t('You cancelled the invitation.'));
      if (name !== reading.shared) await agent.shareMonitor(name);
    } catch (error) {
      agent.dispose();
      throw error;
    }
    return agent;
  }

  /** The helper's "Send Clipboard" (the session took it only while the helper has control): written, and said. */
  private async clipboardReceived(session: HostSession, text: string): Promise<void> {
    const name = session.state.kind === 'controlled' || session.state.kind === 'viewing' ? session.state.helperName : '';
    try {
      await vscode.env.clipboard.writeText(text);
    } catch (error) {
      this.log.error(`[host] writing the helper's clipboard text failed: ${String(error)}`);
      return;
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} put text on your clipboard ({1} characters).', plainText(name || vscode.l10n.t('Your helper'), 100), text.length));
  }

  private async showInvitation(session: HostSession): Promise<void> {
    const until = session.invitation!.expiresAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const save = vscode.l10n.t('Save Invitation File…');
    const copyLink = vscode.l10n.t('Copy Join Link');
    const copyAgain = vscode.l10n.t('Copy Again');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Invitation code (copied to the clipboard): {0} — send it to your helper. It is valid until {1} and works once.', session.code, until),
      save,
      copyLink,
      copyAgain,
    );
    if (choice === save) await this.saveInvitation();
    else if (choice === copyLink) await this.copyJoinLink();
    else if (choice === copyAgain) await this.copyInvitation();
  }

  async copyInvitation(): Promise<void> {
    const session = this.openInvitation();
    if (!session) return;
    await vscode.env.clipboard.writeText(session.code);
    void vscode.window.showInformationMessage(vscode.l10n.t('Invitation code copied to the clipboard: {0}', session.code));
  }

  /**
   * The join link (src/joinLink.ts) for this editor's own scheme (`vscode`, `vscode-insiders`, a fork's): the
   * helper clicks it and gets Join with the code filled in. It carries the code only, so the helper connects
   * through their own signaling settings; the invitation file carries the host's.
   */
  async copyJoinLink(): Promise<void> {
    const session = this.openInvitation();
    if (!session) return;
    const link = makeJoinLink(vscode.env.uriScheme, this.context.extension.id, session.code);
    await vscode.env.clipboard.writeText(link);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Join link copied to the clipboard. It opens Remote Assist: Join in {0} with the code filled in; your helper needs the same signaling settings as yours (or the invitation file).', vscode.env.appName),
    );
  }

  /** The session while its invitation is open; otherwise says so and gives undefined. */
  private openInvitation(): HostSession | undefined {
    const session = this.session;
    if (session && session.state.kind === 'awaiting') return session;
    void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: there is no open invitation. Run "Remote Assist: Invite Helper" first.'));
    return undefined;
  }

  async saveInvitation(): Promise<void> {
    const session = this.session;
    const stripped = session?.invitationFile;
    if (!session || session.state.kind !== 'awaiting' || !stripped) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: there is no open invitation. Run "Remote Assist: Invite Helper" first.'));
      return;
    }
    const file = await this.chooseCredentials(stripped);
    if (!file) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const withCredentials = hasCredentials(file.iceServers);
    const target = await vscode.window.showSaveDialog({
      title: withCredentials ? vscode.l10n.t('Save Remote Assist Invitation (with your TURN credentials)') : vscode.l10n.t('Save Remote Assist Invitation'),
      saveLabel: vscode.l10n.t('Save Invitation'),
      filters: { [vscode.l10n.t('Remote Assist invitation')]: [INVITATION_FILE_EXTENSION] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `invitation.${INVITATION_FILE_EXTENSION}`) } : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(file, null, 2) + '\n'));
    this.log.info(`[host] invitation file saved to ${target.toString()}${withCredentials ? ' (with TURN credentials)' : ''}`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Invitation saved to {0}. Send the file to your helper privately: whoever has it can ask to see your screen until {1}.',
        plainText(target.fsPath, 300),
        session.invitation!.expiresAt.toLocaleTimeString(),
      ),
    );
  }

  /**
   * The file leaves the TURN user names and credentials of the host's settings out (makeInvitationFile): they
   * are long-lived and the file goes to someone else. When the settings have some, the host decides, with leaving
   * them out as the default answer. Undefined: the host cancelled.
   */
  private async chooseCredentials(stripped: InvitationFile): Promise<InvitationFile | undefined> {
    if (!hasCredentials(this.sessionIceServers)) return stripped;
    const leaveOut: vscode.MessageItem = { title: vscode.l10n.t('Save Without Credentials') };
    const include: vscode.MessageItem = { title: vscode.l10n.t('Include Credentials') };
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Your TURN servers have a user name and credential. Put them in the invitation file?'),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Without them, the helper connects directly or through their own TURN servers, which is enough on most networks. With them, whoever gets the file can use your TURN account until you change its credential, long after this invitation has expired.',
        ),
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
      void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: you took control back. Your helper can still see your screen.'));
    }
  }

  end(): void {
    this.session?.end('hostEnded', vscode.l10n.t('You ended the session.'));
  }

  private onState(state: HostState): void {
    const showing = state.kind === 'viewing' || state.kind === 'controlled';
    this.chat.setCanSend(showing);
    if (isFinal(state)) {
      this.sources?.dispose();
      this.sources = undefined;
      this.chat.endSession();
    }
    if (state.kind === 'viewing' && !this.sharingAsked) {
      this.sharingAsked = true;
      void this.chooseSharing();
    }
    this.onStateChange();
    if (state.kind === 'ended' && !(state.reason === 'hostEnded' && state.by === 'local')) void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: {0}', plainText(state.message)));
  }

  dispose(): void {
    this.session?.end('hostEnded');
    this.sources?.dispose();
    this.chat.dispose();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
