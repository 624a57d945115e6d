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
      // Only the frame that hosts the panel speaks for the extension: VS Code's webview host posts into the
      // panel's frame from its parent frame (and the test page, a top-level page, posts to itself, its own
      // parent). Anything else (a frame the page opened, another window) is not the extension.
      if (event.source !== window.parent) {
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
