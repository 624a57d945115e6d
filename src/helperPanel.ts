/**
 * The helper's webview panel: the VS Code sample's shape, with a `ready` handshake before anything is posted.
 * The page runs the helper's session (src/webview); this class builds its HTML and Content-Security-Policy,
 * relays `ToPanel` messages to it and checks every `FromPanel` message that comes back.
 */

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { parseFromPanel, type FromPanel, type ToPanel } from './shared/panelProtocol';
import { checkSignaling } from './shared/settings';
import type { HelperState } from './shared/stateMachine';
import { assertNever } from './shared/protocol';
import { plainText } from './text';
import { webviewPage } from './webviewPage';

/** What the panel asks of the extension for the shared context and chat (issue 12): helperController.ts answers. */
export type PanelRequest = Extract<FromPanel, { type: 'openHere' | 'copy' | 'chatCount' | 'readClipboard' | 'clipboardSent' | 'hostClipboard' }>;

/** The helper's webview panel: the VS Code sample's shape, with a `ready` handshake before anything is posted. */
export class HelperPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private readonly pending: ToPanel[] = [];
  private readonly stateListeners: ((state: HelperState, verificationCode: string | undefined) => void)[] = [];
  private readonly disposeListeners: (() => void)[] = [];
  private readonly requestListeners: ((request: PanelRequest) => void)[] = [];
  private disposed = false;

  constructor(context: vscode.ExtensionContext, connect: ToPanel & { type: 'connect' }, hostName: string | undefined, private readonly log: vscode.LogOutputChannel) {
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(context.extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('remoteAssist.helper', hostName ? vscode.l10n.t('Remote Assist: {0}', plainText(hostName, 100)) : vscode.l10n.t('Remote Assist'), vscode.ViewColumn.Active, {
      enableScripts: true,
      // The connection lives in the page: it must survive the tab being hidden.
      retainContextWhenHidden: true,
      localResourceRoots: [dist, media],
    });
    try {
      this.panel.webview.html = html(this.panel.webview, dist, media, connect.signaling);
    } catch (error) {
      // No page without a valid signaling server: no panel either.
      this.panel.dispose();
      throw error;
    }
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((data: unknown) => this.onMessage(data)),
      this.panel.onDidDispose(() => this.dispose()),
    );
    this.post(connect);
  }

  post(message: ToPanel): void {
    if (this.disposed) return;
    if (!this.ready) {
      this.pending.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  onState(listener: (state: HelperState, verificationCode: string | undefined) => void): void {
    this.stateListeners.push(listener);
  }

  onRequest(listener: (request: PanelRequest) => void): void {
    this.requestListeners.push(listener);
  }

  onDispose(listener: () => void): void {
    this.disposeListeners.push(listener);
  }

  private onMessage(data: unknown): void {
    const message = parseFromPanel(data);
    if (!message) {
      this.log.warn('[panel] dropped a malformed message from the panel');
      return;
    }
    switch (message.type) {
      case 'ready':
        if (this.ready) return;
        this.ready = true;
        for (const m of this.pending.splice(0)) void this.panel.webview.postMessage(m);
        return;
      case 'state':
        if (message.state.kind === 'viewing' || message.state.kind === 'controlling' || message.state.kind === 'waitingForConsent') {
          this.panel.title = vscode.l10n.t('Remote Assist: {0}', plainText(message.state.hostName, 100));
        }
        for (const l of this.stateListeners) l(message.state, message.verificationCode);
        return;
      case 'log':
        this.log[message.level](`[panel] ${message.message}`);
        return;
      case 'openHere':
      case 'copy':
      case 'chatCount':
      case 'readClipboard':
      case 'clipboardSent':
      case 'hostClipboard':
        for (const l of this.requestListeners) l(message);
        return;
      default:
        assertNever(message);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const l of this.disposeListeners.splice(0)) l();
  }
}

/**
 * The panel's page. Its Content-Security-Policy names the signaling server, so the server is checked again here,
 * with the validator every other reader uses: a host is then only letters, digits, dots, hyphens or a bracketed
 * IPv6 address, and cannot end the directive or add one (`; frame-src …`).
 */
function html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri, settings: unknown): string {
  const checked = checkSignaling(settings);
  if (!checked.ok) throw new Error(vscode.l10n.t("The signaling server's {0} {1}.", checked.field || 'settings', checked.problem));
  const signaling = checked.value;
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css'));
  const origin = `${signaling.host}:${signaling.port}`;
  // Connections only to the signaling server the invitation names (WebRTC itself is not governed by CSP).
  const connect = signaling.secure ? `https://${origin} wss://${origin}` : `http://${origin} ws://${origin}`;
  return webviewPage({
    csp: [
      "default-src 'none'",
      'img-src blob: data:',
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `connect-src ${connect}`,
    ],
    nonce,
    styleUri: style.toString(),
    scriptUri: script.toString(),
    title: 'Remote Assist',
    body: '<div id="app"></div>',
  });
}
