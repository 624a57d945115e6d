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
