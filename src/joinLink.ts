/**
 * The one-click join link: `<scheme>://remote-assist.remote-assist/join?code=7KQ2M-…`, opened by the helper's
 * editor through its URI handler (extension.ts). It carries the code and nothing else: the signaling settings
 * would have to be shown and checked as the invitation file's are, and a link is pasted into chats where anyone
 * may rewrite it, so a helper on other settings uses the invitation file instead.
 *
 * Everything in a link that reaches the editor is hostile (any web page can open a `vscode://` URI): the path and
 * the query are checked here, and nothing of them is handed back to be shown.
 *
 * No vscode import: unit-tested with node:test.
 */

import { decodeInvitation } from './shared/invitation';

export const JOIN_PATH = '/join';
/** Longer queries are refused unread: a code with its dashes is 35 characters. */
const MAX_QUERY = 200;

export type JoinLinkResult =
  | { readonly ok: true; readonly code: string }
  /** Nothing of the link comes back: the caller words the reason (extension.ts, translated). */
  | { readonly ok: false; readonly reason: JoinLinkRefusal };

/** `path`: not a join link; `query`: parameters other than one code, or too long; `code`: not a valid code. */
export type JoinLinkRefusal = 'path' | 'query' | 'code';

/**
 * The link for an invitation code. `scheme` is the running editor's (`vscode.env.uriScheme`: `vscode`,
 * `vscode-insiders`, a fork's own), `extensionId` this extension's (`publisher.name`), which VS Code routes on.
 */
export function makeJoinLink(scheme: string, extensionId: string, code: string): string {
  if (!/^[a-z][a-z0-9+.-]*$/i.test(scheme)) throw new Error('The editor has no URI scheme for a join link.');
  const decoded = decodeInvitation(code);
  if (!decoded.ok) throw new Error('There is no valid invitation code to put in a join link.');
  return `${scheme}://${extensionId.toLowerCase()}${JOIN_PATH}?code=${decoded.code}`;
}

/**
 * Reads a link's path and query (as `vscode.Uri` gives them, already percent-decoded). Only `code` is accepted,
 * once; any other parameter makes the link invalid rather than silently ignored, so that nobody is led to think a
 * link set a server or a name.
 */
export function parseJoinLink(path: string, query: string): JoinLinkResult {
  if (path !== JOIN_PATH && path !== `${JOIN_PATH}/`) {
    return { ok: false, reason: 'path' };
  }
  if (query.length > MAX_QUERY) return { ok: false, reason: 'query' };
  const params = new URLSearchParams(query);
  const keys = [...params.keys()];
  if (keys.length !== 1 || keys[0] !== 'code') {
    return { ok: false, reason: 'query' };
  }
  const decoded = decodeInvitation(params.get('code') ?? '');
  // decodeInvitation's message may quote a character of the link: only the reason goes back.
  if (!decoded.ok) return { ok: false, reason: 'code' };
  return { ok: true, code: decoded.code };
}
