/**
 * The host's context collectors, their VS Code half (extension host): the active and visible editors with their
 * problems and git position, the debug sessions (through a debug adapter tracker and DAP requests) and the active
 * terminal's last commands (through shell integration). A collector runs only while its kind is shared: nothing
 * is read before the host turns a switch on, and a switch turned off stops its listeners. What they gather is
 * bounded here (src/context/shape.ts) and handed to the host session, which throttles and sends it.
 */

import * as vscode from 'vscode';
import { LIMITS, keepFirst, normalizeRemote, type CodeLocation, type ContextKind, type ContextUpdate, type DebugSessionContext, type EditorContext, type RepoInfo, type Sharing, type TerminalContext } from '../shared/context';
import { TerminalHistory, clampPosition, collectVariables, dapException, dapFrames, dapScopes, problem, relativePath } from './shape';

/** Collection after a change waits this long for the next one (the session throttles what it sends on top). */
const SETTLE_MS = 100;

/** The parts of the built-in git extension's API (version 1) read here. */
interface GitApi {
  getRepository(uri: vscode.Uri): { rootUri: vscode.Uri; state: { HEAD?: { commit?: string }; remotes: readonly { name: string; fetchUrl?: string }[] } } | null;
}

export class ContextSources implements vscode.Disposable {
  private sharing: Sharing = { editor: false, debug: false, terminal: false };
  private readonly running = new Map<ContextKind, vscode.Disposable[]>();
  private readonly settle = new Map<ContextKind, ReturnType<typeof setTimeout>>();
  private readonly debugSessions = new Map<string, { session: vscode.DebugSession; state: DebugSessionContext }>();
  private readonly terminals = new Map<vscode.Terminal, TerminalHistory>();

  constructor(
    private readonly share: (update: ContextUpdate) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Starts the collectors of the kinds turned on (each sends what it sees at once) and stops the others. */
  setSharing(sharing: Sharing): void {
    this.sharing = sharing;
    for (const kind of ['editor', 'debug', 'terminal'] as const) {
      if (sharing[kind] && !this.running.has(kind)) {
        this.running.set(kind, this.start(kind));
        this.changed(kind);
      } else if (!sharing[kind] && this.running.has(kind)) this.stop(kind);
    }
  }

  dispose(): void {
    for (const kind of [...this.running.keys()]) this.stop(kind);
  }

  private start(kind: ContextKind): vscode.Disposable[] {
    const changed = () => this.changed(kind);
    switch (kind) {
      case 'editor':
        return [
          vscode.window.onDidChangeActiveTextEditor(changed),
          vscode.window.onDidChangeVisibleTextEditors(changed),
          vscode.window.onDidChangeTextEditorSelection(changed),
          vscode.languages.onDidChangeDiagnostics(changed),
        ];
      case 'debug':
        for (const session of [vscode.debug.activeDebugSession].filter((s): s is vscode.DebugSession => !!s)) this.trackSession(session);
        return [
          vscode.debug.onDidStartDebugSession((session) => (this.trackSession(session), changed())),
          vscode.debug.onDidTerminateDebugSession((session) => (this.debugSessions.delete(session.id), changed())),
          vscode.debug.registerDebugAdapterTrackerFactory('*', {
            createDebugAdapterTracker: (session) => ({ onDidSendMessage: (message: unknown) => this.onDebugMessage(session, message) }),
          }),
        ];
      case 'terminal':
        return [
          vscode.window.onDidChangeActiveTerminal(changed),
          vscode.window.onDidChangeTerminalShellIntegration(changed),
          vscode.window.onDidCloseTerminal((t) => (this.terminals.delete(t), changed())),
          vscode.window.onDidStartTerminalShellExecution((event) => this.onExecution(event)),
        ];
    }
  }

  private stop(kind: ContextKind): void {
    for (const d of this.running.get(kind) ?? []) d.dispose();
    this.running.delete(kind);
    clearTimeout(this.settle.get(kind));
    this.settle.delete(kind);
    if (kind === 'debug') this.debugSessions.clear();
    if (kind === 'terminal') this.terminals.clear();
  }

  /** Something of `kind` changed: collect once things settle, and hand it over if the kind is still shared. */
  private changed(kind: ContextKind): void {
    if (this.settle.has(kind)) return;
    this.settle.set(
      kind,
      setTimeout(() => {
        this.settle.delete(kind);
        if (!this.sharing[kind]) return;
        try {
          const update = kind === 'editor' ? { kind, editor: this.editor() } : kind === 'debug' ? { kind, debug: { sessions: this.debugList() } } : { kind, terminal: this.terminal() };
          this.share(update as ContextUpdate);
        } catch (error) {
          this.log.warn(`[host] collecting ${kind} context failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }, SETTLE_MS),
    );
  }

  // --- Editor ---

  private editor(): EditorContext | null {
    const active = vscode.window.activeTextEditor;
    const visible = vscode.window.visibleTextEditors
      .filter((e) => e !== active)
      .map((e) => this.locate(e.document.uri, e.selection.active.line + 1, e.selection.active.character + 1))
      .filter((l): l is CodeLocation => !!l)
      .slice(0, LIMITS.visible);
    const where = active && this.locate(active.document.uri, active.selection.active.line + 1, active.selection.active.character + 1);
    if (!where && visible.length === 0) return null;
    if (!active || !where) return { visible, problems: [] };
    // Only as much of a selection is read as can be sent.
    const selection = active.selection.isEmpty ? '' : keepFirst(active.document.getText(boundedRange(active.selection)), LIMITS.selection);
    const problems = vscode.languages
      .getDiagnostics(active.document.uri)
      .slice(0, LIMITS.problems)
      .map((d) => problem({ severity: d.severity, message: d.message, line: d.range.start.line, character: d.range.start.character, source: d.source }));
    return { active: { ...where, selection }, visible, problems };
  }

  /**
   * A debug adapter's source path as a URI of a workspace folder's own scheme. What `customRequest('stackTrace')`
   * answers is a path, or, in a remote window, a URI of another scheme than the folders' (seen in code-server:
   * `vscode-remote://host/…/src/calc.js` beside folders of `file:///…`): either way the file is matched to its
   * folder by path, so that the frame keeps its place.
   */
  private sourceUri(path: string): vscode.Uri {
    const isUri = /^[a-z][\w+.-]+:/i.test(path) && !/^[a-z]:[\\/]/i.test(path);
    const uri = isUri ? vscode.Uri.parse(path) : vscode.Uri.file(path);
    const folder = vscode.workspace.workspaceFolders?.find((f) => relativePath(f.uri.path, uri.path) !== undefined);
    return folder ? folder.uri.with({ path: uri.path }) : uri;
  }

  /**
   * A file as the helper can find it: its workspace folder's name and the path inside it, and where git puts it.
   * Files outside every workspace folder (and untitled ones) are not located: their absolute path stays here.
   */
  private locate(uri: vscode.Uri, line: number, column?: number): CodeLocation | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return undefined;
    const path = relativePath(folder.uri.path, uri.path);
    if (!path) return undefined;
    const repo = this.repo(uri);
    return { folder: keepFirst(folder.name, LIMITS.folder), path, line: clampPosition(line), ...(column !== undefined ? { column: clampPosition(column) } : {}), ...(repo ? { repo } : {}) };
  }

  /** The git repository's view of a file, if the built-in git extension is already running (never started for this). */
  private repo(uri: vscode.Uri): RepoInfo | undefined {
    try {
      const git = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git');
      if (!git?.isActive) return undefined;
      const repository = git.exports.getAPI(1).getRepository(uri);
      if (!repository) return undefined;
      const pathInRepo = relativePath(repository.rootUri.path, uri.path);
      if (!pathInRepo) return undefined;
      const remotes = repository.state.remotes;
      const fetchUrl = (remotes.find((r) => r.name === 'origin') ?? remotes[0])?.fetchUrl;
      // Credentials in an HTTPS remote never leave: normalizeRemote keeps host and path only.
      const remote = fetchUrl ? normalizeRemote(fetchUrl) : undefined;
      const commit = repository.state.HEAD?.commit;
      return { ...(remote ? { remote } : {}), ...(commit && /^[0-9a-f]{40}$/.test(commit) ? { commit } : {}), pathInRepo };
    } catch (error) {
      this.log.debug(`[host] git information unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  // --- Debugger ---

  private trackSession(session: vscode.DebugSession): void {
    // The adapter's first events can come before onDidStartDebugSession (js-debug's child session stops at a
    // breakpoint that early): the entry they made is the newer truth and stays.
    if (this.debugSessions.has(session.id) || this.debugSessions.size >= 20) return;
    this.debugSessions.set(session.id, { session, state: { id: keepFirst(session.id, LIMITS.sessionId), name: keepFirst(session.name, LIMITS.sessionName), state: 'running', frames: [], variables: [] } });
  }

  private debugList(): DebugSessionContext[] {
    return [...this.debugSessions.values()].slice(-LIMITS.sessions).map((s) => s.state);
  }

  private onDebugMessage(session: vscode.DebugSession, message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { type?: unknown; event?: unknown; body?: { reason?: unknown; threadId?: unknown } };
    if (m.type !== 'event') return;
    if (!this.debugSessions.has(session.id)) this.trackSession(session);
    const entry = this.debugSessions.get(session.id);
    if (!entry) return;
    if (m.event === 'continued') {
      entry.state = { ...entry.state, state: 'running', frames: [], variables: [] };
      delete (entry.state as { reason?: string }).reason;
      delete (entry.state as { exception?: string }).exception;
      this.changed('debug');
    } else if (m.event === 'stopped') {
      const reason = typeof m.body?.reason === 'string' ? keepFirst(m.body.reason, LIMITS.reason) : undefined;
      const threadId = typeof m.body?.threadId === 'number' ? m.body.threadId : undefined;
      entry.state = { id: entry.state.id, name: entry.state.name, state: 'stopped', ...(reason ? { reason } : {}), frames: [], variables: [] };
      this.changed('debug');
      void this.inspect(session, entry, threadId, reason);
    }
  }

  /** Asks the stopped adapter for the stack, the top frame's variables and, on an exception, what was thrown. */
  private async inspect(session: vscode.DebugSession, entry: { state: DebugSessionContext }, threadId: number | undefined, reason: string | undefined): Promise<void> {
    if (!this.sharing.debug) return;
    const stopped = entry.state;
    try {
      const thread = threadId ?? (await firstThread(session));
      if (thread === undefined) return;
      const frames = dapFrames(await session.customRequest('stackTrace', { threadId: thread, startFrame: 0, levels: LIMITS.frames }), (path, line, column) =>
        this.locate(this.sourceUri(path), line, column),
      );
      const top = frames[0];
      const variables = top && top.id >= 0 ? await collectVariables(dapScopes(await session.customRequest('scopes', { frameId: top.id })), (ref) => Promise.resolve(session.customRequest('variables', { variablesReference: ref }))) : [];
      const exception = reason === 'exception' ? dapException(await session.customRequest('exceptionInfo', { threadId: thread }).then((b: unknown) => b, () => undefined)) : undefined;
      if (entry.state !== stopped) return; // it ran on meanwhile
      entry.state = { ...stopped, ...(exception ? { exception } : {}), frames: frames.map((f) => f.frame), variables };
      this.changed('debug');
    } catch (error) {
      this.log.debug(`[host] the debug adapter did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- Terminal ---

  private onExecution(event: vscode.TerminalShellExecutionStartEvent): void {
    let history = this.terminals.get(event.terminal);
    if (!history) {
      if (this.terminals.size >= 20) return;
      history = new TerminalHistory();
      this.terminals.set(event.terminal, history);
    }
    const command = history.start(event.execution.commandLine.value);
    // read() must start now or the output is missed; it ends with the command.
    const stream = event.execution.read();
    const ended = vscode.window.onDidEndTerminalShellExecution((end) => {
      if (end.execution !== event.execution) return;
      command.end(end.exitCode);
      ended.dispose();
      this.changed('terminal');
    });
    this.running.get('terminal')?.push(ended);
    this.changed('terminal');
    void (async () => {
      try {
        for await (const chunk of stream) {
          if (!this.sharing.terminal) return;
          command.output.push(chunk);
          if (event.terminal === vscode.window.activeTerminal) this.changed('terminal');
        }
      } catch (error) {
        this.log.debug(`[host] terminal output unreadable: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
  }

  private terminal(): TerminalContext | null {
    const active = vscode.window.activeTerminal;
    if (!active) return null;
    return {
      name: keepFirst(active.name, LIMITS.terminalName),
      shellIntegration: active.shellIntegration !== undefined,
      commands: this.terminals.get(active)?.commands() ?? [],
    };
  }
}

/** A selection cut to what can be sent, so that a selected 100 MB file is not read whole. */
function boundedRange(selection: vscode.Selection): vscode.Range {
  const lines = 200;
  return selection.end.line - selection.start.line > lines ? new vscode.Range(selection.start, selection.start.translate(lines, 0)) : selection;
}

async function firstThread(session: vscode.DebugSession): Promise<number | undefined> {
  const body: unknown = await session.customRequest('threads');
  const threads = typeof body === 'object' && body !== null ? (body as { threads?: unknown }).threads : undefined;
  const id = Array.isArray(threads) ? (threads[0] as { id?: unknown } | undefined)?.id : undefined;
  return typeof id === 'number' ? id : undefined;
}
