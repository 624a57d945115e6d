/**
 * Text from outside (an invitation file, a setting, the peer, the panel) on its way into VS Code's UI. Each place
 * interprets some syntax, and none of it may come from outside:
 * - notifications render `[label](command:…)`, `(https://…)` and `(file:…)` as links, and a `command:` link runs
 *   the command with its arguments (VS Code's `parseLinkedText`, which knows no backslash escapes);
 * - status-bar text renders `$(icon)`;
 * - a MarkdownString (the status bar's tooltip) renders Markdown, links and `$(icon)`.
 * Every function first cleans the text as the protocol cleans names (no control, line-break, bidirectional or
 * zero-width characters) and bounds it, so that it cannot fake lines or reverse the text around it either.
 *
 * No vscode import: unit-tested with node:test.
 */

import { cleanText as bounded } from './shared/protocol';

const MAX_TEXT = 500;

/**
 * For a notification, a modal's message or detail, a panel title or a quick pick: plain text in which nothing
 * makes a link. Square brackets become round ones: a link needs `[label](`, and VS Code's parser honours no
 * escape, so the only sure way is that no `[` ... `](` is left.
 */
export function plainText(text: string, max = MAX_TEXT): string {
  return bounded(text, max).replace(/\[/g, '(').replace(/\]/g, ')');
}

/** For text where `$(…)` makes an icon (a status-bar item, a quick pick's label): plain text (as above) in which it shows as written. */
export function statusBarText(text: string, max = MAX_TEXT): string {
  return plainText(text, max).replace(/\$\(/g, '\\$(');
}

/**
 * For a MarkdownString with theme icons: every Markdown punctuation character escaped (CommonMark lets a backslash
 * escape any ASCII punctuation), after `$(` has become `\$(` as VS Code's own `MarkdownString.appendText` does,
 * so that what the Markdown leaves is an escaped icon, shown as written.
 */
export function markdownText(text: string, max = MAX_TEXT): string {
  return bounded(text, max)
    .replace(/\$\(/g, '\\$(')
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&:]/g, '\\$&');
}
