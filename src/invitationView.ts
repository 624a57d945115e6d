/**
 * The page of the `.remoteassist` custom editor (invitationEditor.ts): the invitation's details and a Join button.
 * Every value shown comes from the file, so everything, our own words included, is HTML-escaped here, and the
 * page may run only its own script (a nonce) and load only the editor's stylesheet.
 *
 * No vscode import: unit-tested with node:test.
 */

import { htmlText, webviewPage } from './webviewPage';

export interface InvitationViewModel {
  /** The page's heading. */
  readonly title: string;
  /** Label and value, in order (values from the file: cleaned and escaped here). */
  readonly rows: readonly (readonly [string, string])[];
  /** A short line under the details (who can use the file). */
  readonly notice: string;
  /** Why the file cannot be used; then there is no Join button. */
  readonly error?: string;
  /** The Join button's label; absent: no Join button (an expired or unreadable invitation). */
  readonly joinLabel?: string;
  readonly openAsTextLabel: string;
}

export interface InvitationPageAssets {
  readonly cspSource: string;
  readonly styleUri: string;
  /** From crypto.randomBytes, base64. */
  readonly nonce: string;
}

/** The messages the page posts: a click on one of its two buttons. */
export type InvitationViewMessage = { readonly type: 'join' } | { readonly type: 'openAsText' };

export function parseInvitationViewMessage(value: unknown): InvitationViewMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as Record<string, unknown>)['type'];
  return type === 'join' || type === 'openAsText' ? { type } : undefined;
}

export { htmlText } from './webviewPage';

export function invitationPage(model: InvitationViewModel, assets: InvitationPageAssets): string {
  const rows = model.rows.map(([label, value]) => `<dt>${htmlText(label)}</dt><dd>${htmlText(value)}</dd>`).join('\n');
  const error = model.error ? `<p class="error" role="alert">${htmlText(model.error, 1000)}</p>` : '';
  const join = model.joinLabel
    ? `<button id="join" class="primary" type="button">${htmlText(model.joinLabel)}</button>`
    : '';
  return webviewPage({
    csp: ["default-src 'none'", `style-src ${assets.cspSource}`, `script-src 'nonce-${assets.nonce}'`],
    nonce: assets.nonce,
    styleUri: assets.styleUri,
    title: model.title,
    body: `<main>
<h1>${htmlText(model.title)}</h1>
${error}
<dl>
${rows}
</dl>
<p class="notice">${htmlText(model.notice, 1000)}</p>
<div class="actions">
${join}
<button id="openAsText" class="secondary" type="button">${htmlText(model.openAsTextLabel)}</button>
</div>
</main>
<script nonce="${assets.nonce}">
const vscode = acquireVsCodeApi();
for (const type of ['join', 'openAsText']) {
  document.getElementById(type)?.addEventListener('click', () => vscode.postMessage({ type }));
}
</script>`,
  });
}
