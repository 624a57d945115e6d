/**
 * Proving that the helper holds the invitation's secret without sending it, and the host likewise.
 *
 * Both sides derive keys from the 100-bit secret with HMAC-SHA256 under fixed labels:
 * - the host's PeerJS id (what the signaling server sees; one-way, so the server learns nothing of the secret),
 * - the proof key.
 * Then a challenge and response with fresh nonces both ways, bound to both peers' DTLS fingerprints
 * (read from the SDPs) so that a relay that terminates DTLS on each side cannot pass it on:
 *
 *   helper -> host   hello     { helperNonce }
 *   host   -> helper challenge { hostNonce }
 *   helper -> host   proof     { mac = HMAC(k, "helper" | transcript) }
 *   host   -> helper welcome   { mac = HMAC(k, "host" | transcript) }     (the helper checks the host too)
 *   helper -> host   mediaProof { mac = HMAC(k, "media" | transcript | media binding) }
 *
 * PeerJS gives every connection its own RTCPeerConnection, hence its own DTLS session: the `media` connection
 * (the screen) is bound separately, over the already authenticated `control` connection, and the host sends no
 * frame until it has checked that proof.
 *
 * Resuming after a network cut (SECURITY.md, "Resuming after a network cut"): once the helper's proof checked out,
 * both sides derive a resume key with HKDF-SHA256 from the proof key, salted with both nonces and bound to the first
 * control connection's fingerprints (`deriveResumeKey`). Only the admitted helper knows those nonces (they travelled
 * inside DTLS), so the invitation's code alone cannot resume. A resume runs the same challenge and response with
 * fresh nonces over the new connections, under the roles `resume-helper` / `resume-host` and the resume key:
 *
 *   helper -> host   resume     { helperNonce' }
 *   host   -> helper challenge  { hostNonce' }
 *   helper -> host   proof      { mac = HMAC(rk, "resume-helper" | transcript') }
 *   host   -> helper resumed    { mac = HMAC(rk, "resume-host" | transcript') }
 *   helper -> host   mediaProof { mac = HMAC(rk, "media" | transcript' | media binding) }
 *
 * Uses WebCrypto (`crypto.subtle`), present in Node 20, Electron and the webview alike.
 */

const LABEL = 'remote-assist/v1';
const encoder = new TextEncoder();

/** A copy on a plain ArrayBuffer, which is what WebCrypto's types ask for. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

async function hmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', own(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(message)));
}

/** The host's PeerJS id: `ra-` and 32 hex digits (128 bits) derived from the secret. */
export async function derivePeerId(secret: Uint8Array): Promise<string> {
  const digest = await hmac(secret, `${LABEL}/peer-id`);
  return `ra-${toHex(digest.subarray(0, 16))}`;
}

/** The key both proofs are made with. */
export async function deriveProofKey(secret: Uint8Array): Promise<Uint8Array> {
  return hmac(secret, `${LABEL}/proof-key`);
}

/**
 * The session's resume key: HKDF-SHA256 (RFC 5869) with the proof key as input keying material, both nonces of the
 * first handshake as salt, and the label and the first control connection's binding as info. Never sent.
 */
export async function deriveResumeKey(proofKey: Uint8Array, t: Transcript): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', own(proofKey), 'HKDF', false, ['deriveBits']);
  const salt = own(encoder.encode(`${t.helperNonce}|${t.hostNonce}`));
  const info = own(encoder.encode(`${LABEL}/resume-key|${t.binding}`));
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, ikm, 256));
}

export interface Transcript {
  readonly helperNonce: string;
  readonly hostNonce: string;
  /** The two DTLS fingerprints, sorted, joined; the same string on both sides when no one sits between. */
  readonly binding: string;
}

/**
 * Who a MAC speaks for: the helper's and the host's proofs (`resume-…` when resuming, with the resume key), and the
 * helper's proof of its media connection.
 */
export type ProofRole = 'helper' | 'host' | 'resume-helper' | 'resume-host';
type Role = ProofRole | 'media';

function transcriptText(role: Role, t: Transcript, extra?: string): string {
  return [LABEL, role, t.helperNonce, t.hostNonce, t.binding, ...(extra === undefined ? [] : [extra])].join('|');
}

export async function makeProof(proofKey: Uint8Array, role: ProofRole, t: Transcript): Promise<string> {
  return toBase64(await hmac(proofKey, transcriptText(role, t)));
}

/** Constant-time check (WebCrypto's verify) of the other side's proof. */
export async function checkProof(proofKey: Uint8Array, role: ProofRole, t: Transcript, mac: string): Promise<boolean> {
  return verifyMac(proofKey, transcriptText(role, t), mac);
}

/** The helper's proof that the media connection with `mediaBinding` is its own (made once the handshake is done). */
export async function makeMediaProof(proofKey: Uint8Array, t: Transcript, mediaBinding: string): Promise<string> {
  return toBase64(await hmac(proofKey, transcriptText('media', t, mediaBinding)));
}

export async function checkMediaProof(proofKey: Uint8Array, t: Transcript, mediaBinding: string, mac: string): Promise<boolean> {
  return verifyMac(proofKey, transcriptText('media', t, mediaBinding), mac);
}

async function verifyMac(proofKey: Uint8Array, text: string, mac: string): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(mac);
  } catch {
    return false;
  }
  if (bytes.length !== 32) return false;
  const k = await crypto.subtle.importKey('raw', own(proofKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', k, own(bytes), encoder.encode(text));
}

export function newNonce(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return toBase64(bytes);
}

/** The `a=fingerprint:` values of an SDP, lower-cased. */
export function sdpFingerprints(sdp: string | undefined | null): string[] {
  if (!sdp) return [];
  const out: string[] = [];
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$/gm)) {
    out.push(`${match[1]!.toLowerCase()} ${match[2]!.toLowerCase()}`);
  }
  return out;
}

/**
 * Binding string from the local and remote SDPs: order-independent, so both peers compute the same. Empty
 * when either SDP has no fingerprint (no DTLS, or not negotiated yet): both sides refuse to prove over that.
 */
export function channelBinding(localSdp: string | undefined | null, remoteSdp: string | undefined | null): string {
  const local = sdpFingerprints(localSdp);
  const remote = sdpFingerprints(remoteSdp);
  if (local.length === 0 || remote.length === 0) return '';
  return [...new Set([...local, ...remote])].sort().join(',');
}

/** A short code both people can compare by voice: 6 digits from the transcript. */
export async function verificationCode(proofKey: Uint8Array, t: Transcript): Promise<string> {
  const digest = await hmac(proofKey, transcriptText('host', t) + '|verify');
  const n = ((digest[0]! << 16) | (digest[1]! << 8) | digest[2]!) % 1_000_000;
  const s = n.toString().padStart(6, '0');
  return `${s.slice(0, 3)} ${s.slice(3)}`;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
