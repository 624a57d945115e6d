/**
 * Pair-debugging beyond pixels (both sides, pure): what the host may share with its helper besides the screen, on
 * the control connection, and the checks the helper's side runs on it. The host's editor, debugger and terminal,
 * each behind its own switch (`Sharing`) that the host turns on; nothing is shared before that.
 *
 * Every update is untrusted on arrival: `parseContextUpdate` reads only own fields, checks every type and range
 * and rebuilds the update from the checked fields. Its rules, decided once for every field:
 * - a wrong type, a missing required field, a number out of range, a path that climbs (`..`), is absolute or uses
 *   `\`, an array longer than its bound, or variables nested deeper than allowed: the whole update is refused;
 * - a string longer than its bound is cut (a host that cuts too little loses the tail, not the update; the whole
 *   message is bounded by MAX_HOST_MESSAGE anyway), except terminal output, which keeps its last part;
 * - control characters are removed from every string except `\n` and `\t`; one-line fields (names, paths, ids)
 *   lose those too, and the line separators and bidirectional controls with them.
 * Text keeps its characters otherwise (`<`, `&`, `[`…): the panel escapes at display, never this module.
 */

export type ContextKind = 'editor' | 'debug' | 'terminal';
export const CONTEXT_KINDS: readonly ContextKind[] = ['editor', 'debug', 'terminal'];

/** Which kinds of context the host shares now. All off until the host turns one on. */
export interface Sharing {
  readonly editor: boolean;
  readonly debug: boolean;
  readonly terminal: boolean;
}
export const NOTHING_SHARED: Sharing = { editor: false, debug: false, terminal: false };

/** Where the host's git repository puts a file: lets the helper find the same file in its own clone. */
export interface RepoInfo {
  /** The fetch remote as `normalizeRemote` gives it (host/path: no scheme, no user or credentials, no `.git`), ≤ 300. */
  readonly remote?: string;
  /** HEAD's commit: 40 lowercase hex digits (64 for a SHA-256 repository). */
  readonly commit?: string;
  /** The file's path from the repository's root, '/'-separated, ≤ 500. */
  readonly pathInRepo: string;
}

export interface CodeLocation {
  /** The workspace folder's name, ≤ 100. */
  readonly folder: string;
  /** Relative to that folder, '/'-separated, no '..', ≤ 500. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column?: number;
  readonly repo?: RepoInfo;
}

export interface Problem {
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  /** ≤ 500. */
  readonly message: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** ≤ 50. */
  readonly source?: string;
}

export interface EditorContext {
  /** The active editor: where its cursor is and what is selected (≤ 4000). */
  readonly active?: CodeLocation & { readonly selection: string };
  /** ≤ 10. */
  readonly visible: readonly CodeLocation[];
  /** Of the active file, ≤ 50. */
  readonly problems: readonly Problem[];
}

export interface StackFrame {
  /** ≤ 200. */
  readonly name: string;
  readonly location?: CodeLocation;
}

export interface Variable {
  /** ≤ 100. */
  readonly name: string;
  /** ≤ 500. */
  readonly value: string;
  /** ≤ 100. */
  readonly type?: string;
  /** ≤ 20, nesting ≤ 2 levels below the top. */
  readonly children?: readonly Variable[];
}

export interface DebugSessionContext {
  /** ≤ 64. */
  readonly id: string;
  /** ≤ 100. */
  readonly name: string;
  readonly state: 'running' | 'stopped';
  /** Why it stopped, as the debug adapter says: breakpoint, exception, step, pause, entry…; ≤ 40. */
  readonly reason?: string;
  /** ≤ 2000. */
  readonly exception?: string;
  /** ≤ 20. */
  readonly frames: readonly StackFrame[];
  /** The top frame's, ≤ 50. */
  readonly variables: readonly Variable[];
}

export interface DebugContext {
  /** ≤ 5. */
  readonly sessions: readonly DebugSessionContext[];
}

export interface TerminalCommand {
  /** ≤ 1000. */
  readonly command: string;
  readonly exitCode?: number;
  /** ≤ 8000, the last part kept. */
  readonly output: string;
}

export interface TerminalContext {
  /** ≤ 100. */
  readonly name: string;
  /** Without shell integration only the terminal's name is known. */
  readonly shellIntegration: boolean;
  /** ≤ 10, newest last. */
  readonly commands: readonly TerminalCommand[];
}

/** One kind of context, whole (each update replaces what the panel shows of its kind). Null / empty: nothing. */
export type ContextUpdate =
  | { readonly kind: 'editor'; readonly editor: EditorContext | null }
  | { readonly kind: 'debug'; readonly debug: DebugContext }
  | { readonly kind: 'terminal'; readonly terminal: TerminalContext | null };

/** Longest chat message, in UTF-16 code units. */
export const MAX_CHAT = 2000;

/** The bounds of every field, for the collectors on the host and for the parser. */
export const LIMITS = {
  remote: 300,
  path: 500,
  folder: 100,
  selection: 4000,
  visible: 10,
  problems: 50,
  problemMessage: 500,
  problemSource: 50,
  frameName: 200,
  frames: 20,
  variableName: 100,
  variableValue: 500,
  variableType: 100,
  variables: 50,
  children: 20,
  /** Levels of children below the top variables. */
  variableDepth: 2,
  sessionId: 64,
  sessionName: 100,
  reason: 40,
  exception: 2000,
  sessions: 5,
  command: 1000,
  output: 8000,
  commands: 10,
  terminalName: 100,
  /** Lines and columns: a file of ten million lines is already beyond any editor. */
  position: 10_000_000,
} as const;

/** The context update that says "nothing of this kind": sent when a kind is switched off. */
export function emptyUpdate(kind: ContextKind): ContextUpdate {
  switch (kind) {
    case 'editor': return { kind, editor: null };
    case 'debug': return { kind, debug: { sessions: [] } };
    case 'terminal': return { kind, terminal: null };
  }
}

/** Checks a `Sharing` from the other side: three booleans, nothing else copied. */
export function parseSharing(data: unknown): Sharing | undefined {
  const m = own(data);
  if (!m) return undefined;
  const { editor, debug, terminal } = m;
  return typeof editor === 'boolean' && typeof debug === 'boolean' && typeof terminal === 'boolean' ? { editor, debug, terminal } : undefined;
}

/** Checks and rebuilds one context update (see the rules at the top of this file); undefined if refused. */
export function parseContextUpdate(data: unknown): ContextUpdate | undefined {
  try {
    const m = own(data);
    if (!m) return undefined;
    switch (m['kind']) {
      case 'editor':
        return { kind: 'editor', editor: m['editor'] === null ? null : editorContext(m['editor']) };
      case 'debug':
        return { kind: 'debug', debug: debugContext(m['debug']) };
      case 'terminal':
        return { kind: 'terminal', terminal: m['terminal'] === null ? null : terminalContext(m['terminal']) };
      default:
        return undefined;
    }
  } catch (error) {
    if (error instanceof Refused) return undefined;
    throw error;
  }
}

/** Chat text either side may send: 1 to MAX_CHAT code units, no control character but `\n`, no lone surrogate. */
export function isChatText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_CHAT && !NOT_CHAT.test(v);
}
const NOT_CHAT = /(?!\n)[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Chat text as typed into a box: line endings made `\n`, other control characters and lone surrogates dropped,
 * blank ends trimmed and the rest cut to MAX_CHAT (never inside a surrogate pair). Empty: nothing to send.
 */
export function chatText(text: string): string {
  const clean = text.replace(/\r\n?/g, '\n').replace(/(?!\n)[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/gu, '').trim();
  return keepFirst(clean, MAX_CHAT);
}

/**
 * A git remote URL in the one form both sides compare: `host[:port]/path` with the host lowercased, no scheme, no
 * user or password (an HTTPS remote may carry a token), no query or fragment, no trailing `.git` or slash.
 * `git@github.com:org/repo.git`, `ssh://git@github.com/org/repo` and `https://user:token@github.com/org/repo.git`
 * all give `github.com/org/repo`. Undefined for a local path or anything that is not a plain remote.
 */
export function normalizeRemote(url: string): string | undefined {
  const text = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s:]+@)?([^@/\s:]+):(?!\/\/)(.+)$/.exec(text);
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/\s]*@)?([^/\s?#]+)(\/[^?#\s]*)?(?:[?#]\S*)?$/i.exec(text);
  if (withScheme) {
    if (withScheme[1]!.toLowerCase() === 'file') return undefined;
    host = withScheme[2]!;
    path = withScheme[3] ?? '';
  } else if (scp && !/^[a-z]$/i.test(scp[1]!)) {
    // scp-like syntax (`user@host:path`); a single letter before the colon is a Windows drive, not a host.
    host = scp[1]!;
    path = `/${scp[2]!}`;
  } else return undefined;
  host = host.toLowerCase().replace(/:(?:22|443|80)$/, '');
  path = path.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+/g, '/');
  const out = `${host}${path.startsWith('/') || path === '' ? '' : '/'}${path}`;
  return REMOTE.test(out) && out.length <= LIMITS.remote ? out : undefined;
}
/** host[:port] then path segments of URL-safe characters: no `@`, no space, no control character, no `..`. */
const REMOTE = /^[a-z0-9.-]+(?::\d{1,5})?(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~%+=,!$'()*-]+)*$/;

// --- The parser's parts: each throws Refused for anything out of shape ---

class Refused extends Error {}
const refuse = (): never => {
  throw new Refused();
};

/** An object's own fields on an object without a prototype; anything that is not a plain object is refused. */
function own(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return Object.assign(Object.create(null) as Record<string, unknown>, data);
}

function record(data: unknown): Record<string, unknown> {
  return own(data) ?? refuse();
}

function list(data: unknown, max: number): readonly unknown[] {
  return Array.isArray(data) && data.length <= max ? data : refuse();
}

/** Every control character but `\n` and `\t`, lone surrogates too (they cannot be shown). */
const CONTROL = /(?![\n\t])[\p{Cc}\p{Cs}]/gu;
/** What a one-line field may not hold besides: line breaks, tabs, separators, bidirectional controls. */
const NOT_ONE_LINE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** The first `max` code units (never ending inside a surrogate pair). */
export function keepFirst(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/** Text that may run over lines (a selection, a message, output): control characters but `\n` `\t` removed, cut. */
function text(v: unknown, max: number): string {
  return typeof v === 'string' ? keepFirst(v.replace(CONTROL, ''), max) : refuse();
}

function optionalText(v: unknown, max: number): string | undefined {
  return v === undefined ? undefined : text(v, max);
}

/** A one-line field (a name, an id): its line breaks and bidirectional controls become spaces, then cut. */
function oneLine(v: unknown, max: number): string {
  return typeof v === 'string' ? keepFirst(v.replace(NOT_ONE_LINE, ' '), max) : refuse();
}

function optionalOneLine(v: unknown, max: number): string | undefined {
  return v === undefined ? undefined : oneLine(v, max);
}

/** A relative '/'-separated path: none of `..`, `.`, empty segments, a leading `/`, `\`, a drive or a control character. */
export function isRelativePath(v: unknown, max: number = LIMITS.path): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return false;
  if (/[\\:\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u.test(v)) return false;
  return v.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function path(v: unknown, max: number): string {
  return isRelativePath(v, max) ? v : refuse();
}

function position(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= LIMITS.position ? v : refuse();
}

function optionalPosition(v: unknown): number | undefined {
  return v === undefined ? undefined : position(v);
}

/** Copies only the optional fields that are there: a missing field stays missing, never `undefined`. */
function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function repoInfo(data: unknown): RepoInfo {
  const m = record(data);
  const remote = m['remote'];
  const commit = m['commit'];
  if (remote !== undefined && (typeof remote !== 'string' || remote.length > LIMITS.remote || !REMOTE.test(remote))) refuse();
  if (commit !== undefined && (typeof commit !== 'string' || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit))) refuse();
  return { ...defined({ remote: remote as string | undefined, commit: commit as string | undefined }), pathInRepo: path(m['pathInRepo'], LIMITS.path) };
}

function location(data: unknown): CodeLocation {
  const m = record(data);
  const folder = oneLine(m['folder'], LIMITS.folder);
  return {
    folder,
    path: path(m['path'], LIMITS.path),
    line: position(m['line']),
    ...defined({ column: optionalPosition(m['column']), repo: m['repo'] === undefined ? undefined : repoInfo(m['repo']) }),
  };
}

const SEVERITIES: ReadonlySet<unknown> = new Set(['error', 'warning', 'info', 'hint']);

function problem(data: unknown): Problem {
  const m = record(data);
  if (!SEVERITIES.has(m['severity'])) refuse();
  return {
    severity: m['severity'] as Problem['severity'],
    message: text(m['message'], LIMITS.problemMessage),
    line: position(m['line']),
    column: position(m['column']),
    ...defined({ source: optionalOneLine(m['source'], LIMITS.problemSource) }),
  };
}

function editorContext(data: unknown): EditorContext {
  const m = record(data);
  let active: EditorContext['active'];
  if (m['active'] !== undefined) {
    const a = record(m['active']);
    active = { ...location(a), selection: text(a['selection'], LIMITS.selection) };
  }
  return {
    ...defined({ active }),
    visible: list(m['visible'], LIMITS.visible).map(location),
    problems: list(m['problems'], LIMITS.problems).map(problem),
  };
}

function variable(data: unknown, depth: number): Variable {
  const m = record(data);
  let children: Variable[] | undefined;
  if (m['children'] !== undefined) {
    if (depth >= LIMITS.variableDepth) refuse();
    children = list(m['children'], LIMITS.children).map((c) => variable(c, depth + 1));
  }
  return {
    name: oneLine(m['name'], LIMITS.variableName),
    value: text(m['value'], LIMITS.variableValue),
    ...defined({ type: optionalOneLine(m['type'], LIMITS.variableType), children }),
  };
}

function frame(data: unknown): StackFrame {
  const m = record(data);
  return { name: oneLine(m['name'], LIMITS.frameName), ...defined({ location: m['location'] === undefined ? undefined : location(m['location']) }) };
}

function debugSession(data: unknown): DebugSessionContext {
  const m = record(data);
  if (m['state'] !== 'running' && m['state'] !== 'stopped') refuse();
  return {
    id: oneLine(m['id'], LIMITS.sessionId),
    name: oneLine(m['name'], LIMITS.sessionName),
    state: m['state'] as DebugSessionContext['state'],
    ...defined({ reason: optionalOneLine(m['reason'], LIMITS.reason), exception: optionalText(m['exception'], LIMITS.exception) }),
    frames: list(m['frames'], LIMITS.frames).map(frame),
    variables: list(m['variables'], LIMITS.variables).map((v) => variable(v, 0)),
  };
}

function debugContext(data: unknown): DebugContext {
  return { sessions: list(record(data)['sessions'], LIMITS.sessions).map(debugSession) };
}

function terminalCommand(data: unknown): TerminalCommand {
  const m = record(data);
  const exitCode = m['exitCode'];
  if (exitCode !== undefined && !(typeof exitCode === 'number' && Number.isInteger(exitCode) && Math.abs(exitCode) <= 0xffff_ffff)) refuse();
  const output = typeof m['output'] === 'string' ? m['output'].replace(CONTROL, '') : refuse();
  return {
    command: text(m['command'], LIMITS.command),
    ...defined({ exitCode: exitCode as number | undefined }),
    output: keepLast(output, LIMITS.output),
  };
}

function terminalContext(data: unknown): TerminalContext {
  const m = record(data);
  if (typeof m['shellIntegration'] !== 'boolean') refuse();
  return {
    name: oneLine(m['name'], LIMITS.terminalName),
    shellIntegration: m['shellIntegration'] as boolean,
    commands: list(m['commands'], LIMITS.commands).map(terminalCommand),
  };
}

/** The last `max` code units of a text (never starting inside a surrogate pair). */
export function keepLast(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = text.slice(text.length - max);
  return /^[\uDC00-\uDFFF]/.test(tail) ? tail.slice(1) : tail;
}
