/**
 * The editor's side of the helper: the Join command (code or invitation file, details, Connect) and the
 * webview panel that runs the helper's session. The session itself lives in the webview (src/webview), with
 * the browser's own WebRTC; this side mirrors its state for the status bar and relays commands to it.
 */

import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { auditDir, FileAuditLog } from './audit';
import { Commands, readConfig, type Config } from './config';
import { helperAuditEvents, type AuditLog, type AuditParty } from './shared/audit';
import {
  INVITATION_FILE_EXTENSION,
  decodeInvitation,
  joinRefusal,
  parseInvitationFile,
  type IceServer,
  type Invitation,
  type SignalingSettings,
} from './shared/invitation';
import { MAX_COPY, parseToPanel, type ToPanel } from './shared/panelProtocol';
import { HelperPanel, type PanelRequest } from './helperPanel';
import { resolveOpenHere, type FileAccess, type HostLocation, type LocalRepository } from './openHere';
import { derivePeerId, deriveProofKey, toBase64 } from './shared/proof';
import type { HelperState } from './shared/stateMachine';
import { isFinal } from './shared/stateMachine';
import { showError } from './prompts';
import { plainText } from './text';

/** Larger files are refused unread: a real one is under 2 KB. */
const MAX_INVITATION_FILE = 64 * 1024;

/** What Join needs, from a code or a file. */
interface JoinRequest {
  readonly code: string;
  readonly invitation: Invitation;
  readonly hostName: string | undefined;
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  readonly source: 'code' | 'file';
}

/** Arguments the Join command accepts from other extensions, keybindings and tests. */
export interface JoinArgs {
  readonly code?: string;
  readonly file?: vscode.Uri;
  /** Skip the details dialog (tests and automation). */
  readonly skipConfirmation?: boolean;
  /**
   * Open the input box with this code filled in and checked (a join link): the helper still presses Enter and
   * then Connect. Ignored when `code` or `file` is given.
   */
  readonly prefill?: string;
}

export class HelperController implements vscode.Disposable {
  private panel: HelperPanel | undefined;
  private stateValue: HelperState | undefined;
  /** The current session's audit log, and who is on the other end. */
  private audit: { readonly log: AuditLog; party: AuditParty } | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly onStateChange: () => void,
  ) {}

  get state(): HelperState | undefined {
    return this.stateValue;
  }

  get active(): boolean {
    return !!this.panel && !!this.stateValue && !isFinal(this.stateValue);
  }

  async join(args: JoinArgs = {}): Promise<void> {
    const config = readConfig();
    let request: JoinRequest | undefined;
    if (args.file) request = await this.readFile(args.file, config);
    else if (args.code !== undefined) request = this.fromCode(args.code, config);
    else request = await this.askForInvitation(config, args.prefill);
    if (!request) return;
    const refusal = joinRefusal(request.invitation, new Date(), formatTime);
    if (refusal) {
      await showError(refusal, Commands.showLog);
      return;
    }
    if (!args.skipConfirmation && !(await confirm(request))) return;
    if (this.active) {
      const endAndJoin = vscode.l10n.t('End and Join');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('You are already in a Remote Assist session.'), { modal: true, detail: vscode.l10n.t('End it and join this one?') }, endAndJoin);
      if (choice !== endAndJoin) return;
      this.end();
    }
    this.panel?.dispose();
    const [hostPeerId, proofKey] = await Promise.all([derivePeerId(request.invitation.secret), deriveProofKey(request.invitation.secret)]);
    this.log.info(`[helper] joining ${request.hostName ?? 'a host'} through ${request.signaling.host}:${request.signaling.port}`);
    const connect: ToPanel = {
      type: 'connect',
      signaling: request.signaling,
      iceServers: request.iceServers,
      iceTransportPolicy: config.iceTransportPolicy,
      hostPeerId,
      proofKey: toBase64(proofKey),
      helperName: config.displayName,
      expectedHostName: request.hostName ?? '',
      connectTimeoutMs: config.connectTimeoutMs,
      keyboardMode: config.keyboardMode,
    };
    // The panel checks `connect` with this same function; a message it would refuse would leave the helper at
    // "Connecting" for good, so it is refused here, where the helper can be told.
    if (!parseToPanel(connect)) {
      this.log.error('[helper] the connect message does not pass the panel\'s checks');
      await showError(vscode.l10n.t('Remote Assist cannot use this invitation: its connection settings are not valid.'), Commands.showLog);
      return;
    }
    const audit = {
      log: new FileAuditLog({ side: 'helper', dir: config.auditWriteFile ? auditDir(this.context.globalStorageUri) : undefined, log: this.log }),
      party: { peerId: hostPeerId, helperName: config.displayName, ...(request.hostName ? { hostName: request.hostName } : {}) },
    };
    this.audit = audit;
    audit.log.record({ event: 'joining', expiresAt: request.invitation.expiresAt.toISOString(), source: request.source }, audit.party);
    const panel = new HelperPanel(this.context, connect, request.hostName, this.log);
    this.panel = panel;
    this.setState({ kind: 'connecting' });
    panel.onState((state, verificationCode) => {
      if (this.panel === panel) this.setState(state, verificationCode);
    });
    panel.onRequest((request) => {
      if (this.panel === panel) void this.onPanelRequest(request).catch((error: unknown) => this.log.error(`[helper] ${request.type}: ${String(error)}`));
    });
    panel.onDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      if (this.stateValue && !isFinal(this.stateValue)) this.setState({ kind: 'ended', message: vscode.l10n.t('You closed the Remote Assist panel; the session ended.'), reason: 'helperEnded', by: 'local' });
    });
  }

  /** What the panel asks for the host's shared context and chat (issue 12). */
  private async onPanelRequest(request: PanelRequest): Promise<void> {
    switch (request.type) {
      case 'openHere':
        return this.openHere(request.location);
      case 'copy':
        await vscode.env.clipboard.writeText(request.text);
        vscode.window.setStatusBarMessage(vscode.l10n.t('Copied to the clipboard'), 3000);
        return;
      case 'chatCount':
        // The count, never the text: the audit log says that people talked, not what they said.
        if (this.audit) this.audit.log.record({ event: 'chat', direction: request.direction }, this.audit.party);
        return;
      case 'readClipboard': {
        // Read only because the helper pressed "Send Clipboard" in its panel; the panel decides whether it fits.
        if (this.stateValue?.kind !== 'controlling') return;
        const text = await vscode.env.clipboard.readText();
        this.panel?.post({ type: 'clipboardText', text: text.slice(0, MAX_COPY) });
        return;
      }
      case 'clipboardSent':
        if (this.audit) this.audit.log.record({ event: 'clipboard', direction: 'toHost', characters: request.characters }, this.audit.party);
        return;
      case 'hostClipboard': {
        if (!this.active) return;
        await vscode.env.clipboard.writeText(request.text);
        if (this.audit) this.audit.log.record({ event: 'clipboard', direction: 'toHelper', characters: request.text.length }, this.audit.party);
        const host = this.stateValue && 'hostName' in this.stateValue && this.stateValue.hostName ? plainText(this.stateValue.hostName, 100) : vscode.l10n.t('The host');
        void vscode.window.showInformationMessage(vscode.l10n.t("{0}'s clipboard text is now on your clipboard ({1} characters).", host, request.text.length));
        return;
      }
    }
  }

  /** Opens the host's file:line in the helper's own workspace, if it is there (see openHere.ts). */
  private async openHere(location: HostLocation): Promise<void> {
    // Only folders on this file system: the real-path check that keeps symlinks in the workspace needs one.
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, root: f.uri.fsPath }));
    const result = await resolveOpenHere(location, folders, await gitRepositories(this.log), nodeFiles);
    const shown = plainText(`${location.path}:${location.line}`, 200);
    this.log.info(`[helper] open here ${location.folder}/${location.path}:${location.line}: ${result.kind}`);
    switch (result.kind) {
      case 'unsafe':
        void vscode.window.showWarningMessage(vscode.l10n.t('Remote Assist did not open {0}: that path could lead outside your workspace folders.', shown));
        return;
      case 'missing':
        void vscode.window.showWarningMessage(
          folders.length === 0
            ? vscode.l10n.t('Cannot open {0} here: open the same project in a workspace folder first.', shown)
            : vscode.l10n.t('{0} is not in your workspace: no such file in a workspace folder or a clone of the same repository here.', shown),
        );
        return;
      case 'open': {
        const position = new vscode.Position(result.line - 1, result.column - 1);
        // Beside the panel, which keeps the host's screen in sight.
        await vscode.window.showTextDocument(vscode.Uri.file(result.file), { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(position, position), preview: true });
        if (result.commits) {
          void vscode.window.showInformationMessage(
            vscode.l10n.t('Opened {0}. The host is at commit {1} and you are at {2}: the line may not be the same.', shown, result.commits.host.slice(0, 10), result.commits.here.slice(0, 10)),
          );
        }
        return;
      }
    }
  }

  requestControl(): void {
    if (this.stateValue?.kind === 'viewing') this.panel?.post({ type: 'requestControl' });
  }

  releaseControl(): void {
    if (this.stateValue?.kind === 'controlling') this.panel?.post({ type: 'releaseControl' });
  }

  end(): void {
    if (!this.panel) return;
    this.panel.post({ type: 'end' });
  }

  private setState(state: HelperState, verificationCode?: string): void {
    const previous = this.stateValue;
    this.stateValue = state;
    this.recordAudit(previous, state, verificationCode);
    this.onStateChange();
    if (state.kind === 'failed' && previous?.kind !== 'failed') {
      void showError(vscode.l10n.t('Remote Assist: {0}', state.message), Commands.showLog);
    } else if (state.kind === 'ended' && previous && !isFinal(previous) && (state.by === 'remote' || state.reason === 'linkLost')) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Remote Assist: {0}', plainText(state.message)));
    }
  }

  /** The panel reports states; the audit log gets what they mean (see helperAuditEvents). */
  private recordAudit(previous: HelperState | undefined, state: HelperState, verificationCode: string | undefined): void {
    const audit = this.audit;
    if (!audit) return;
    if ('hostName' in state && state.hostName) audit.party = { ...audit.party, hostName: state.hostName };
    for (const event of helperAuditEvents(previous, state, verificationCode)) audit.log.record(event, audit.party);
    if (isFinal(state)) this.audit = undefined;
  }

  private fromCode(text: string, config: Config): JoinRequest | undefined {
    const decoded = decodeInvitation(text);
    if (!decoded.ok) {
      void showError(vscode.l10n.t('That is not a valid invitation code. {0}', decoded.message), Commands.showLog);
      return undefined;
    }
    return {
      code: decoded.code,
      invitation: decoded.invitation,
      hostName: undefined,
      signaling: config.signaling,
      iceServers: config.iceServers,
      source: 'code',
    };
  }

  private async readFile(uri: vscode.Uri, _config: Config): Promise<JoinRequest | undefined> {
    let text: string;
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      if (bytes.byteLength > MAX_INVITATION_FILE) throw new Error(vscode.l10n.t('The file is too large to be an invitation.'));
      text = new TextDecoder().decode(bytes);
    } catch (error) {
      await showError(vscode.l10n.t('Cannot read the invitation file: {0}', error instanceof Error ? error.message : String(error)), Commands.showLog);
      return undefined;
    }
    const parsed = parseInvitationFile(text);
    if (!parsed.ok) {
      await showError(parsed.message, Commands.showLog);
      return undefined;
    }
    return {
      code: parsed.file.code,
      invitation: parsed.invitation,
      hostName: parsed.file.hostName,
      signaling: parsed.file.signaling,
      iceServers: parsed.file.iceServers,
      source: 'file',
    };
  }

  /**
   * The input box: validates as you type; its button opens an invitation file instead. `prefill` (from a join
   * link, already checked) starts it filled in, with its verdict shown.
   */
  private askForInvitation(config: Config, prefill?: string): Promise<JoinRequest | undefined> {
    return new Promise((resolve) => {
      const box = vscode.window.createInputBox();
      const openFile: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: vscode.l10n.t('Open an Invitation File…') };
      box.title = vscode.l10n.t('Remote Assist: Join');
      box.prompt = vscode.l10n.t('Paste the invitation code you were sent, or open an invitation file (folder button).');
      box.placeholder = 'XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX';
      box.buttons = [openFile];
      box.ignoreFocusOut = true;
      let settled = false;
      // Hiding the box to show the file dialog fires onDidHide, which must not end Join before the file is read
      // (it did: a valid file picked with the folder button never joined).
      let openingFile = false;
      const finish = (value: JoinRequest | undefined) => {
        if (settled) return;
        settled = true;
        resolve(value);
        box.dispose();
      };
      const validate = (value: string) => {
        if (value.trim() === '') {
          box.validationMessage = undefined;
          return;
        }
        const decoded = decodeInvitation(value);
        if (!decoded.ok) {
          box.validationMessage = decoded.reason === 'incomplete'
            ? { message: decoded.message, severity: vscode.InputBoxValidationSeverity.Info }
            : { message: decoded.message, severity: vscode.InputBoxValidationSeverity.Error };
        } else {
          const refusal = joinRefusal(decoded.invitation, new Date(), formatTime);
          box.validationMessage = refusal
            ? { message: refusal, severity: vscode.InputBoxValidationSeverity.Error }
            : { message: vscode.l10n.t('Valid until {0}. Press Enter to continue.', formatTime(decoded.invitation.expiresAt)), severity: vscode.InputBoxValidationSeverity.Info };
        }
      };
      box.onDidChangeValue(validate);
      if (prefill !== undefined) {
        box.value = prefill;
        validate(prefill);
      }
      box.onDidAccept(() => {
        const decoded = decodeInvitation(box.value);
        if (!decoded.ok || joinRefusal(decoded.invitation, new Date())) return; // the message is already shown
        finish(this.fromCode(box.value, config));
      });
      box.onDidTriggerButton(async (button) => {
        if (button !== openFile) return;
        openingFile = true;
        box.hide();
        const picked = await vscode.window.showOpenDialog({
          title: vscode.l10n.t('Open a Remote Assist Invitation'),
          openLabel: vscode.l10n.t('Open Invitation'),
          canSelectMany: false,
          filters: { [vscode.l10n.t('Remote Assist invitation')]: [INVITATION_FILE_EXTENSION], [vscode.l10n.t('All files')]: ['*'] },
        });
        finish(picked?.[0] ? await this.readFile(picked[0], config) : undefined);
      });
      box.onDidHide(() => {
        if (!openingFile) finish(undefined);
      });
      box.show();
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

/** The node file system, for openHere.ts. */
const nodeFiles: FileAccess = {
  realpath: (file) => fs.realpath(file),
  isFile: async (file) => (await fs.stat(file)).isFile(),
};

/** The part of the built-in git extension's API (`vscode.git`, version 1) that "Open here" reads. */
interface GitApi {
  readonly repositories: readonly {
    readonly rootUri: vscode.Uri;
    readonly state: { readonly HEAD?: { readonly commit?: string }; readonly remotes: readonly { readonly fetchUrl?: string; readonly pushUrl?: string }[] };
  }[];
}

/** The helper's git repositories; none when git is disabled or missing (then folders are matched by name). */
async function gitRepositories(log: vscode.LogOutputChannel): Promise<LocalRepository[]> {
  try {
    const extension = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git');
    if (!extension) return [];
    const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
    return api.repositories
      .filter((r) => r.rootUri.scheme === 'file')
      .map((r) => {
        const head = r.state.HEAD?.commit;
        const remotes = r.state.remotes.flatMap((m) => [m.fetchUrl, m.pushUrl]).filter((u): u is string => typeof u === 'string');
        return { root: r.rootUri.fsPath, remotes, ...(head ? { head } : {}) };
      });
  } catch (error) {
    log.warn(`[helper] the git extension's API is not available: ${String(error)}`);
    return [];
  }
}

async function confirm(request: JoinRequest): Promise<boolean> {
  const minutes = Math.max(0, Math.round((request.invitation.expiresAt.getTime() - Date.now()) / 60_000));
  // The host's name and the server come from the invitation file: checked by its reader, escaped again here.
  const host = request.hostName ? plainText(request.hostName, 100) : undefined;
  const who = host ?? vscode.l10n.t('the person who sent you the code (their name appears once connected)');
  const detail = [
    vscode.l10n.t('From: {0}', who),
    vscode.l10n.t('Created: {0}', formatDateTime(request.invitation.createdAt)),
    vscode.l10n.t('Valid until: {0} ({1} min left)', formatDateTime(request.invitation.expiresAt), minutes),
    vscode.l10n.t('Signaling server: {0}', plainText(`${request.signaling.host}:${request.signaling.port}`, 300)),
    '',
    vscode.l10n.t('They will be asked to allow the connection. You will see their screen; control is asked for separately.'),
  ].join('\n');
  const title = host ? vscode.l10n.t("Connect to {0}'s computer?", host) : vscode.l10n.t('Connect with this invitation?');
  const connect = vscode.l10n.t('Connect');
  const choice = await vscode.window.showInformationMessage(title, { modal: true, detail }, connect);
  return choice === connect;
}

function formatTime(date: Date): string {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function formatDateTime(date: Date): string {
  return date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
