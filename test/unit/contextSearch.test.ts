/**
 * The context pane's search (src/webview/textSearch.ts): the host's text cut into matched and unmatched pieces
 * that the pane turns into text nodes and <mark> elements.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasMatch, queryPattern, splitMatches } from '../../src/webview/textSearch';

const join = (segments: { text: string }[]) => segments.map((s) => s.text).join('');

describe('context search', () => {
  it('splits around every match, case-insensitively, and the pieces join back to the text', () => {
    const text = 'TypeError: total is undefined; see Total()';
    const segments = splitMatches(text, 'total');
    assert.equal(join(segments), text);
    assert.deepEqual(segments.filter((s) => s.match).map((s) => s.text), ['total', 'Total']);
    assert.deepEqual(segments.map((s) => s.match), [false, true, false, true, false]);
  });

  it('matches the query literally: markup and regular-expression characters are text', () => {
    const text = 'x = a.b*(c) <img src=x onerror=alert(1)> [link](command:x)';
    for (const q of ['a.b*(c)', '<img src=x onerror=alert(1)>', '[link](command:x)', '\\', '$']) {
      const segments = splitMatches(text, q);
      assert.equal(join(segments), text);
      for (const s of segments.filter((s) => s.match)) assert.equal(s.text, q);
    }
    assert.equal(splitMatches(text, 'a.b*(c)').filter((s) => s.match).length, 1);
    assert.equal(hasMatch('abc', '.'), false);
  });

  it('an empty or blank query matches nothing and leaves the text whole', () => {
    assert.equal(queryPattern(''), undefined);
    assert.equal(queryPattern('   '), undefined);
    assert.deepEqual(splitMatches('abc', ''), [{ text: 'abc', match: false }]);
    assert.deepEqual(splitMatches('', 'a'), []);
  });

  it('keeps positions in the original text where lower-casing would change lengths', () => {
    const text = 'İstanbul istanbul';
    const segments = splitMatches(text, 'istanbul');
    assert.equal(join(segments), text);
    assert.ok(segments.some((s) => s.match && s.text === 'istanbul'));
  });

  it('finds adjacent and repeated matches without overlap', () => {
    assert.deepEqual(splitMatches('aaaa', 'aa').map((s) => s.text), ['aa', 'aa']);
    assert.deepEqual(splitMatches('abab', 'ab').map((s) => s.match), [true, true]);
  });

  it('cuts very long queries', () => {
    assert.ok(queryPattern('x'.repeat(10_000))!.source.length <= 200);
  });
});
