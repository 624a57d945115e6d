/**
 * The panel <-> extension messages of issue 12 (src/shared/panelProtocol.ts) and when the helper's session takes
 * the host's shared context (src/webview/contextFeed.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_COPY, parseFromPanel } from '../../src/shared/panelProtocol';
import { acceptsShared } from '../../src/webview/contextFeed';

describe('panel protocol: openHere, copy, chatCount', () => {
  const location = { folder: 'app', path: 'src/main.js', line: 3, column: 7, repo: { remote: 'github.com/org/repo', commit: 'a'.repeat(40), pathInRepo: 'src/main.js' } };

  it('rebuilds a well-formed location, dropping unknown fields', () => {
    assert.deepEqual(parseFromPanel({ type: 'openHere', location: { ...location, extra: 1 } }), { type: 'openHere', location });
    assert.deepEqual(parseFromPanel({ type: 'openHere', location: { folder: 'app', path: 'a.js', line: 1 } }), { type: 'openHere', location: { folder: 'app', path: 'a.js', line: 1 } });
  });

  it('refuses paths that climb or are absolute, bad lines and bad commits', () => {
    const bad = [
      { ...location, path: '../x' },
      { ...location, path: '/etc/passwd' },
      { ...location, path: 'a\\b' },
      { ...location, line: 0 },
      { ...location, line: 1.5 },
      { ...location, column: -1 },
      { ...location, folder: 'a\nb' },
      { ...location, repo: { ...location.repo, commit: 'xyz' } },
      { ...location, repo: { ...location.repo, pathInRepo: '../../x' } },
      'src/main.js:3',
    ];
    for (const l of bad) assert.equal(parseFromPanel({ type: 'openHere', location: l }), undefined, JSON.stringify(l));
  });

  it('copy: text up to 64 KiB', () => {
    assert.deepEqual(parseFromPanel({ type: 'copy', text: 'stack' }), { type: 'copy', text: 'stack' });
    assert.ok(parseFromPanel({ type: 'copy', text: 'x'.repeat(MAX_COPY) }));
    assert.equal(parseFromPanel({ type: 'copy', text: 'x'.repeat(MAX_COPY + 1) }), undefined);
    assert.equal(parseFromPanel({ type: 'copy', text: 3 }), undefined);
  });

  it('chatCount: a direction, never a text', () => {
    assert.deepEqual(parseFromPanel({ type: 'chatCount', direction: 'sent', text: 'secret' }), { type: 'chatCount', direction: 'sent' });
    assert.deepEqual(parseFromPanel({ type: 'chatCount', direction: 'received' }), { type: 'chatCount', direction: 'received' });
    assert.equal(parseFromPanel({ type: 'chatCount', direction: 'both' }), undefined);
  });
});

describe('shared context and the session state', () => {
  it('is taken only once the host has let the helper in', () => {
    for (const kind of ['viewing', 'requestingControl', 'controlling'] as const) assert.ok(acceptsShared(kind));
    for (const kind of ['idle', 'connecting', 'verifying', 'waitingForConsent', 'ended', 'failed'] as const) assert.equal(acceptsShared(kind), false);
  });
});
