import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ALPHABET,
  CODE_LENGTH,
  createInvitation,
  decodeInvitation,
  isExpired,
  joinRefusal,
  makeInvitationFile,
  parseInvitationFile,
} from '../../src/shared/invitation';

const random = (b: Uint8Array) => void randomFillSync(b);
const now = new Date('2026-11-26T10:00:30Z');

describe('invitation code', () => {
  it('round-trips secret and times, in six groups of five', () => {
    const { invitation, code } = createInvitation(random, now, 30);
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}$/);
    const decoded = decodeInvitation(code);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.invitation.secret, invitation.secret);
    assert.equal(decoded.invitation.createdAt.toISOString(), '2026-11-26T10:00:00.000Z');
    assert.equal(decoded.invitation.expiresAt.toISOString(), '2026-11-26T10:30:00.000Z');
  });

  it('carries 100 bits of secret: the top nibble is zero, the rest varies', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { invitation } = createInvitation(random, now, 30);
      assert.equal(invitation.secret.length, 13);
      assert.equal(invitation.secret[0]! & 0xf0, 0);
      seen.add(Buffer.from(invitation.secret).toString('hex'));
    }
    assert.equal(seen.size, 200);
  });

  it('accepts lower case, spaces, missing dashes and look-alikes (O for 0, I and L for 1)', () => {
    const { code } = createInvitation(random, now, 30);
    const messy = ` ${code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    const decoded = decodeInvitation(messy);
    assert.ok(decoded.ok);
    assert.equal(decoded.code, code);
  });

  it('catches every single mistyped character', () => {
    const { code } = createInvitation(random, now, 30);
    const plain = code.replace(/-/g, '');
    for (let i = 0; i < plain.length; i++) {
      for (const c of ALPHABET) {
        if (c === plain[i]) continue;
        const typo = plain.slice(0, i) + c + plain.slice(i + 1);
        const d = decodeInvitation(typo);
        assert.ok(!d.ok && (d.reason === 'checksum' || d.reason === 'version'), `typo at ${i} (${c}) passed`);
      }
    }
  });

  it('catches every swap of two neighbouring characters', () => {
    for (let n = 0; n < 20; n++) {
      const { code } = createInvitation(random, now, 30);
      const plain = code.replace(/-/g, '');
      for (let i = 0; i + 1 < plain.length; i++) {
        if (plain[i] === plain[i + 1]) continue;
        const swapped = plain.slice(0, i) + plain[i + 1] + plain[i] + plain.slice(i + 2);
        assert.equal(decodeInvitation(swapped).ok, false, `swap at ${i} passed`);
      }
    }
  });

  it('says what is wrong while typing', () => {
    const { code } = createInvitation(random, now, 30);
    const short = decodeInvitation(code.slice(0, 10));
    assert.ok(!short.ok && short.reason === 'incomplete');
    assert.match(short.message, /more characters/);
    const bad = decodeInvitation('ABC!');
    assert.ok(!bad.ok && bad.reason === 'badCharacter');
    const long = decodeInvitation(code + 'A');
    assert.ok(!long.ok && long.reason === 'tooLong');
    assert.equal(CODE_LENGTH, 30);
  });

  it('expires at the stated minute', () => {
    const { invitation } = createInvitation(random, now, 30);
    assert.equal(isExpired(invitation, new Date('2026-11-26T10:29:59Z')), false);
    assert.equal(isExpired(invitation, new Date('2026-11-26T10:30:00Z')), true);
  });

  it('Join refuses an expired code before connecting, saying when it expired and what to do', () => {
    const { code } = createInvitation(random, now, 30);
    const decoded = decodeInvitation(code);
    assert.ok(decoded.ok);
    assert.equal(joinRefusal(decoded.invitation, new Date('2026-11-26T10:29:59Z')), undefined);
    assert.equal(
      joinRefusal(decoded.invitation, new Date('2026-11-26T10:30:00Z')),
      'This invitation expired at 2026-11-26T10:30:00.000Z. Ask for a new one.',
    );
    assert.equal(joinRefusal(decoded.invitation, new Date('2027-01-01T00:00:00Z'), () => '10:30'), 'This invitation expired at 10:30. Ask for a new one.');
  });
});

describe('invitation file', () => {
  const signaling = { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' };

  it('round-trips and takes its times from the code, not from the JSON', () => {
    const { invitation, code } = createInvitation(random, now, 45);
    const file = makeInvitationFile(code, invitation, 'Ada', signaling, [{ urls: 'stun:127.0.0.1:3478' }]);
    const tampered = { ...file, expiresAt: '2099-01-01T00:00:00Z' };
    const parsed = parseInvitationFile(JSON.stringify(tampered));
    assert.ok(parsed.ok);
    assert.equal(parsed.file.hostName, 'Ada');
    assert.equal(parsed.file.expiresAt, '2026-11-26T10:45:00.000Z');
    assert.deepEqual(parsed.file.signaling, signaling);
    assert.deepEqual(parsed.file.iceServers, [{ urls: 'stun:127.0.0.1:3478' }]);
  });

  it('refuses what is not an invitation, with a clear message', () => {
    const { invitation, code } = createInvitation(random, now, 45);
    const good = makeInvitationFile(code, invitation, 'Ada', signaling, []);
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[]', /not a Remote Assist invitation/],
      [JSON.stringify({ ...good, version: 2 }), /another version/],
      [JSON.stringify({ ...good, code: code.slice(0, -1) + (code.endsWith('0') ? '1' : '0') }), /damaged/],
      [JSON.stringify({ ...good, signaling: { ...signaling, port: 70000 } }), /signaling/],
      [JSON.stringify({ ...good, signaling: 'x' }), /signaling/],
    ];
    for (const [text, message] of cases) {
      const parsed = parseInvitationFile(text);
      assert.ok(!parsed.ok, text);
      assert.match(parsed.message, message);
    }
  });
});

describe('invitation file: hostile contents (security finding 1)', () => {
  const signaling = { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' };
  const { invitation, code } = createInvitation(random, new Date(), 45);
  const good = makeInvitationFile(code, invitation, 'Ada', signaling, []);
  const withSignaling = (patch: Record<string, unknown>) => JSON.stringify({ ...good, signaling: { ...signaling, ...patch } });

  it('refuses a signaling host that is not a host name or an IP address, without quoting it', () => {
    for (const host of [
      '[Retry](command:workbench.action.quit)',
      'evil.example; frame-src *',
      'evil.example/path',
      'user@evil.example',
      'evil.example:99',
      'evil example',
      'evil.example\n[Retry](command:x)',
      'a\u202Eb.example',
      '',
      '-lead.example',
      'x'.repeat(300),
    ]) {
      const parsed = parseInvitationFile(withSignaling({ host }));
      assert.ok(!parsed.ok, `accepted host ${JSON.stringify(host)}`);
      assert.match(parsed.message, /signaling server/);
      assert.ok(!parsed.message.includes('command:') && !parsed.message.includes('frame-src'), parsed.message);
    }
  });

  it('refuses a path, port or key out of charset or range', () => {
    for (const patch of [
      { path: '/a b' },
      { path: 'no-slash' },
      { path: '/[x](command:y)' },
      { path: `/${'a'.repeat(300)}` },
      { port: 0 },
      { port: 1.5 },
      { key: 'a;b' },
      { key: '' },
      { secure: 'yes' },
    ]) {
      assert.equal(parseInvitationFile(withSignaling(patch)).ok, false, JSON.stringify(patch));
    }
  });

  it('accepts host names, IDNs (as punycode), IPv4 and bracketed IPv6 addresses', () => {
    const cases: [string, string][] = [
      ['Peer.Example.COM', 'peer.example.com'],
      ['bücher.example', 'xn--bcher-kva.example'],
      ['127.0.0.1', '127.0.0.1'],
      ['[::1]', '[::1]'],
      ['::1', '[::1]'],
    ];
    for (const [host, expected] of cases) {
      const parsed = parseInvitationFile(withSignaling({ host }));
      assert.ok(parsed.ok, host);
      assert.equal(parsed.file.signaling.host, expected);
    }
  });

  it('cleans and bounds the host name: no line breaks, bidi or control characters, at most 100 characters', () => {
    const parsed = parseInvitationFile(JSON.stringify({ ...good, hostName: 'Ada\n\u202EnimdA\u0007 [x](command:y)' + 'z'.repeat(300) }));
    assert.ok(parsed.ok);
    assert.ok(parsed.file.hostName.length <= 100, String(parsed.file.hostName.length));
    assert.doesNotMatch(parsed.file.hostName, /[\n\u202E\u0007]/);
    assert.ok(parsed.file.hostName.startsWith('Ada nimdA'));
  });

  it('refuses ICE servers that are not stun:/turn: URLs instead of dropping them quietly', () => {
    for (const iceServers of [[{ urls: 'http://evil.example' }], [{ urls: ['turn:[x](command:y)'] }], [{}], 'x']) {
      const parsed = parseInvitationFile(JSON.stringify({ ...good, iceServers }));
      assert.ok(!parsed.ok, JSON.stringify(iceServers));
      assert.match(parsed.message, /ICE servers/);
    }
  });
});

describe('invitation file: TURN credentials (security finding 10)', () => {
  const signaling = { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' };
  const ice = [{ urls: 'turn:127.0.0.1:3478', username: 'host-account', credential: 'long-lived-secret' }, { urls: 'stun:127.0.0.1:3478' }];

  it('leaves TURN user names and credentials out unless asked to include them', () => {
    const { invitation, code } = createInvitation(random, now, 45);
    const file = makeInvitationFile(code, invitation, 'Ada', signaling, ice);
    assert.deepEqual(file.iceServers, [{ urls: 'turn:127.0.0.1:3478' }, { urls: 'stun:127.0.0.1:3478' }]);
    assert.ok(!JSON.stringify(file).includes('long-lived-secret'));
    const agreed = makeInvitationFile(code, invitation, 'Ada', signaling, ice, { includeCredentials: true });
    assert.deepEqual(agreed.iceServers, ice);
  });
});
