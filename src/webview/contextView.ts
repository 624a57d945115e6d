/**
 * The helper's panel (webview): the context pane's sections as DOM (issue 12): the host's editor (active file,
 * selection, visible files, problems), debugger (sessions, stop reason, exception, stack, variables as a tree of
 * details/summary) and terminal (commands and their output). Builders only: contextPane.ts owns the pane and calls
 * these on every update.
 *
 * Everything here is the host's text: it reaches the page through `textContent` and text nodes only, never
 * through innerHTML, and a link in it stays text. Every file:line is a button that asks the extension to open the
 * same file here.
 */

import type { CodeLocation, DebugContext, DebugSessionContext, EditorContext, Problem, TerminalContext, Variable } from '../shared/context';

export interface ViewActions {
  openHere(location: CodeLocation): void;
  copy(text: string, what: string): void;
}

/**
 * Variables whose subtree is open, by path (`name/child/…`): kept across updates, since every step of the debugger
 * replaces the whole tree and the helper should not have to open it again.
 */
export type OpenVariables = Set<string>;

/** The editor section's body. */
export function editorView(editor: EditorContext | null, host: string, actions: ViewActions): HTMLElement[] {
  if (!editor || (!editor.active && editor.visible.length === 0)) return [note(`No file is open in ${possessive(host)} editor.`)];
  const out: HTMLElement[] = [];
  if (editor.active) {
    const active = editor.active;
    const item = el('div', 'ctx-item ctx-active');
    item.append(label('Active file'), locationButton(active, actions));
    if (active.repo?.remote || active.repo?.commit) {
      const repo = el('div', 'ctx-repo');
      repo.textContent = [active.repo.remote, active.repo.commit ? `@ ${active.repo.commit.slice(0, 10)}` : ''].filter(Boolean).join(' ');
      item.append(repo);
    }
    out.push(item);
    if (active.selection !== '') {
      const selection = el('div', 'ctx-item');
      selection.append(label('Selection'), code(active.selection));
      out.push(selection);
    }
  }
  const others = editor.visible.filter((l) => !editor.active || l.folder !== editor.active.folder || l.path !== editor.active.path);
  if (others.length > 0) {
    const list = el('ul', 'ctx-list');
    for (const location of others) {
      const li = el('li', 'ctx-item');
      li.append(locationButton(location, actions));
      list.append(li);
    }
    out.push(heading(`Also visible (${others.length})`), list);
  }
  if (editor.problems.length > 0 && editor.active) {
    const list = el('ul', 'ctx-list problems');
    for (const problem of editor.problems) list.append(problemItem(problem, editor.active, actions));
    out.push(heading(`Problems (${editor.problems.length})`), list);
  }
  return out;
}

function problemItem(problem: Problem, file: CodeLocation, actions: ViewActions): HTMLElement {
  const li = el('li', 'ctx-item problem');
  li.dataset['severity'] = problem.severity;
  const severity = el('span', 'problem-severity');
  severity.textContent = problem.severity;
  const message = el('span', 'problem-message');
  message.textContent = problem.source ? `${problem.message} (${problem.source})` : problem.message;
  li.append(severity, locationButton({ ...file, line: problem.line, column: problem.column }, actions), message);
  return li;
}

/** The debugger section's body. */
export function debugView(debug: DebugContext, host: string, actions: ViewActions, open: OpenVariables): HTMLElement[] {
  if (debug.sessions.length === 0) return [note(`No debug session is running in ${possessive(host)} VS Code.`)];
  return debug.sessions.map((session) => sessionView(session, actions, open));
}

/** What the state line says: "Paused on breakpoint", "Running". */
export function stateText(session: DebugSessionContext): string {
  if (session.state === 'running') return 'Running';
  return session.reason ? `Paused on ${session.reason}` : 'Paused';
}

function sessionView(session: DebugSessionContext, actions: ViewActions, open: OpenVariables): HTMLElement {
  const box = el('div', 'debug-session');
  box.dataset['state'] = session.state;
  const head = el('div', 'debug-head');
  const name = el('strong', 'debug-name');
  name.textContent = session.name;
  const state = el('span', 'debug-state');
  state.textContent = stateText(session);
  head.append(name, state);
  box.append(head);

  if (session.exception) {
    const item = el('div', 'ctx-item debug-exception');
    const row = el('div', 'ctx-row');
    row.append(label('Exception'), copyButton('Copy exception', session.exception, actions));
    item.append(row, code(session.exception));
    box.append(item);
  }

  if (session.frames.length > 0) {
    const row = el('div', 'ctx-row');
    const stack = session.frames.map((f) => (f.location ? `${f.name} (${f.location.path}:${f.location.line})` : f.name)).join('\n');
    row.append(heading('Call stack'), copyButton('Copy stack', stack, actions));
    const list = el('ol', 'ctx-list frames');
    for (const frame of session.frames) {
      const li = el('li', 'ctx-item frame');
      const frameName = el('span', 'frame-name');
      frameName.textContent = frame.name;
      li.append(frameName);
      if (frame.location) li.append(locationButton(frame.location, actions));
      list.append(li);
    }
    box.append(row, list);
  }

  if (session.variables.length > 0) {
    const tree = el('div', 'var-tree');
    tree.setAttribute('aria-label', 'Variables of the top frame');
    for (const v of session.variables) tree.append(variableNode(v, `${session.id}:${v.name}`, open));
    box.append(heading('Variables'), tree);
  } else if (session.state === 'stopped') {
    box.append(note('No variables in the top frame.'));
  }
  return box;
}

/** A variable: a details/summary when it has children (keyboard and screen readers know those), else a line. */
function variableNode(v: Variable, key: string, open: OpenVariables): HTMLElement {
  const line = el('span', 'var-line');
  const name = el('span', 'var-name');
  name.textContent = v.name;
  const value = el('span', 'var-value');
  value.textContent = v.value;
  line.append(name, document.createTextNode(': '), value);
  if (v.type) {
    const type = el('span', 'var-type');
    type.textContent = v.type;
    line.append(document.createTextNode(' '), type);
  }
  if (!v.children || v.children.length === 0) {
    const leaf = el('div', 'ctx-item var var-leaf');
    leaf.append(line);
    return leaf;
  }
  const details = el('details', 'ctx-item var');
  const summary = el('summary', 'var-summary');
  summary.append(line);
  const children = el('div', 'var-children');
  for (const child of v.children) children.append(variableNode(child, `${key}/${child.name}`, open));
  details.append(summary, children);
  details.open = open.has(key);
  details.addEventListener('toggle', () => {
    if (details.open) open.add(key);
    else open.delete(key);
  });
  return details;
}

/** The terminal section's body. */
export function terminalView(terminal: TerminalContext | null, host: string, actions: ViewActions): HTMLElement[] {
  if (!terminal) return [note(`No terminal is active in ${possessive(host)} VS Code.`)];
  const out: HTMLElement[] = [];
  const head = el('div', 'ctx-row');
  const name = el('strong', 'terminal-name');
  name.textContent = terminal.name;
  head.append(name);
  const all = terminal.commands.map((c) => `$ ${c.command}\n${c.output}`).join('\n');
  if (terminal.commands.length > 0) head.append(copyButton('Copy all output', all, actions));
  out.push(head);
  if (!terminal.shellIntegration) {
    out.push(note(`Shell integration is off in this terminal: ${possessive(host)} commands and their output cannot be read.`));
    return out;
  }
  if (terminal.commands.length === 0) {
    out.push(note('No command has run in this terminal yet.'));
    return out;
  }
  const list = el('ol', 'ctx-list commands');
  for (const command of terminal.commands) {
    const li = el('li', 'ctx-item command');
    const row = el('div', 'ctx-row');
    const line = el('code', 'command-line');
    line.textContent = `$ ${command.command}`;
    row.append(line);
    if (command.exitCode !== undefined) {
      const exit = el('span', 'command-exit');
      exit.dataset['ok'] = String(command.exitCode === 0);
      exit.textContent = `exit ${command.exitCode}`;
      row.append(exit);
    }
    row.append(copyButton('Copy output', command.output, actions));
    li.append(row);
    if (command.output !== '') li.append(code(command.output));
    list.append(li);
  }
  out.push(list);
  return out;
}

/** A file:line of the host's, as a link-like button: it opens the same file at that line here, if it is here. */
export function locationButton(location: CodeLocation, actions: ViewActions): HTMLButtonElement {
  const text = `${location.path}:${location.line}${location.column !== undefined ? `:${location.column}` : ''}`;
  const button = el('button', 'location-link');
  button.type = 'button';
  button.textContent = text;
  button.title = `Open here: ${location.folder}/${location.path}, line ${location.line}, in your own workspace`;
  button.setAttribute('aria-label', `${text}: open here`);
  button.addEventListener('click', () => actions.openHere(location));
  return button;
}

function copyButton(title: string, text: string, actions: ViewActions): HTMLButtonElement {
  const button = el('button', 'button secondary small copy');
  button.type = 'button';
  button.textContent = title;
  button.addEventListener('click', () => actions.copy(text, title));
  return button;
}

export function note(text: string): HTMLElement {
  const p = el('p', 'ctx-note');
  p.textContent = text;
  return p;
}

function heading(text: string): HTMLElement {
  const h = el('h3', 'ctx-heading');
  h.textContent = text;
  return h;
}

function label(text: string): HTMLElement {
  const span = el('span', 'ctx-label');
  span.textContent = text;
  return span;
}

function code(text: string): HTMLElement {
  const pre = el('pre', 'ctx-code');
  pre.textContent = text;
  return pre;
}

export function possessive(name: string): string {
  return `${name}'s`;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}
