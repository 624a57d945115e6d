/**
 * The host's chat with its helper (extension host): a webview view in the panel area (package.json
 * `viewsContainers.panel`), with the conversation, an input box and Send. The page (src/webview/hostChat.ts) shows
 * every text as text; this class keeps the conversation for the session only, and when the view is not visible
 * tells the host of a new message with a notification whose text cannot form a link.
 */

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { CHAT_VIEW_ID } from './config';
import { parseFromChatPage, type ChatLine, type ToChatPage } from './shared/chatPage';
import { chatText } from './shared/context';
import { plainText } from './text';
import { webviewPage } from './webviewPage';

/** Lines kept per session; the oldest go first (a helper at 1 message a second for hours stays bounded). */
const MAX_LINES = 500;
/** Characters of a new message shown in its notification. */
const PREVIEW = 80;

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private lines: ChatLine[] = [];
  private canSend = false;
  private send: ((text: string) => boolean) | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this));
  }

  /** A new session: an empty conversation, and where the host's messages go. */
  startSession(send: (text: string) => boolean): void {
    this.lines = [];
    this.send = send;
    this.setCanSend(false);
    this.postAll();
  }

  /** Whether a helper can be written to now (admitted and seeing the screen). */
  setCanSend(canSend: boolean): void {
    this.canSend = canSend;
    this.post({ type: 'canSend', canSend });
  }

  /** The session is over: nothing more can be sent; the conversation stays until the next one starts. */
  endSession(): void {
    this.send = undefined;
    this.setCanSend(false);
  }

  /** A message from the helper (checked by the protocol): shown, and announced if the view is out of sight. */
  received(helperName: string, text: string): void {
    this.add({ from: 'helper', name: helperName, text, time: Date.now() });
    if (this.view?.visible) return;
    const open = vscode.l10n.t('Open Chat');
    // Both parts come from the peer: plainText leaves nothing that makes a link.
    void vscode.window.showInformationMessage(vscode.l10n.t('{0}: {1}', plainText(helperName, 100), plainText(text, PREVIEW)), open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = html(view.webview, dist, media);
    this.disposables.push(
      view.webview.onDidReceiveMessage((data: unknown) => this.onMessage(data)),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
      }),
    );
  }

  private onMessage(data: unknown): void {
    const message = parseFromChatPage(data);
    if (!message) return this.log.warn('[chat] dropped a malformed message from the chat view');
    switch (message.type) {
      case 'ready':
        this.ready = true;
        return this.postAll();
      case 'send': {
        // The line shown is the text as it went (the relay cleans it the same way).
        if (this.send?.(message.text)) this.add({ from: 'me', name: vscode.l10n.t('You'), text: chatText(message.text), time: Date.now() });
        return;
      }
    }
  }

  private add(line: ChatLine): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    this.post({ type: 'line', line });
  }

  private postAll(): void {
    this.post({
      type: 'lines',
      lines: this.lines,
      canSend: this.canSend,
      labels: {
        input: vscode.l10n.t('Message to your helper'),
        send: vscode.l10n.t('Send'),
        empty: vscode.l10n.t('No messages yet. Messages are kept for this session only.'),
        noHelper: vscode.l10n.t('Chat opens once your helper sees your screen.'),
      },
    });
  }

  private post(message: ToChatPage): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The page: its script and style by nonce and from the extension only; nothing else may load. */
function html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'hostChat.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'hostChat.css'));
  return webviewPage({
    csp: ["default-src 'none'", `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`],
    nonce,
    styleUri: style.toString(),
    scriptUri: script.toString(),
    title: 'Remote Assist Chat',
    body: '<div id="app"></div>',
  });
}
