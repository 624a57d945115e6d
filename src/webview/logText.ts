/**
 * The helper's panel (webview): how errors and the host's data read in a log line. What the host sends is
 * cut short, so that a hostile host cannot fill the log through us.
 */

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** At most 200 characters of whatever `data` is. */
export function preview(data: unknown): string {
  let text: string;
  try {
    text = typeof data === 'string' ? data : JSON.stringify(data) ?? String(data);
  } catch {
    text = Object.prototype.toString.call(data);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
