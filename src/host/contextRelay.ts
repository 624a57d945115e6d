/**
 * What the host shares besides the screen, on its way to the helper (extension host, no `vscode`): the host's
 * switches (`Sharing`), the context updates the editor's collectors hand in, and the chat both ways. The host
 * session owns one relay and asks it nothing but to send; the relay decides what may go:
 * - context only for a kind that is switched on, only once the helper was allowed to view and told so
 *   (`viewGranted`), at most every `throttleMs` per kind (the last value wins), never over MAX_HOST_MESSAGE;
 * - a kind switched off is followed at once by its empty update, so the panel clears it, and nothing more of it;
 * - chat counted both ways for the audit, its text never recorded.
 */

import type { AuditEvent } from '../shared/audit';
import { CONTEXT_KINDS, NOTHING_SHARED, chatText, emptyUpdate, keepLast, type ContextKind, type ContextUpdate, type Sharing, type Variable } from '../shared/context';
import type { Logger } from '../shared/log';
import { MAX_HOST_MESSAGE, encodeMessage, type HostMessage } from '../shared/protocol';

/** Context of one kind goes at most this often: the panel redraws a pane per update, the editor fires per keystroke. */
export const CONTEXT_THROTTLE_MS = 250;

/** What the relay needs of the session. */
export interface RelayPort {
  readonly log: Logger;
  send(message: HostMessage): void;
  /** Whether the helper may be sent context and chat now: admitted, told `viewGranted`, the session not over. */
  open(): boolean;
  record(event: AuditEvent): void;
}

export interface Disposable {
  dispose(): void;
}

export class ContextRelay {
  private sharingValue: Sharing = NOTHING_SHARED;
  /** The last update handed in per shared kind, sent when the throttle allows (and again after `viewGranted`). */
  private readonly latest = new Map<ContextKind, ContextUpdate>();
  private readonly lastSent = new Map<ContextKind, number>();
  private readonly timers = new Map<ContextKind, ReturnType<typeof setTimeout>>();
  private readonly chatListeners = new Set<(text: string) => void>();
  private chatSent = 0;
  private chatReceived = 0;

  constructor(
    private readonly port: RelayPort,
    private readonly throttleMs = CONTEXT_THROTTLE_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get sharing(): Sharing {
    return this.sharingValue;
  }

  /** Chat messages so far, for the audit's `ended` event. */
  get counts(): { readonly chatSent: number; readonly chatReceived: number } {
    return { chatSent: this.chatSent, chatReceived: this.chatReceived };
  }

  /** The host changed its switches: a kind turned off is cleared on the panel and forgotten here. */
  setSharing(sharing: Sharing): void {
    const before = this.sharingValue;
    this.sharingValue = { editor: sharing.editor, debug: sharing.debug, terminal: sharing.terminal };
    if (CONTEXT_KINDS.every((k) => before[k] === this.sharingValue[k])) return;
    this.port.record({ event: 'sharing', ...this.sharingValue });
    this.port.log.info(`sharing: ${CONTEXT_KINDS.filter((k) => this.sharingValue[k]).join(', ') || 'nothing'} besides the screen`);
    for (const kind of CONTEXT_KINDS) {
      if (this.sharingValue[kind] || !before[kind]) continue;
      this.cancel(kind);
      this.latest.delete(kind);
      if (this.port.open()) this.port.send({ type: 'context', update: emptyUpdate(kind) });
    }
    if (this.port.open()) this.port.send({ type: 'sharing', sharing: this.sharingValue });
  }

  /** The collectors' latest of one kind: dropped unless that kind is shared; sent when the throttle allows. */
  share(update: ContextUpdate): void {
    if (!this.sharingValue[update.kind]) return;
    this.latest.set(update.kind, update);
    this.schedule(update.kind);
  }

  /** The helper was just told `viewGranted`: it learns the switches, and what is shared already follows. */
  viewGranted(): void {
    this.port.send({ type: 'sharing', sharing: this.sharingValue });
    for (const kind of this.latest.keys()) this.schedule(kind);
  }

  /** Sends a chat message to the helper; false when there is nothing to send or no helper to send it to. */
  sendChat(text: string): boolean {
    const clean = chatText(text);
    if (!clean || !this.port.open()) return false;
    this.port.send({ type: 'chat', text: clean });
    this.chatSent++;
    return true;
  }

  /** Listens for the helper's chat messages (checked by the parser and the guard before they get here). */
  onChat(listener: (text: string) => void): Disposable {
    this.chatListeners.add(listener);
    return { dispose: () => void this.chatListeners.delete(listener) };
  }

  /** A chat message from the admitted helper. */
  received(text: string): void {
    this.chatReceived++;
    for (const listener of [...this.chatListeners]) {
      try {
        listener(text);
      } catch (error) {
        this.port.log.error(`a chat listener failed: ${String(error)}`);
      }
    }
  }

  dispose(): void {
    for (const kind of CONTEXT_KINDS) this.cancel(kind);
    this.latest.clear();
    this.chatListeners.clear();
  }

  private schedule(kind: ContextKind): void {
    if (this.timers.has(kind) || !this.port.open()) return;
    const wait = (this.lastSent.get(kind) ?? -Infinity) + this.throttleMs - this.now();
    if (wait <= 0) return this.flush(kind);
    const timer = setTimeout(() => {
      this.timers.delete(kind);
      this.flush(kind);
    }, wait);
    timer.unref?.();
    this.timers.set(kind, timer);
  }

  private flush(kind: ContextKind): void {
    const update = this.latest.get(kind);
    if (!update || !this.sharingValue[kind] || !this.port.open()) return;
    this.lastSent.set(kind, this.now());
    this.port.send({ type: 'context', update: fitUpdate(update) });
  }

  private cancel(kind: ContextKind): void {
    const timer = this.timers.get(kind);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(kind);
  }
}

/**
 * An update that fits in one host message (MAX_HOST_MESSAGE, with JSON's escapes): the collectors bound every
 * field, but all bounds at once can exceed it. Trimmed from the least useful end: the oldest commands and the
 * start of their output, nested variables, then the last variables, frames, sessions, problems and visible
 * editors, then the selection. If nothing helps, the empty update: nothing over the limit is ever sent.
 */
export function fitUpdate(update: ContextUpdate, max: number = MAX_HOST_MESSAGE): ContextUpdate {
  const fits = (u: ContextUpdate) => encodeMessage({ type: 'context', update: u }).length <= max;
  let current = update;
  for (let i = 0; i < 64 && !fits(current); i++) {
    const next = shrink(current);
    if (!next) break;
    current = next;
  }
  return fits(current) ? current : emptyUpdate(update.kind);
}

/** One step smaller, or undefined when there is nothing left to take. */
function shrink(update: ContextUpdate): ContextUpdate | undefined {
  switch (update.kind) {
    case 'terminal': {
      const t = update.terminal;
      if (!t || t.commands.length === 0) return undefined;
      if (t.commands.length > 1) return { kind: 'terminal', terminal: { ...t, commands: t.commands.slice(1) } };
      const only = t.commands[0]!;
      if (only.output.length === 0) return undefined;
      return { kind: 'terminal', terminal: { ...t, commands: [{ ...only, output: keepLast(only.output, Math.floor(only.output.length / 2)) }] } };
    }
    case 'debug': {
      const sessions = update.debug.sessions;
      const nested = sessions.some((s) => s.variables.some((v) => v.children));
      if (nested) return { kind: 'debug', debug: { sessions: sessions.map((s) => ({ ...s, variables: s.variables.map(flat) })) } };
      const widest = sessions.reduce((a, s, i) => (s.variables.length + s.frames.length > a.size ? { i, size: s.variables.length + s.frames.length } : a), { i: -1, size: 0 });
      if (widest.i >= 0) {
        const s = sessions[widest.i]!;
        const halved = s.variables.length > 0 ? { ...s, variables: s.variables.slice(0, s.variables.length >> 1) } : { ...s, frames: s.frames.slice(0, s.frames.length >> 1) };
        return { kind: 'debug', debug: { sessions: sessions.map((x, i) => (i === widest.i ? halved : x)) } };
      }
      return sessions.length > 0 ? { kind: 'debug', debug: { sessions: sessions.slice(0, -1) } } : undefined;
    }
    case 'editor': {
      const e = update.editor;
      if (!e) return undefined;
      if (e.problems.length > 0) return { kind: 'editor', editor: { ...e, problems: e.problems.slice(0, e.problems.length >> 1) } };
      if (e.visible.length > 0) return { kind: 'editor', editor: { ...e, visible: e.visible.slice(0, e.visible.length >> 1) } };
      if (e.active && e.active.selection.length > 0) return { kind: 'editor', editor: { ...e, active: { ...e.active, selection: e.active.selection.slice(0, e.active.selection.length >> 1) } } };
      return undefined;
    }
  }
}

function flat(v: Variable): Variable {
  const { children: _children, ...rest } = v;
  return rest;
}
