/**
 * The helper's panel (webview): how errors and the host's data read in a log line. What the host sends is
 * cut short, so that a hostile host cannot fill the log through us.
 */

import { cleanText } from '../shared/protocol';

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * At most 200 characters of whatever `data` is, cleaned (a host's line breaks or bidirectional characters must not
 * fake lines in the extension's log).
 */
export function preview(data: unknown): string {
  let text: string;
  try {
    text = typeof data === 'string' ? data : JSON.stringify(data) ?? String(data);
  } catch {
    text = Object.prototype.toString.call(data);
  }
  return cleanText(text, 201);
}
