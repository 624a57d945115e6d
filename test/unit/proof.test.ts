import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALPHABET, CODE_LENGTH, createInvitation, decodeInvitation } from '../../src/shared/invitation';
import {
  channelBinding,
  checkMediaProof,
  checkProof,
  derivePeerId,
  deriveProofKey,
  makeMediaProof,
  makeProof,
  newNonce,
  sdpFingerprints,
  verificationCode,
} from '../../src/shared/proof';

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

  it('gives no binding unless both SDPs have a fingerprint (both sides then refuse to prove)', () => {
    assert.equal(channelBinding(sdpA, ''), '');
    assert.equal(channelBinding(undefined, sdpB), '');
    assert.equal(channelBinding('v=0\r\na=setup:actpass\r\n', sdpB), '');
    assert.equal(channelBinding(sdpA, sdpB), 'sha-256 11:22:33,sha-256 aa:bb:cc');
  });

  it('binds the media connection separately: a proof over one media binding fails over another', async () => {
    const key = await deriveProofKey(secret);
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: channelBinding(sdpA, sdpB) };
    const media = channelBinding('a=fingerprint:sha-256 DD:EE\r\n', 'a=fingerprint:sha-256 44:55\r\n');
    const relayed = channelBinding('a=fingerprint:sha-256 DD:EE\r\n', 'a=fingerprint:sha-256 66:77\r\n');
    const mac = await makeMediaProof(key, t, media);
    assert.equal(await checkMediaProof(key, t, media, mac), true);
    assert.equal(await checkMediaProof(key, t, relayed, mac), false);
    assert.equal(await checkMediaProof(key, { ...t, hostNonce: newNonce() }, media, mac), false);
    // Not interchangeable with the handshake's proofs.
    assert.equal(await checkProof(key, 'helper', t, mac), false);
    assert.equal(await checkMediaProof(key, t, media, await makeProof(key, 'helper', t)), false);
  });

  it('admits none of 1,000 random codes: neither as typed codes nor as proof keys', async () => {
    const random = (bytes: Uint8Array) => crypto.getRandomValues(bytes);
    const { invitation } = createInvitation(random, new Date(), 30);
    const realKey = await deriveProofKey(invitation.secret);
    const realPeer = await derivePeerId(invitation.secret);
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: channelBinding(sdpA, sdpB) };
    let checksumPassed = 0;
    for (let i = 0; i < 1_000; i++) {
      // A code typed at random: the checksum stops nearly all of them (1 in 1024 gets through)...
      const chars = Array.from(crypto.getRandomValues(new Uint8Array(CODE_LENGTH)), (b) => ALPHABET[b % 32]).join('');
      const decoded = decodeInvitation(chars);
      if (decoded.ok) {
        checksumPassed++;
        // ...and one that does names another peer and makes another proof.
        assert.notEqual(await derivePeerId(decoded.invitation.secret), realPeer);
        const guessKey = await deriveProofKey(decoded.invitation.secret);
        assert.equal(await checkProof(realKey, 'helper', t, await makeProof(guessKey, 'helper', t)), false);
      }
      // A fresh random invitation's proof, the best a guesser who got past the checksum can do.
      const guess = createInvitation(random, new Date(), 30).invitation;
      const mac = await makeProof(await deriveProofKey(guess.secret), 'helper', t);
      assert.equal(await checkProof(realKey, 'helper', t, mac), false, `guess ${i} was admitted`);
    }
    assert.ok(checksumPassed < 10, `${checksumPassed} random codes passed the checksum`);
  });

  it('gives both sides the same six-digit verification code', async () => {
    const key = await deriveProofKey(secret);
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: '' };
    const code = await verificationCode(key, t);
    assert.match(code, /^\d{3} \d{3}$/);
    assert.equal(code, await verificationCode(key, t));
  });
});
