/**
 * The helper's panel (webview): the context pane beside the host's screen (issue 12): what the host shares of its
 * editor, debugger and terminal, and the chat. Collapsible from a toolbar toggle (with a badge for unread
 * messages), resizable with a drag handle or the arrow keys, searchable (matches highlighted with <mark> elements
 * made from text nodes, items without a match filtered out). It appears only once the host has let the helper in.
 *
 * The screen's canvas keeps its own box in the stage beside the pane: display.ts sizes it per view mode and input.ts
 * maps through its `getBoundingClientRect`, so resizing the pane leaves pointer mapping exact.
 */

import type { CodeLocation, ContextKind, ContextUpdate, Sharing } from '../shared/context';
import { NOTHING_SHARED } from '../shared/context';
import type { HelperState } from '../shared/stateMachine';
import { ChatView } from './chatView';
import { type OpenVariables, type ViewActions, debugView, editorView, el, note, terminalView } from './contextView';
import { queryPattern, splitMatches } from './textSearch';

export interface PaneActions {
  openHere(location: CodeLocation): void;
  copy(text: string): void;
  sendChat(text: string): boolean;
  chatCounted(direction: 'sent' | 'received'): void;
}

const MIN_WIDTH = 220;
/** The screen keeps at least this much of the panel's width. */
const MIN_STAGE = 160;
const DEFAULT_WIDTH = 360;
const KEY_STEP = 16;
/** Updates of a kind that arrive closer than this are drawn once (the last one). */
const RENDER_DELAY_MS = 50;

const TITLES: Record<ContextKind, string> = { editor: 'Editor', debug: 'Debugger', terminal: 'Terminal' };

export class ContextPane {
  readonly toggle: HTMLButtonElement;
  private readonly badge: HTMLElement;
  private readonly resizer: HTMLElement;
  private readonly pane: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly searchCount: HTMLElement;
  private readonly content: HTMLElement;
  private readonly bodies: Record<ContextKind, HTMLElement>;
  private readonly chat: ChatView;
  private readonly view: ViewActions;
  private readonly openVariables: OpenVariables = new Set();
  private sharing: Sharing = NOTHING_SHARED;
  private readonly latest: { editor: Extract<ContextUpdate, { kind: 'editor' }>['editor']; debug: Extract<ContextUpdate, { kind: 'debug' }>['debug']; terminal: Extract<ContextUpdate, { kind: 'terminal' }>['terminal'] } = {
    editor: null,
    debug: { sessions: [] },
    terminal: null,
  };
  private readonly dirty = new Set<ContextKind>();
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private host = 'the host';
  private expanded = false;
  private unread = 0;
  private width = DEFAULT_WIDTH;

  constructor(
    private readonly body: HTMLElement,
    actions: PaneActions,
    private readonly log: (message: string) => void,
  ) {
    this.view = {
      openHere: (location) => actions.openHere(location),
      copy: (text, what) => {
        actions.copy(text);
        this.searchCount.textContent = `${what}: copied`;
      },
    };

    this.toggle = el('button', 'button secondary toggle context-toggle');
    this.toggle.id = 'context-toggle';
    this.toggle.type = 'button';
    this.toggle.setAttribute('aria-controls', 'context-pane');
    const label = el('span', '');
    label.textContent = '☰ Context';
    this.badge = el('span', 'badge');
    this.badge.id = 'chat-badge';
    this.toggle.append(label, this.badge);
    this.toggle.addEventListener('click', () => this.setExpanded(!this.expanded));

    this.resizer = el('div', 'pane-resizer');
    this.resizer.id = 'pane-resizer';
    this.resizer.tabIndex = 0;
    this.resizer.setAttribute('role', 'separator');
    this.resizer.setAttribute('aria-orientation', 'vertical');
    this.resizer.setAttribute('aria-controls', 'context-pane');
    this.resizer.setAttribute('aria-label', 'Resize the context pane (Left and Right arrows)');
    this.listenResize();

    this.pane = el('aside', 'context-pane');
    this.pane.id = 'context-pane';
    this.pane.setAttribute('aria-label', 'Shared context and chat');
    const searchRow = el('div', 'pane-search');
    this.search = el('input', 'search-input');
    this.search.id = 'context-search';
    this.search.type = 'search';
    this.search.placeholder = 'Search';
    this.search.setAttribute('aria-label', 'Search the shared context and the chat');
    this.searchCount = el('span', 'search-count');
    this.searchCount.id = 'search-count';
    this.searchCount.setAttribute('aria-live', 'polite');
    searchRow.append(this.search, this.searchCount);
    this.search.addEventListener('input', () => this.applySearch());
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.nextMatch(e.shiftKey ? -1 : 1);
      else if (e.key === 'Escape' && this.search.value !== '') {
        e.stopPropagation();
        this.search.value = '';
        this.applySearch();
      }
    });

    this.content = el('div', 'pane-content');
    const section = (id: string, title: string): [HTMLElement, HTMLElement] => {
      const box = el('section', 'ctx-section');
      box.id = id;
      const h = el('h2', 'ctx-title');
      h.textContent = title;
      h.id = `${id}-title`;
      box.setAttribute('aria-labelledby', h.id);
      const inner = el('div', 'ctx-body');
      box.append(h, inner);
      this.content.append(box);
      return [box, inner];
    };
    this.bodies = {
      editor: section('ctx-editor', TITLES.editor)[1],
      debug: section('ctx-debug', TITLES.debug)[1],
      terminal: section('ctx-terminal', TITLES.terminal)[1],
    };
    this.chat = new ChatView({
      send: (text) => actions.sendChat(text),
      counted: (direction) => actions.chatCounted(direction),
      received: () => this.onChatReceived(),
    });
    section('ctx-chat', 'Chat')[1].append(this.chat.root);
    this.pane.append(searchRow, this.content);
    body.append(this.resizer, this.pane);

    this.toggle.hidden = true;
    this.setExpanded(false);
    this.setWidth(DEFAULT_WIDTH);
    for (const kind of ['editor', 'debug', 'terminal'] as const) this.dirty.add(kind);
    this.render();
  }

  /** Follows the session: the pane is offered once the host has let the helper in, and stays for reading after. */
  setState(state: HelperState): void {
    const seeing = state.kind === 'viewing' || state.kind === 'requestingControl' || state.kind === 'controlling';
    if ('hostName' in state && state.hostName && state.hostName !== this.host) {
      this.host = state.hostName;
      for (const kind of ['editor', 'debug', 'terminal'] as const) this.dirty.add(kind);
      this.scheduleRender();
    }
    if (seeing) this.toggle.hidden = false;
    this.chat.setOpen(seeing, this.host);
  }

  setSharing(sharing: Sharing): void {
    for (const kind of ['editor', 'debug', 'terminal'] as const) {
      if (sharing[kind] !== this.sharing[kind]) this.dirty.add(kind);
      // A kind switched off is forgotten at once, whether or not its empty update follows.
      if (!sharing[kind]) this.clear(kind);
    }
    this.sharing = sharing;
    this.scheduleRender();
  }

  update(update: ContextUpdate): void {
    if (!this.sharing[update.kind]) {
      this.log(`[pane] ${update.kind} context while it is not shared: ignored`);
      return;
    }
    switch (update.kind) {
      case 'editor':
        this.latest.editor = update.editor;
        break;
      case 'debug':
        this.latest.debug = update.debug;
        break;
      case 'terminal':
        this.latest.terminal = update.terminal;
        break;
    }
    this.dirty.add(update.kind);
    this.scheduleRender();
  }

  receiveChat(text: string): void {
    this.chat.receive(text);
  }

  dispose(): void {
    if (this.renderTimer !== undefined) clearTimeout(this.renderTimer);
  }

  // --- Rendering ---

  private clear(kind: ContextKind): void {
    if (kind === 'editor') this.latest.editor = null;
    else if (kind === 'debug') this.latest.debug = { sessions: [] };
    else this.latest.terminal = null;
  }

  private scheduleRender(): void {
    if (this.renderTimer !== undefined) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.render();
    }, RENDER_DELAY_MS);
  }

  private render(): void {
    for (const kind of this.dirty) {
      const body = this.bodies[kind];
      body.parentElement!.dataset['shared'] = String(this.sharing[kind]);
      try {
        body.replaceChildren(...this.sectionNodes(kind));
      } catch (error) {
        this.log(`[pane] ${kind} could not be shown: ${String(error)}`);
        body.replaceChildren(note(`${TITLES[kind]}: what ${this.host} sent could not be shown.`));
      }
    }
    this.dirty.clear();
    this.applySearch();
  }

  private sectionNodes(kind: ContextKind): HTMLElement[] {
    if (!this.sharing[kind]) {
      const off = note(`Not shared by ${this.host}.`);
      off.classList.add('ctx-off');
      return [off];
    }
    switch (kind) {
      case 'editor':
        return editorView(this.latest.editor, this.host, this.view);
      case 'debug':
        return debugView(this.latest.debug, this.host, this.view, this.openVariables);
      case 'terminal':
        return terminalView(this.latest.terminal, this.host, this.view);
    }
  }

  // --- Search: text nodes split around the matches, never markup ---

  private applySearch(): void {
    for (const mark of Array.from(this.content.querySelectorAll('mark.search-hit'))) {
      const parent = mark.parentNode;
      mark.replaceWith(document.createTextNode(mark.textContent ?? ''));
      parent?.normalize();
    }
    for (const item of Array.from(this.content.querySelectorAll('.filtered-out'))) item.classList.remove('filtered-out');
    const query = this.search.value;
    if (!queryPattern(query)) {
      this.searchCount.textContent = '';
      return;
    }
    const walker = document.createTreeWalker(this.content, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement?.closest('form, .ctx-title') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const texts: Text[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
    let count = 0;
    for (const text of texts) {
      const segments = splitMatches(text.data, query);
      if (!segments.some((s) => s.match)) continue;
      const fragment = document.createDocumentFragment();
      for (const segment of segments) {
        if (!segment.match) {
          fragment.append(document.createTextNode(segment.text));
          continue;
        }
        const mark = el('mark', 'search-hit');
        mark.textContent = segment.text;
        fragment.append(mark);
        count++;
      }
      text.replaceWith(fragment);
    }
    for (const mark of Array.from(this.content.querySelectorAll('mark.search-hit'))) {
      for (let d = mark.parentElement?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
    }
    for (const item of Array.from(this.content.querySelectorAll('.ctx-item'))) {
      if (!item.querySelector('mark.search-hit')) item.classList.add('filtered-out');
    }
    this.searchCount.textContent = count === 0 ? 'No matches' : count === 1 ? '1 match' : `${count} matches`;
  }

  private nextMatch(step: 1 | -1): void {
    const marks = Array.from(this.content.querySelectorAll<HTMLElement>('mark.search-hit'));
    if (marks.length === 0) return;
    const current = marks.findIndex((m) => m.classList.contains('current'));
    marks[current]?.classList.remove('current');
    const next = marks[(current + step + marks.length) % marks.length]!;
    next.classList.add('current');
    next.scrollIntoView({ block: 'nearest' });
  }

  // --- Collapse, unread badge, width ---

  private setExpanded(expanded: boolean): void {
    this.expanded = expanded;
    this.pane.hidden = !expanded;
    this.resizer.hidden = !expanded;
    this.toggle.setAttribute('aria-expanded', String(expanded));
    this.toggle.title = expanded ? 'Hide the shared context and chat' : 'Show the shared context and chat';
    if (expanded) this.unread = 0;
    this.showBadge();
  }

  private onChatReceived(): void {
    if (this.expanded) return;
    this.unread++;
    this.showBadge();
  }

  private showBadge(): void {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = this.unread > 99 ? '99+' : String(this.unread);
    this.toggle.setAttribute('aria-label', this.unread === 0 ? 'Context' : `Context, ${this.unread} unread chat ${this.unread === 1 ? 'message' : 'messages'}`);
  }

  private maxWidth(): number {
    return Math.max(MIN_WIDTH, this.body.clientWidth - MIN_STAGE);
  }

  private setWidth(width: number): void {
    this.width = Math.round(Math.min(Math.max(width, MIN_WIDTH), this.maxWidth()));
    this.pane.style.setProperty('--pane-width', `${this.width}px`);
    this.resizer.setAttribute('aria-valuenow', String(this.width));
    this.resizer.setAttribute('aria-valuemin', String(MIN_WIDTH));
    this.resizer.setAttribute('aria-valuemax', String(this.maxWidth()));
  }

  private listenResize(): void {
    let drag: { pointerId: number; x: number; width: number } | undefined;
    this.resizer.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      drag = { pointerId: e.pointerId, x: e.clientX, width: this.width };
      this.resizer.setPointerCapture(e.pointerId);
      this.resizer.classList.add('dragging');
    });
    this.resizer.addEventListener('pointermove', (e) => {
      // The pane is on the right: moving the handle left widens it.
      if (drag && e.pointerId === drag.pointerId) this.setWidth(drag.width + (drag.x - e.clientX));
    });
    const stop = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.pointerId) return;
      drag = undefined;
      this.resizer.classList.remove('dragging');
    };
    this.resizer.addEventListener('pointerup', stop);
    this.resizer.addEventListener('pointercancel', stop);
    this.resizer.addEventListener('lostpointercapture', stop);
    this.resizer.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? KEY_STEP * 4 : KEY_STEP;
      const widths: Record<string, number> = { ArrowLeft: this.width + step, ArrowRight: this.width - step, Home: MIN_WIDTH, End: this.maxWidth() };
      const next = widths[e.key];
      if (next === undefined) return;
      e.preventDefault();
      this.setWidth(next);
    });
    window.addEventListener('resize', () => this.setWidth(this.width));
  }
}
