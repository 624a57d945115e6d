/**
 * The validators of src/shared/settings.ts, the settings reader (user-level values only for the security settings),
 * and the promise that the extension, the invitation file's reader and the panel agree: what one accepts, the
 * others accept.
 */
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createInvitation, makeInvitationFile, parseInvitationFile } from '../../src/shared/invitation';
import { parseToPanel } from '../../src/shared/panelProtocol';
import { peerOptions } from '../../src/shared/signaling';
import { derivePeerId, deriveProofKey, toBase64 } from '../../src/shared/proof';
import {
  checkHost,
  checkIceServers,
  checkIceTransportPolicy,
  checkSignaling,
  cleanDisplayName,
  readSettings,
  SECTION,
  Settings,
  USER_ONLY_SETTINGS,
  type Inspected,
  type SettingsSource,
} from '../../src/shared/settings';

const random = (b: Uint8Array) => void randomFillSync(b);

const DEFAULTS: Record<string, unknown> = {
  [Settings.signalingHost]: '0.peerjs.com',
  [Settings.signalingPort]: 443,
  [Settings.signalingPath]: '/',
  [Settings.signalingSecure]: true,
  [Settings.signalingKey]: 'peerjs',
  [Settings.iceServers]: [{ urls: 'stun:stun.l.google.com:19302' }],
  [Settings.iceTransportPolicy]: 'all',
  [Settings.lifetimeMinutes]: 30,
  [Settings.displayName]: '',
  [Settings.consentTimeoutSeconds]: 60,
  [Settings.maxFps]: 120,
  [Settings.auditWriteFile]: true,
  [Settings.keyboardMode]: 'text',
  [Settings.laserPointer]: true,
};

/** A stand-in for `WorkspaceConfiguration.inspect()`, with values at each level. */
function source(levels: { global?: Record<string, unknown>; workspace?: Record<string, unknown>; folder?: Record<string, unknown> } = {}): SettingsSource {
  return {
    inspect(key: string): Inspected {
      const at = (level: Record<string, unknown> | undefined) => (level && key in level ? level[key] : undefined);
      return { defaultValue: DEFAULTS[key], globalValue: at(levels.global), workspaceValue: at(levels.workspace), workspaceFolderValue: at(levels.folder) };
    },
  };
}

describe('checkHost', () => {
  it('accepts host names, IPv4 and IPv6 literals, normalised and idempotent', () => {
    const cases: [string, string][] = [
      ['0.peerjs.com', '0.peerjs.com'],
      ['LOCALHOST', 'localhost'],
      ['bücher.example', 'xn--bcher-kva.example'],
      ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
      ['127.0.0.1', '127.0.0.1'],
      ['[2001:DB8::1]', '[2001:db8::1]'],
      ['fe80::1', '[fe80::1]'],
    ];
    for (const [input, expected] of cases) {
      assert.equal(checkHost(input), expected, input);
      assert.equal(checkHost(expected), expected, `${expected} again`);
    }
  });

  it('refuses everything else', () => {
    for (const bad of [
      '[Retry](command:workbench.action.quit)',
      'a.example; frame-src *',
      'a.example/x',
      'a.example?x',
      'a.example#x',
      'u@a.example',
      'a.example:80',
      'a .example',
      'a\u202E.example',
      'a\u200B.example',
      'a\n.example',
      '$(alert).example',
      '-a.example',
      'a-.example',
      'a..example',
      'a.example.',
      `${'a'.repeat(64)}.example`,
      '1.2.3.256',
      '[::1]x',
      '[zz::1]',
      '',
      42,
      undefined,
    ]) {
      assert.equal(checkHost(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('checkSignaling and checkIceServers', () => {
  it('rebuild what they accept, and name the field they refuse (never quoting its value)', () => {
    const ok = checkSignaling({ host: '127.0.0.1', port: 9000, path: '/peer/', secure: false, key: 'peerjs', extra: 1 });
    assert.deepEqual(ok, { ok: true, value: { host: '127.0.0.1', port: 9000, path: '/peer/', secure: false, key: 'peerjs' } });
    const bad = checkSignaling({ host: '[x](command:y)', port: 9000, path: '/', secure: false, key: 'peerjs' });
    assert.ok(!bad.ok);
    assert.equal(bad.field, 'host');
    assert.ok(!bad.problem.includes('command:'));
  });

  it('take stun:/turn: URLs of valid hosts only, normalising the host', () => {
    const ok = checkIceServers([{ urls: ['STUN:Stun.Example:19302', 'turns:[::1]:5349?transport=tcp'], username: 'u', credential: 'c' }]);
    assert.deepEqual(ok, { ok: true, value: [{ urls: ['stun:stun.example:19302', 'turns:[::1]:5349?transport=tcp'], username: 'u', credential: 'c' }] });
    for (const bad of [
      [{ urls: 'https://x.example' }],
      [{ urls: 'stun:x.example?transport=udp' }],
      [{ urls: 'turn:[x](command:y)' }],
      [{ urls: 'turn:x.example:99999' }],
      [{ urls: [] }],
      [{ urls: 'turn:x.example', username: 'a\nb' }],
      Array.from({ length: 11 }, () => ({ urls: 'stun:x.example' })),
      {},
    ]) {
      assert.equal(checkIceServers(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('cleanDisplayName removes line breaks, bidi and control characters and bounds the name, idempotently', () => {
    const name = cleanDisplayName(`Ada\r\n\u202E\u2066evil\u0000 ${'x'.repeat(200)}`);
    assert.ok(name.length <= 100);
    assert.doesNotMatch(name, /[\r\n\u202E\u2066\u0000]/);
    assert.equal(cleanDisplayName(name), name);
    // A surrogate pair is never cut in half.
    const emoji = cleanDisplayName(`${'a'.repeat(99)}😀`);
    assert.ok(!/[\uD800-\uDBFF]$/.test(emoji));
  });
});

describe('readSettings (security finding 3: a workspace cannot change the security settings)', () => {
  it('reads the defaults when nothing is set', () => {
    const read = readSettings(source());
    assert.ok(read.ok);
    assert.equal(read.settings.signaling.host, '0.peerjs.com');
    assert.equal(read.settings.lifetimeMinutes, 30);
    assert.equal(read.settings.auditWriteFile, true);
  });

  it('ignores workspace and folder values of every security setting, and takes the user\'s', () => {
    const hostile: Record<string, unknown> = {
      [Settings.signalingHost]: 'evil.example',
      [Settings.signalingPort]: 8443,
      [Settings.signalingPath]: '/evil',
      [Settings.signalingSecure]: false,
      [Settings.signalingKey]: 'evil',
      [Settings.iceServers]: [{ urls: 'turn:evil.example' }],
      // A user who must not reveal their addresses chose relay: a workspace cannot take it back.
      [Settings.iceTransportPolicy]: 'all',
      [Settings.lifetimeMinutes]: 1440,
      [Settings.displayName]: 'Your IT department',
      [Settings.auditWriteFile]: false,
    };
    assert.deepEqual([...USER_ONLY_SETTINGS].sort(), Object.keys(hostile).sort());
    const read = readSettings(source({ workspace: hostile, folder: hostile, global: { [Settings.signalingHost]: 'peer.example', [Settings.displayName]: 'Ada', [Settings.iceTransportPolicy]: 'relay' } }));
    assert.ok(read.ok);
    assert.deepEqual(read.settings.signaling, { host: 'peer.example', port: 443, path: '/', secure: true, key: 'peerjs' });
    assert.deepEqual(read.settings.iceServers, [{ urls: 'stun:stun.l.google.com:19302' }]);
    assert.equal(read.settings.iceTransportPolicy, 'relay');
    assert.equal(read.settings.lifetimeMinutes, 30);
    assert.equal(read.settings.displayName, 'Ada');
    assert.equal(read.settings.auditWriteFile, true);
  });

  it('still lets a workspace set the other settings', () => {
    const read = readSettings(source({ global: { [Settings.maxFps]: 60 }, workspace: { [Settings.maxFps]: 30, [Settings.consentTimeoutSeconds]: 20 } }));
    assert.ok(read.ok);
    assert.equal(read.settings.maxFps, 30);
    assert.equal(read.settings.consentTimeoutSeconds, 20);
  });

  it('names an invalid setting instead of falling back to a default', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ [Settings.signalingHost]: '[Retry](command:workbench.action.quit)' }, 'signaling.host'],
      [{ [Settings.signalingHost]: '' }, 'signaling.host'],
      [{ [Settings.signalingPort]: 70000 }, 'signaling.port'],
      [{ [Settings.signalingPath]: 'x' }, 'signaling.path'],
      [{ [Settings.signalingKey]: 'a b' }, 'signaling.key'],
      [{ [Settings.iceServers]: [{ urls: 'http://x.example' }] }, 'iceServers'],
      [{ [Settings.iceTransportPolicy]: 'none' }, 'iceTransportPolicy'],
      [{ [Settings.iceTransportPolicy]: 'RELAY' }, 'iceTransportPolicy'],
      [{ [Settings.lifetimeMinutes]: 0 }, 'invitation.lifetimeMinutes'],
      [{ [Settings.lifetimeMinutes]: '30' }, 'invitation.lifetimeMinutes'],
      [{ [Settings.consentTimeoutSeconds]: 1 }, 'consentTimeoutSeconds'],
      [{ [Settings.maxFps]: Number.NaN }, 'capture.maxFps'],
      [{ [Settings.auditWriteFile]: 'no' }, 'audit.writeFile'],
      [{ [Settings.displayName]: 7 }, 'displayName'],
    ];
    for (const [global, key] of cases) {
      const read = readSettings(source({ global }));
      assert.ok(!read.ok, key);
      assert.equal(read.setting, `${SECTION}.${key}`);
      assert.ok(read.message.includes(`"${SECTION}.${key}"`), read.message);
      assert.ok(!read.message.includes('command:'), read.message);
    }
  });
});

describe('one check for all: the file reader, the extension and the panel agree', () => {
  it('every file the reader accepts gives a connect message the panel accepts, with the same values', async () => {
    const { invitation, code } = createInvitation(random, new Date(), 30);
    const files = [
      { hostName: 'A'.repeat(150), signaling: { host: 'bücher.example', port: 443, path: '/', secure: true, key: 'peerjs' }, iceServers: [] },
      { hostName: 'Ada\u202E\n', signaling: { host: '::1', port: 9000, path: '/p%20q/', secure: false, key: 'k' }, iceServers: [{ urls: 'TURN:Relay.Example:3478', username: 'u', credential: 'c' }] },
      { hostName: '', signaling: { host: '127.0.0.1', port: 1, path: '/', secure: false, key: 'peerjs' }, iceServers: Array.from({ length: 10 }, () => ({ urls: 'stun:127.0.0.1' })) },
    ];
    const key = toBase64(await deriveProofKey(invitation.secret));
    const peerId = await derivePeerId(invitation.secret);
    for (const f of files) {
      const text = JSON.stringify({ ...makeInvitationFile(code, invitation, 'x', f.signaling, f.iceServers, { includeCredentials: true }), hostName: f.hostName });
      const parsed = parseInvitationFile(text);
      assert.ok(parsed.ok, text);
      const connect = {
        type: 'connect' as const,
        signaling: parsed.file.signaling,
        iceServers: parsed.file.iceServers,
        iceTransportPolicy: 'relay' as const,
        hostPeerId: peerId,
        proofKey: key,
        helperName: cleanDisplayName('Grace'),
        expectedHostName: parsed.file.hostName,
        connectTimeoutMs: 10_000,
        keyboardMode: 'text' as const,
      };
      assert.deepEqual(parseToPanel(JSON.parse(JSON.stringify(connect))), connect, text);
    }
  });

  it('the panel refuses what the reader refuses', () => {
    const base = { type: 'connect', iceServers: [], hostPeerId: 'ra-abc', proofKey: toBase64(new Uint8Array(32)), helperName: 'Grace', expectedHostName: 'Ada', connectTimeoutMs: 10_000 };
    assert.ok(parseToPanel({ ...base, signaling: { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' } }));
    assert.equal(parseToPanel({ ...base, signaling: { host: 'evil.example; frame-src *', port: 9000, path: '/', secure: false, key: 'peerjs' } }), undefined);
    assert.equal(parseToPanel({ ...base, signaling: { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' }, expectedHostName: 'Ada\nBob' }), undefined);
  });
});

describe('the keyboard mode', () => {
  const source = (value: unknown): SettingsSource => ({
    inspect: (key) => (key === Settings.keyboardMode ? { defaultValue: 'text', globalValue: value } : { defaultValue: DEFAULTS[key] }),
  });

  it('is read from the settings, and a wrong one is named', () => {
    const physical = readSettings(source('physical'));
    assert.equal(physical.ok && physical.settings.keyboardMode, 'physical');
    const wrong = readSettings(source('qwerty'));
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.setting, `${SECTION}.${Settings.keyboardMode}`);
  });

  it('reaches the panel checked: text when absent, refused when unknown', () => {
    const base = { type: 'connect', iceServers: [], hostPeerId: 'ra-abc', proofKey: toBase64(new Uint8Array(32)), helperName: 'Grace', expectedHostName: 'Ada', connectTimeoutMs: 10_000, signaling: { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' } };
    const mode = (m: unknown) => {
      const parsed = parseToPanel(m);
      return parsed?.type === 'connect' ? parsed.keyboardMode : undefined;
    };
    assert.equal(mode(base), 'text');
    assert.equal(mode({ ...base, keyboardMode: 'physical' }), 'physical');
    assert.equal(parseToPanel({ ...base, keyboardMode: 'toString' }), undefined);
  });
});

describe('the laser pointer switch', () => {
  const source = (value: unknown): SettingsSource => ({
    inspect: (key) => (key === Settings.laserPointer ? { defaultValue: true, workspaceValue: value } : { defaultValue: DEFAULTS[key] }),
  });

  it('is on by default, a workspace may turn it off, and a wrong value is named', () => {
    const absent = readSettings(source(undefined));
    assert.equal(absent.ok && absent.settings.laserPointer, true);
    const off = readSettings(source(false));
    assert.equal(off.ok && off.settings.laserPointer, false);
    const wrong = readSettings(source('yes'));
    assert.equal(!wrong.ok && wrong.setting, `${SECTION}.${Settings.laserPointer}`);
  });
});

describe('the ICE transport policy', () => {
  const base = { type: 'connect', iceServers: [], hostPeerId: 'ra-abc', proofKey: toBase64(new Uint8Array(32)), helperName: 'Grace', expectedHostName: 'Ada', connectTimeoutMs: 10_000, signaling: { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' } };
  const policy = (m: unknown) => {
    const parsed = parseToPanel(m);
    return parsed?.type === 'connect' ? parsed.iceTransportPolicy : undefined;
  };

  it('is all or relay, nothing else', () => {
    assert.equal(checkIceTransportPolicy('all'), 'all');
    assert.equal(checkIceTransportPolicy('relay'), 'relay');
    for (const bad of ['Relay', 'none', '', 'toString', 1, null, undefined, ['relay'], { relay: true }]) assert.equal(checkIceTransportPolicy(bad), undefined, String(bad));
  });

  it('is read from the user settings: all by default', () => {
    const read = readSettings(source());
    assert.equal(read.ok && read.settings.iceTransportPolicy, 'all');
    const relay = readSettings(source({ global: { [Settings.iceTransportPolicy]: 'relay' } }));
    assert.equal(relay.ok && relay.settings.iceTransportPolicy, 'relay');
    assert.ok(USER_ONLY_SETTINGS.includes(Settings.iceTransportPolicy));
  });

  it('reaches the panel checked: all when absent, refused when unknown', () => {
    assert.equal(policy(base), 'all');
    assert.equal(policy({ ...base, iceTransportPolicy: 'relay' }), 'relay');
    assert.equal(policy({ ...base, iceTransportPolicy: 'all' }), 'all');
    assert.equal(parseToPanel({ ...base, iceTransportPolicy: 'none' }), undefined);
    assert.equal(parseToPanel({ ...base, iceTransportPolicy: 'constructor' }), undefined);
  });

  it('goes into the PeerJS options of both sides as config.iceTransportPolicy (all by default)', () => {
    const signaling = { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' };
    const ice = [{ urls: 'turn:127.0.0.1:3478?transport=udp', username: 'u', credential: 'c' }];
    assert.equal(peerOptions(signaling, ice, () => undefined).config.iceTransportPolicy, 'all');
    const relay = peerOptions(signaling, ice, () => undefined, 'relay');
    assert.deepEqual(relay.config, { iceServers: ice, iceTransportPolicy: 'relay' });
  });

  it('is not in the invitation file: each side chooses its own', () => {
    const { invitation, code } = createInvitation(random, new Date(), 30);
    const file = makeInvitationFile(code, invitation, 'Ada', { host: '127.0.0.1', port: 9000, path: '/', secure: false, key: 'peerjs' }, [], {});
    assert.ok(!('iceTransportPolicy' in file));
    assert.ok(!JSON.stringify(file).includes('iceTransportPolicy'));
  });
});
