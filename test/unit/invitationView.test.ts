/** src/invitationView.ts: the `.remoteassist` editor's page, built from a hostile file's values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlText, invitationPage, parseInvitationViewMessage, type InvitationViewModel } from '../../src/invitationView';

const ASSETS = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/x/media/invitationEditor.css', nonce: 'bm9uY2Vub25jZQ==' };
const HOSTILE = `Ada</dd><script>alert(1)</script><img src=x onerror="alert(2)">\u202Eevil\n' \` &amp;`;

function model(overrides: Partial<InvitationViewModel> = {}): InvitationViewModel {
  return {
    title: 'Remote Assist Invitation',
    rows: [['From', HOSTILE], ['Signaling server', 'peer.example.com:443/']],
    notice: 'Opening it connects to nothing.',
    joinLabel: 'Join',
    openAsTextLabel: 'Open as Text',
    ...overrides,
  };
}

/** The page without its one script (ours, with the nonce): what is left must hold no markup from the file. */
function withoutOwnScript(page: string): string {
  return page.replace(/<script nonce="[^"]+">[\s\S]*?<\/script>/, '');
}

describe('invitationPage', () => {
  it('escapes every value from the file: no element, attribute, entity or bidi character of it survives', () => {
    const page = invitationPage(model(), ASSETS);
    const rest = withoutOwnScript(page);
    assert.doesNotMatch(rest, /<script|<img|onerror="/i);
    assert.ok(!rest.includes('\u202E'));
    assert.match(rest, /<dd>Ada&#60;\/dd&#62;&#60;script&#62;alert\(1\)/);
    assert.ok(rest.includes('&#38;amp;'));
    assert.equal((page.match(/<script/g) ?? []).length, 1);
  });

  it('has a strict CSP: nothing by default, scripts by nonce only, styles from the webview only', () => {
    const page = invitationPage(model(), ASSETS);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(page)?.[1];
    assert.equal(csp, `default-src 'none'; style-src ${ASSETS.cspSource}; script-src 'nonce-${ASSETS.nonce}'`);
    assert.ok(page.includes(`<script nonce="${ASSETS.nonce}">`));
  });

  it('shows a focusable Join button, and none with an error', () => {
    assert.match(invitationPage(model(), ASSETS), /<button id="join" class="primary" type="button">Join<\/button>/);
    const expired = invitationPage(model({ joinLabel: undefined, error: 'This invitation has expired.' } as Partial<InvitationViewModel>), ASSETS);
    assert.doesNotMatch(expired, /id="join"/);
    assert.match(expired, /role="alert">This invitation has expired\./);
    assert.match(expired, /id="openAsText"/);
  });

  it('refuses a nonce or a source that could break out of the CSP', () => {
    assert.throws(() => invitationPage(model(), { ...ASSETS, nonce: "x' 'unsafe-inline" }));
    assert.throws(() => invitationPage(model(), { ...ASSETS, cspSource: "a; script-src *" }));
    assert.throws(() => invitationPage(model(), { ...ASSETS, cspSource: 'a" onload="x' }));
    assert.doesNotThrow(() => invitationPage(model(), { ...ASSETS, cspSource: "'self' https://*.vscode-cdn.net" }));
  });
});

describe('htmlText and the page\'s messages', () => {
  it('bounds and escapes', () => {
    assert.equal(htmlText('<b>"x"</b>'), '&#60;b&#62;&#34;x&#34;&#60;/b&#62;');
    assert.equal(htmlText('a'.repeat(400)).length, 300);
  });

  it('accepts only the two button clicks', () => {
    assert.deepEqual(parseInvitationViewMessage({ type: 'join', file: '/etc/passwd' }), { type: 'join' });
    assert.deepEqual(parseInvitationViewMessage({ type: 'openAsText' }), { type: 'openAsText' });
    for (const bad of [undefined, null, 'join', { type: 'connect' }, { type: ['join'] }]) assert.equal(parseInvitationViewMessage(bad), undefined);
  });
});
