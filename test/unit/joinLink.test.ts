/** src/joinLink.ts: the one-click join link, built for the running editor's scheme and read as hostile input. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeJoinLink, parseJoinLink } from '../../src/joinLink';
import { createInvitation } from '../../src/shared/invitation';

const { code } = createInvitation((b) => b.fill(7), new Date(), 30);

/** The path and query of a link, percent-decoded, as `vscode.Uri.parse` hands them to the URI handler. */
function parts(link: string): { path: string; query: string } {
  const url = new URL(link);
  return { path: decodeURIComponent(url.pathname), query: decodeURIComponent(url.search.slice(1)) };
}

describe('makeJoinLink', () => {
  it('uses the running editor\'s scheme and the extension id, and carries the code only', () => {
    assert.equal(makeJoinLink('vscode', 'remote-assist.remote-assist', code), `vscode://remote-assist.remote-assist/join?code=${code}`);
    assert.match(makeJoinLink('vscode-insiders', 'Remote-Assist.Remote-Assist', code), /^vscode-insiders:\/\/remote-assist\.remote-assist\/join\?code=[0-9A-Z-]+$/);
  });

  it('round-trips through parseJoinLink', () => {
    const { path, query } = parts(makeJoinLink('cursor', 'remote-assist.remote-assist', code));
    assert.deepEqual(parseJoinLink(path, query), { ok: true, code });
  });

  it('normalises a code typed in lower case with spaces', () => {
    assert.ok(makeJoinLink('vscode', 'a.b', code.toLowerCase().replace(/-/g, ' ')).endsWith(`code=${code}`));
  });

  it('refuses a scheme that is not one and a code that is not one', () => {
    assert.throws(() => makeJoinLink('', 'a.b', code));
    assert.throws(() => makeJoinLink('java script', 'a.b', code));
    assert.throws(() => makeJoinLink('vscode', 'a.b', 'ABCDE'));
  });
});

describe('parseJoinLink', () => {
  it('refuses other paths', () => {
    for (const path of ['', '/', '/connect', '/join/x', '/JOIN', '/join;x']) {
      const r = parseJoinLink(path, `code=${code}`);
      assert.equal(r.ok, false, path);
      assert.equal(!r.ok && r.reason, 'path');
    }
  });

  it('refuses any parameter besides the code, a repeated code and a missing one', () => {
    for (const query of ['', `code=${code}&host=evil.example`, `code=${code}&code=${code}`, `host=evil.example`, `signaling=x&code=${code}`]) {
      const r = parseJoinLink('/join', query);
      assert.equal(r.ok, false, query);
    }
  });

  it('refuses a damaged code and hands back nothing of it', () => {
    const typo = `${code.slice(0, -1)}${code.endsWith('0') ? '1' : '0'}`;
    for (const bad of [typo, 'ABCDE', `${code}[x](command:workbench.action.quit)`, '\u202Eevil', '<script>']) {
      assert.deepEqual(parseJoinLink('/join', `code=${bad}`), { ok: false, reason: 'code' }, bad);
    }
  });

  it('refuses an overlong query unread', () => {
    const r = parseJoinLink('/join', `code=${code}${' '.repeat(500)}`);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'query');
  });

  it('accepts the code in lower case, with spaces for dashes, and a trailing slash', () => {
    assert.deepEqual(parseJoinLink('/join/', `code=${code.toLowerCase().replace(/-/g, '+')}`), { ok: true, code });
  });
});
