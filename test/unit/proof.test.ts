import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelBinding, checkProof, derivePeerId, deriveProofKey, makeProof, newNonce, sdpFingerprints, verificationCode } from '../../src/shared/proof';

const secret = new Uint8Array(13).fill(7);
const sdpA = 'v=0\r\na=fingerprint:sha-256 AA:BB:CC\r\na=setup:actpass\r\n';
const sdpB = 'v=0\r\na=fingerprint:sha-256 11:22:33\r\n';

describe('proof', () => {
  it('derives a stable peer id that does not reveal the secret', async () => {
    const id = await derivePeerId(secret);
    assert.match(id, /^ra-[0-9a-f]{32}$/);
    assert.equal(id, await derivePeerId(secret));
    assert.notEqual(id, await derivePeerId(new Uint8Array(13).fill(8)));
  });

  it('accepts the right proof and refuses a wrong key, a wrong role, another nonce or another binding', async () => {
    const key = await deriveProofKey(secret);
    const other = await deriveProofKey(new Uint8Array(13).fill(9));
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: channelBinding(sdpA, sdpB) };
    const mac = await makeProof(key, 'helper', t);
    assert.equal(await checkProof(key, 'helper', t, mac), true);
    assert.equal(await checkProof(key, 'host', t, mac), false);
    assert.equal(await checkProof(other, 'helper', t, mac), false);
    assert.equal(await checkProof(key, 'helper', { ...t, hostNonce: newNonce() }, mac), false);
    assert.equal(await checkProof(key, 'helper', { ...t, binding: channelBinding(sdpA, sdpA) }, mac), false);
    assert.equal(await checkProof(key, 'helper', t, 'not base64!'), false);
    assert.equal(await checkProof(key, 'helper', t, ''), false);
  });

  it('binds to both fingerprints, whichever side computes it', () => {
    assert.deepEqual(sdpFingerprints(sdpA), ['sha-256 aa:bb:cc']);
    assert.equal(channelBinding(sdpA, sdpB), channelBinding(sdpB, sdpA));
    assert.equal(channelBinding(undefined, null), '');
  });

  it('gives both sides the same six-digit verification code', async () => {
    const key = await deriveProofKey(secret);
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: '' };
    const code = await verificationCode(key, t);
    assert.match(code, /^\d{3} \d{3}$/);
    assert.equal(code, await verificationCode(key, t));
  });
});
