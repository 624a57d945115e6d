/**
 * The host's chat view, its page (browser, in a VS Code webview view; no Node, no vscode): the conversation with
 * the helper, an input box and Send. Every text is set with `textContent`, never as markup, so a message is shown
 * as written and a link in it is only text. The extension side is src/chatView.ts; the messages both ways are in
 * src/shared/chatPage.ts.
 */

import type { ChatLabels, ChatLine, FromChatPage, ToChatPage } from '../shared/chatPage';

declare function acquireVsCodeApi(): { postMessage(message: FromChatPage): void };

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

const log = document.createElement('ol');
log.className = 'log';
log.setAttribute('role', 'log');
log.setAttribute('aria-live', 'polite');
log.tabIndex = 0;
const empty = document.createElement('p');
empty.className = 'empty';
const form = document.createElement('form');
form.className = 'compose';
const input = document.createElement('textarea');
input.rows = 2;
input.maxLength = 2000;
const send = document.createElement('button');
send.type = 'submit';
form.append(input, send);
app.append(log, empty, form);

let lines: ChatLine[] = [];
let labels: ChatLabels = { input: 'Message', send: 'Send', empty: '', noHelper: '' };
let canSend = false;

function item(line: ChatLine): HTMLLIElement {
  const li = document.createElement('li');
  li.className = line.from === 'me' ? 'line me' : 'line helper';
  const head = document.createElement('div');
  head.className = 'head';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = line.name;
  const time = document.createElement('time');
  time.textContent = new Date(line.time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  head.append(name, time);
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = line.text;
  li.append(head, text);
  return li;
}

function render(): void {
  log.replaceChildren(...lines.map(item));
  refresh();
}

function refresh(): void {
  empty.textContent = canSend ? labels.empty : labels.noHelper;
  empty.hidden = lines.length > 0 && canSend;
  input.placeholder = labels.input;
  input.setAttribute('aria-label', labels.input);
  input.disabled = !canSend;
  send.textContent = labels.send;
  send.disabled = !canSend;
  log.lastElementChild?.scrollIntoView({ block: 'end' });
}

function submit(): void {
  const text = input.value.trim();
  if (!text || !canSend) return;
  vscode.postMessage({ type: 'send', text });
  input.value = '';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit();
});
// Enter sends, Shift+Enter starts a new line (as in VS Code's own chat); not while an IME composes.
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  }
});

window.addEventListener('message', (event: MessageEvent<ToChatPage>) => {
  const message = event.data;
  if (typeof message !== 'object' || message === null) return;
  switch (message.type) {
    case 'lines':
      lines = [...message.lines];
      labels = message.labels;
      canSend = message.canSend;
      return render();
    case 'line':
      lines.push(message.line);
      log.append(item(message.line));
      return refresh();
    case 'canSend':
      canSend = message.canSend;
      return refresh();
  }
});

vscode.postMessage({ type: 'ready' });
