/**
 * The one shape of every webview page this extension shows (the helper's panel, the host's chat view, the
 * `.remoteassist` editor): a strict Content-Security-Policy, its stylesheet, its body and its script by nonce.
 * What goes into an attribute or the policy is checked here, once, whoever built it: a value that could close the
 * attribute or add a directive is refused, never escaped into something else.
 *
 * No vscode import: unit-tested with node:test.
 */

import { cleanText } from './shared/protocol';

export interface WebviewPageParts {
  /** Directives, each checked: none may hold `;` inside, or anything that ends the attribute. */
  readonly csp: readonly string[];
  /** From `crypto.randomBytes`, base64. */
  readonly nonce: string;
  /** `webview.asWebviewUri(…)` of the stylesheet. */
  readonly styleUri: string;
  /** `webview.asWebviewUri(…)` of the script; absent: the body carries its own (by nonce). */
  readonly scriptUri?: string;
  /** Plain text: escaped here. */
  readonly title: string;
  /** HTML, built by the caller with htmlText for every outside value. */
  readonly body: string;
}

const MAX_VALUE = 300;

/** Text for an HTML element or a double-quoted attribute: cleaned of control and bidi characters, bounded, escaped. */
export function htmlText(text: string, max = MAX_VALUE): string {
  return cleanText(text, max).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewPage(parts: WebviewPageParts): string {
  if (!/^[A-Za-z0-9+/=]+$/.test(parts.nonce)) throw new Error('invalid nonce');
  for (const uri of [parts.styleUri, parts.scriptUri]) {
    if (uri !== undefined && /["'<>\s]/.test(uri)) throw new Error('invalid webview resource');
  }
  // A webview's cspSource may list several sources ("'self' https://…" in code-server): only what would end the
  // directive or the attribute is refused.
  for (const directive of parts.csp) {
    if (/[";<>\r\n]/.test(directive)) throw new Error('invalid Content-Security-Policy directive');
  }
  const script = parts.scriptUri === undefined ? '' : `\n<script nonce="${parts.nonce}" src="${parts.scriptUri}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${parts.csp.join('; ')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${parts.styleUri}" nonce="${parts.nonce}">
<title>${htmlText(parts.title)}</title>
</head>
<body>
${parts.body}${script}
</body>
</html>`;
}
