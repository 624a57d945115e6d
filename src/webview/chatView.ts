/**
 * The helper's panel (webview): chat with the host, in the context pane (issue 12). The conversation is text
 * (`textContent`: a link or markup in a message stays text), the input sends on Enter and breaks the line on
 * Shift+Enter, up to MAX_CHAT characters. It counts what arrives while nobody is looking, for the pane's badge.
 */

import { MAX_CHAT, chatText } from '../shared/context';
import { el } from './contextView';

export interface ChatActions {
  /** Sends the text to the host; false when the session cannot send now. */
  send(text: string): boolean;
  /** A message went or came: the extension's audit log counts it (never its text). */
  counted(direction: 'sent' | 'received'): void;
  /** A message arrived from the host. */
  received(): void;
}

/** Messages kept on the page: a host that floods the chat cannot grow it without bound. */
const MAX_KEPT = 300;

export class ChatView {
  readonly root: HTMLElement;
  private readonly log: HTMLOListElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private host = 'the host';
  private open = false;

  constructor(private readonly actions: ChatActions) {
    this.root = el('div', 'chat');
    this.log = el('ol', 'chat-log');
    this.log.id = 'chat-log';
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'polite');
    this.log.setAttribute('aria-label', 'Chat messages');

    const form = el('form', 'chat-form');
    this.input = el('textarea', 'chat-input');
    this.input.id = 'chat-input';
    this.input.rows = 2;
    this.input.maxLength = MAX_CHAT;
    this.input.spellcheck = true;
    this.sendButton = el('button', 'button primary small');
    this.sendButton.id = 'chat-send';
    this.sendButton.type = 'submit';
    this.sendButton.textContent = 'Send';
    this.status = el('span', 'chat-status');
    this.status.setAttribute('aria-live', 'polite');
    const row = el('div', 'chat-row');
    row.append(this.status, this.sendButton);
    form.append(this.input, row);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter is a new line; an IME's Enter ends its composition, it sends nothing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.showLength());
    this.root.append(this.log, form);
    this.setOpen(false);
  }

  /** Whether messages can go out (the session is viewing or controlling). */
  setOpen(open: boolean, host = this.host): void {
    this.open = open;
    this.host = host;
    this.input.disabled = !open;
    this.sendButton.disabled = !open;
    this.input.placeholder = open ? `Message ${host} (Enter sends, Shift+Enter: new line)` : 'The session is over: no more messages.';
    this.input.setAttribute('aria-label', `Message to ${host}`);
  }

  /** A message from the host. */
  receive(text: string): void {
    this.append('host', text);
    this.actions.counted('received');
    this.actions.received();
  }

  private send(): void {
    if (!this.open) return;
    const text = chatText(this.input.value);
    if (text === '') return;
    if (!this.actions.send(text)) {
      this.status.textContent = 'Not sent: the session cannot send messages now.';
      return;
    }
    this.append('you', text);
    this.actions.counted('sent');
    this.input.value = '';
    this.showLength();
  }

  private showLength(): void {
    const left = MAX_CHAT - this.input.value.length;
    this.status.textContent = left < 200 ? `${left} characters left` : '';
  }

  private append(from: 'host' | 'you', text: string): void {
    const item = el('li', 'ctx-item chat-message');
    item.dataset['from'] = from;
    const who = el('span', 'chat-from');
    who.textContent = from === 'you' ? 'You' : this.host;
    const time = el('span', 'chat-time');
    time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const body = el('div', 'chat-text');
    body.textContent = text;
    item.append(who, time, body);
    this.log.append(item);
    while (this.log.childElementCount > MAX_KEPT) this.log.firstElementChild?.remove();
    item.scrollIntoView({ block: 'nearest' });
  }
}
