/**
 * The panel's side of the extension <-> webview channel: posting `FromPanel` messages through VS Code's
 * webview API, and checking every `ToPanel` message before anything acts on it (the panel trusts the
 * extension's messages no more than the extension trusts the panel's).
 */

import { parseToPanel, type FromPanel, type ToPanel } from '../shared/panelProtocol';

/** What `acquireVsCodeApi()` gives a webview script (only the part the panel uses). */
interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export type LogLevel = Extract<FromPanel, { type: 'log' }>['level'];

export class ExtensionBridge {
  private readonly api: VsCodeApi;

  constructor() {
    // acquireVsCodeApi may be called once per page load: this object is the only caller.
    this.api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage: () => undefined };
  }

  post(message: FromPanel): void {
    this.api.postMessage(message);
  }

  log(level: LogLevel, message: string): void {
    this.post({ type: 'log', level, message });
  }

  /** Calls `handler` with every well-formed message from the extension; returns the unsubscribe function. */
  onMessage(handler: (message: ToPanel) => void, onMalformed: (data: unknown) => void): () => void {
    const listener = (event: MessageEvent<unknown>) => {
      // Only the webview host speaks for the extension, and it is of the panel's own origin: VS Code serves the
      // panel's frame and the frame that forwards the extension's messages into it from one webview origin
      // (vscode-webview://…, or the server's own origin in code-server). `event.source` is no test: seen in
      // code-server 1.100, the forwarding frame is neither window.parent nor window.top from in here. A frame of
      // any other origin (one the CSP would have to let in first) is not the extension.
      if (event.origin !== window.origin) {
        onMalformed(event.data);
        return;
      }
      const message = parseToPanel(event.data);
      if (message) handler(message);
      else onMalformed(event.data);
    };
    window.addEventListener('message', listener);
    return () => window.removeEventListener('message', listener);
  }
}
