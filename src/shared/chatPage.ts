/**
 * The host's chat view and its page (src/chatView.ts <-> src/webview/hostChat.ts), both pure types and checks:
 * one union per direction, as panelProtocol.ts is for the helper's panel. The page is a webview: what it posts is
 * checked like any message from outside.
 */

/** One line of the conversation as the page shows it (as text, never markup). */
export interface ChatLine {
  /** Who wrote it: the host itself, or the helper. */
  readonly from: 'me' | 'helper';
  /** The helper's name (cleaned by the protocol), or the host's own label. */
  readonly name: string;
  readonly text: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** From the view to its page. */
export type ToChatPage =
  /** The whole conversation (after the page said `ready`, and when a session starts). */
  | { readonly type: 'lines'; readonly lines: readonly ChatLine[]; readonly canSend: boolean; readonly labels: ChatLabels }
  /** One more line. */
  | { readonly type: 'line'; readonly line: ChatLine }
  /** Whether there is a helper to send to. */
  | { readonly type: 'canSend'; readonly canSend: boolean };

/** The page's words, translated on the extension's side (the page has no l10n of its own). */
export interface ChatLabels {
  readonly input: string;
  readonly send: string;
  readonly empty: string;
  readonly noHelper: string;
}

/** From the page to its view. */
export type FromChatPage =
  /** The page is loaded and listening. */
  | { readonly type: 'ready' }
  /** The host wants to send this. */
  | { readonly type: 'send'; readonly text: string };

/** Checks a message from the page: own fields only, chat text as the wire allows it. */
export function parseFromChatPage(data: unknown): FromChatPage | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const m = Object.assign(Object.create(null) as Record<string, unknown>, data);
  if (m['type'] === 'ready') return { type: 'ready' };
  if (m['type'] === 'send' && typeof m['text'] === 'string' && m['text'].length <= 10_000) return { type: 'send', text: m['text'] };
  return undefined;
}
