import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerOptions, shownText, signalingErrorText, unsafeSignalingMessage } from '../../src/shared/signaling';

const signaling = { host: 'example.org', port: 443, path: '/', secure: true, key: 'peerjs' };
const offer = (payload: Record<string, unknown>) => ({ type: 'OFFER', src: 'someone', dst: 'ra-x', payload: { connectionId: 'dc_1', sdp: { type: 'offer', sdp: 'v=0' }, label: 'control', ...payload } });

describe('signaling: what the server relays is checked before PeerJS sees it', () => {
  it('drops offers PeerJS would choke on (serialization as a property name) and any but raw data offers', () => {
    const known = () => false;
    for (const serialization of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'json', 'binary', undefined]) {
      assert.ok(unsafeSignalingMessage(offer({ type: 'data', serialization }), known), String(serialization));
    }
    assert.ok(unsafeSignalingMessage(offer({ type: 'media' }), known));
    assert.ok(unsafeSignalingMessage({ type: 'OFFER', src: 's', payload: null }, known));
    assert.ok(unsafeSignalingMessage(offer({ type: 'data', serialization: 'raw', label: 'x'.repeat(1000) }), known));
    assert.equal(unsafeSignalingMessage(offer({ type: 'data', serialization: 'raw' }), known), undefined);
  });

  it('lets the server\'s own messages through, and answers and candidates only for a known connection', () => {
    assert.equal(unsafeSignalingMessage({ type: 'OPEN' }, () => false), undefined);
    assert.ok(unsafeSignalingMessage({ type: 'ERROR' }, () => false));
    const candidate = { type: 'CANDIDATE', src: 's', payload: { connectionId: 'dc_1', candidate: {} } };
    assert.ok(unsafeSignalingMessage(candidate, () => false));
    assert.equal(unsafeSignalingMessage(candidate, (src, id) => src === 's' && id === 'dc_1'), undefined);
    assert.ok(unsafeSignalingMessage({ type: 'NONSENSE', src: 's', payload: { connectionId: 'x' } }, () => true));
    assert.ok(unsafeSignalingMessage('OPEN', () => true));
  });

  it('cleans and bounds text from the network', () => {
    assert.equal(shownText('a\nb\u202ec\u0000'), 'a b c');
    assert.equal(shownText('x'.repeat(500), 10), `${'x'.repeat(10)}…`);
  });

  it('builds the PeerJS options from the settings and words each error for its side', () => {
    const lines: string[] = [];
    const o = peerOptions(signaling, [{ urls: ['turn:t'], username: 'u', credential: 'c' }, { urls: 'stun:s' }], (t) => lines.push(t));
    assert.deepEqual(o.config.iceServers, [{ urls: ['turn:t'], username: 'u', credential: 'c' }, { urls: 'stun:s' }]);
    assert.equal(o.secure, true);
    o.logFunction(2, 'offer for\nconnection', 'x');
    assert.deepEqual(lines, ['peerjs(2) offer for connection x']);
    assert.match(signalingErrorText('host', { type: 'network', message: 'down' }, signaling), /^Cannot reach the signaling server example\.org:443: down$/);
    assert.match(signalingErrorText('helper', { type: 'peer-unavailable', message: '' }, signaling), /No one is waiting/);
    assert.match(signalingErrorText('helper', { type: 'weird\nthing', message: '' }, signaling), /\(weird thing\)/);
  });
});
