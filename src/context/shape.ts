/**
 * The host's context collectors, their pure half (extension host, no `vscode`: unit-tested with node:test): what
 * VS Code, a debug adapter or a shell hand over, cut to the bounds of src/shared/context.ts before anything leaves.
 * A debug adapter's answers and a terminal's output are outside text like any other: read field by field, never
 * trusted for type or size.
 */

import { LIMITS, isRelativePath, keepFirst, keepLast, type Problem, type StackFrame, type TerminalCommand, type Variable } from '../shared/context';

/**
 * Terminal output as a person reads it: escape sequences (colours, cursor moves, OSC titles and shell-integration
 * marks) removed, a line redrawn with `\r` (a progress bar) kept as its last drawing, other control characters
 * but `\n` and `\t` dropped.
 */
export function stripAnsi(raw: string): string {
  return raw
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g, '') // OSC … BEL / ST
    .replace(/\u001b[P^_X][^\u001b]*(?:\u001b\\)?/g, '') // DCS, PM, APC, SOS … ST
    .replace(/(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]/g, '') // CSI
    .replace(/\u001b[ -/]*[0-~]/g, '') // two-character escapes (ESC 7, ESC ( B…)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1))
    .join('\n')
    .replace(/(?![\n\t])[\p{Cc}]/gu, '');
}

/** The last part of a stream of output, raw, in bounded memory: enough to still have LIMITS.output once stripped. */
export class OutputTail {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly keep = LIMITS.output * 4) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.keep * 2) {
      const joined = keepLast(this.chunks.join(''), this.keep);
      this.chunks = [joined];
      this.size = joined.length;
    }
  }

  /** What a person would read of it: escapes stripped, the last LIMITS.output characters. */
  text(): string {
    return keepLast(stripAnsi(keepLast(this.chunks.join(''), this.keep)), LIMITS.output);
  }
}

/** The commands of one terminal, newest last, at most LIMITS.commands. */
export class TerminalHistory {
  private readonly entries: { command: string; exitCode?: number; output: OutputTail }[] = [];

  /** A command started; its output is pushed to the returned tail. */
  start(command: string): { output: OutputTail; end(exitCode: number | undefined): void } {
    const entry: { command: string; exitCode?: number; output: OutputTail } = { command: keepFirst(command, LIMITS.command), output: new OutputTail() };
    this.entries.push(entry);
    if (this.entries.length > LIMITS.commands) this.entries.shift();
    return {
      output: entry.output,
      end: (exitCode) => {
        if (typeof exitCode === 'number' && Number.isInteger(exitCode)) entry.exitCode = exitCode;
      },
    };
  }

  commands(): TerminalCommand[] {
    return this.entries.map((e) => ({ command: e.command, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}), output: e.output.text() }));
  }
}


/**
 * A file's path relative to a folder, both as URI paths ('/'-separated): undefined when the file is not inside
 * the folder, or when what is left is not a plain relative path (see isRelativePath).
 */
export function relativePath(folder: string, file: string): string | undefined {
  const root = folder.endsWith('/') ? folder : `${folder}/`;
  if (!file.startsWith(root)) return undefined;
  const rest = file.slice(root.length);
  return isRelativePath(rest) ? rest : undefined;
}

/** VS Code's DiagnosticSeverity (Error 0, Warning 1, Information 2, Hint 3). */
export function severity(value: number): Problem['severity'] {
  return value === 0 ? 'error' : value === 1 ? 'warning' : value === 2 ? 'info' : 'hint';
}

/** A diagnostic, bounded. Positions are 0-based in VS Code, 1-based on the wire. */
export function problem(d: { severity: number; message: string; line: number; character: number; source?: string | undefined }): Problem {
  return {
    severity: severity(d.severity),
    message: keepFirst(d.message, LIMITS.problemMessage),
    line: clampPosition(d.line + 1),
    column: clampPosition(d.character + 1),
    ...(d.source ? { source: keepFirst(d.source, LIMITS.problemSource) } : {}),
  };
}

export function clampPosition(n: number): number {
  return Number.isFinite(n) ? Math.min(LIMITS.position, Math.max(1, Math.floor(n))) : 1;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const field = (o: unknown, name: string): unknown => (typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, name) ? (o as Record<string, unknown>)[name] : undefined);

/** A DAP `stackTrace` response body's frames, bounded; `locate` turns a source path and line into a location. */
export function dapFrames(body: unknown, locate: (path: string, line: number, column: number | undefined) => StackFrame['location']): { id: number; frame: StackFrame }[] {
  const frames = field(body, 'stackFrames');
  if (!Array.isArray(frames)) return [];
  return frames.slice(0, LIMITS.frames).map((f: unknown) => {
    const path = str(field(field(f, 'source'), 'path'));
    const line = num(field(f, 'line'));
    const column = num(field(f, 'column'));
    const location = path && line !== undefined && line >= 1 ? locate(path, clampPosition(line), column !== undefined && column >= 1 ? clampPosition(column) : undefined) : undefined;
    return { id: num(field(f, 'id')) ?? -1, frame: { name: keepFirst(str(field(f, 'name')) ?? '?', LIMITS.frameName), ...(location ? { location } : {}) } };
  });
}

/** A DAP `scopes` response body: the variables references of the scopes worth showing (cheap ones first). */
export function dapScopes(body: unknown): number[] {
  const scopes = field(body, 'scopes');
  if (!Array.isArray(scopes)) return [];
  const refs = scopes
    .filter((s: unknown) => field(s, 'expensive') !== true)
    .map((s: unknown) => num(field(s, 'variablesReference')))
    .filter((r): r is number => r !== undefined && r > 0);
  return refs.slice(0, 3);
}

/** One DAP variable as the wire has it, without children; and its reference to expand it (0: none). */
export function dapVariable(v: unknown): { variable: Variable; ref: number } {
  const type = str(field(v, 'type'));
  return {
    variable: {
      name: keepFirst(str(field(v, 'name')) ?? '?', LIMITS.variableName),
      value: keepFirst(str(field(v, 'value')) ?? '', LIMITS.variableValue),
      ...(type ? { type: keepFirst(type, LIMITS.variableType) } : {}),
    },
    ref: num(field(v, 'variablesReference')) ?? 0,
  };
}

/**
 * The variables under `refs`, with their children to LIMITS.variableDepth levels, fetched with `fetch` (a DAP
 * `variables` request): at most `max` at the top, LIMITS.children below, and `budget` requests in all, so that a
 * huge object graph costs a bounded number of round trips.
 */
export async function collectVariables(refs: readonly number[], fetch: (ref: number) => Promise<unknown>, budget = 25): Promise<Variable[]> {
  let left = budget;
  const level = async (ref: number, depth: number, max: number): Promise<Variable[]> => {
    if (left-- <= 0) return [];
    const body = await fetch(ref).catch(() => undefined);
    const list = field(body, 'variables');
    if (!Array.isArray(list)) return [];
    const out: Variable[] = [];
    for (const raw of list.slice(0, max)) {
      const { variable, ref: child } = dapVariable(raw);
      if (child > 0 && depth < LIMITS.variableDepth && left > 0) {
        const children = await level(child, depth + 1, LIMITS.children);
        out.push(children.length > 0 ? { ...variable, children } : variable);
      } else out.push(variable);
    }
    return out;
  };
  const all: Variable[] = [];
  for (const ref of refs) {
    if (all.length >= LIMITS.variables) break;
    all.push(...(await level(ref, 0, LIMITS.variables - all.length)));
  }
  return all;
}

/** A DAP `exceptionInfo` response body as one text: id, description, the details' message and stack, bounded. */
export function dapException(body: unknown): string | undefined {
  const parts = [str(field(body, 'exceptionId')), str(field(body, 'description')), str(field(field(body, 'details'), 'message')), str(field(field(body, 'details'), 'stackTrace'))];
  const text = [...new Set(parts.filter((p): p is string => !!p))].join('\n');
  return text ? keepFirst(text, LIMITS.exception) : undefined;
}
