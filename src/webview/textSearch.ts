/**
 * The helper's panel (webview), pure: where the context pane's search query occurs in a text, as segments that
 * the pane turns into text nodes and <mark> elements (never an HTML string: the text is the host's). No DOM here,
 * so it is unit-tested with node:test.
 */

/** A piece of a text: matched by the query or not. Joined in order, the pieces are the text. */
export interface Segment {
  readonly text: string;
  readonly match: boolean;
}

/** Longer queries are cut: a search box is for words, not pastes. */
export const MAX_QUERY = 200;

/**
 * The query as a case-insensitive pattern, or undefined when there is nothing to look for. The query is matched
 * literally (every character escaped) and case-folded by the regular expression, which keeps positions in the
 * original text (lower-casing both sides does not: 'İ' lower-cases to two code units).
 */
export function queryPattern(query: string): RegExp | undefined {
  const q = query.slice(0, MAX_QUERY).trim();
  if (q === '') return undefined;
  return new RegExp(q.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'), 'giu');
}

/** The text cut into matched and unmatched pieces (one unmatched piece when the query is empty or absent). */
export function splitMatches(text: string, query: string): Segment[] {
  const pattern = queryPattern(query);
  if (!pattern || text === '') return text === '' ? [] : [{ text, match: false }];
  const segments: Segment[] = [];
  let from = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m[0] === '') {
      pattern.lastIndex++;
      continue;
    }
    if (m.index > from) segments.push({ text: text.slice(from, m.index), match: false });
    segments.push({ text: m[0], match: true });
    from = m.index + m[0].length;
  }
  if (from < text.length) segments.push({ text: text.slice(from), match: false });
  return segments;
}

/** Whether the query occurs in the text. */
export function hasMatch(text: string, query: string): boolean {
  const pattern = queryPattern(query);
  return !!pattern && pattern.test(text);
}
