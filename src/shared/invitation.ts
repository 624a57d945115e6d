/**
 * The invitation code and the invitation file.
 *
 * A code is what the person who needs help reads out or pastes into a chat. It carries:
 * - 100 bits of secret (the whole security of the invitation rests on it),
 * - when it was created and for how long it is valid (minute resolution), so that a helper sees at once,
 *   without any network, whether it has expired,
 * - a CRC-10 check: every single mistyped character and every swap of two neighbours is caught before
 *   connecting (a character is a 5-bit burst, a swap a 10-bit burst; CRC-10 catches every burst up to 10).
 *
 * Written in Crockford's base32 (no I, L, O or U; those are read as 1, 1, 0 and rejected), in six groups
 * of five: `7KQ2M-9XH4C-...`. Case, spaces and dashes do not matter when it is typed back.
 *
 * Pure module: no Node, no DOM, no vscode.
 */

import { checkIceServers, checkSignaling, cleanDisplayName, withoutCredentials, type IceServer, type SignalingSettings } from './settings';

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VERSION = 1;
export const SECRET_BITS = 100;
const VERSION_BITS = 3;
const CREATED_BITS = 26; // minutes since EPOCH_MS: about 127 years
const LIFETIME_BITS = 11; // minutes, 1 to 2047
const CHECK_BITS = 10;
const PAYLOAD_BITS = VERSION_BITS + SECRET_BITS + CREATED_BITS + LIFETIME_BITS; // 140 = 28 characters
export const CODE_LENGTH = (PAYLOAD_BITS + CHECK_BITS) / 5; // 30 characters
const GROUP = 5;
/** 2024-01-01T00:00:00Z: the zero of the code's clock. */
const EPOCH_MS = Date.UTC(2024, 0, 1);
const MINUTE_MS = 60_000;
export const MAX_LIFETIME_MINUTES = 2 ** LIFETIME_BITS - 1;

/** What a code says once decoded. */
export interface Invitation {
  /** 100 random bits, in the low bits of 13 bytes (the top 4 bits of the first byte are 0). */
  readonly secret: Uint8Array;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export type DecodeResult =
  | { readonly ok: true; readonly invitation: Invitation; readonly code: string }
  | { readonly ok: false; readonly reason: 'incomplete' | 'tooLong' | 'badCharacter' | 'checksum' | 'version'; readonly message: string };

/** Generates a fresh invitation. `random` fills a buffer with cryptographically secure bytes. */
export function createInvitation(
  random: (bytes: Uint8Array) => void,
  now: Date,
  lifetimeMinutes: number,
): { invitation: Invitation; code: string } {
  const minutes = Math.min(Math.max(Math.round(lifetimeMinutes), 1), MAX_LIFETIME_MINUTES);
  const secret = new Uint8Array(13);
  random(secret);
  secret[0] = secret[0]! & 0x0f; // 4 + 12 * 8 = 100 bits
  const created = Math.floor((now.getTime() - EPOCH_MS) / MINUTE_MS);
  const invitation: Invitation = {
    secret,
    createdAt: new Date(EPOCH_MS + created * MINUTE_MS),
    expiresAt: new Date(EPOCH_MS + (created + minutes) * MINUTE_MS),
  };
  return { invitation, code: encodeInvitation(invitation) };
}

export function encodeInvitation(invitation: Invitation): string {
  const bits = new BitWriter();
  bits.write(VERSION, VERSION_BITS);
  for (let i = 0; i < 13; i++) bits.write(invitation.secret[i]!, i === 0 ? 4 : 8);
  const created = Math.round((invitation.createdAt.getTime() - EPOCH_MS) / MINUTE_MS);
  const lifetime = Math.round((invitation.expiresAt.getTime() - invitation.createdAt.getTime()) / MINUTE_MS);
  bits.write(created, CREATED_BITS);
  bits.write(lifetime, LIFETIME_BITS);
  const payload = bits.symbols();
  const symbols = [...payload, ...checkSymbols(payload)];
  return formatSymbols(symbols);
}

/** Reads what a person typed or pasted. Lenient on case, spaces, dashes and look-alikes; strict on the rest. */
export function decodeInvitation(input: string): DecodeResult {
  const symbols: number[] = [];
  for (const raw of input.toUpperCase()) {
    if (raw === '-' || raw === ' ' || raw === '\t' || raw === '\n' || raw === '\r') continue;
    const ch = raw === 'O' ? '0' : raw === 'I' || raw === 'L' ? '1' : raw;
    const value = ALPHABET.indexOf(ch);
    if (value < 0) {
      return { ok: false, reason: 'badCharacter', message: `"${raw}" is not part of an invitation code.` };
    }
    symbols.push(value);
  }
  if (symbols.length < CODE_LENGTH) {
    const left = CODE_LENGTH - symbols.length;
    return { ok: false, reason: 'incomplete', message: `${left} more character${left === 1 ? '' : 's'} to go.` };
  }
  if (symbols.length > CODE_LENGTH) {
    return { ok: false, reason: 'tooLong', message: `An invitation code has ${CODE_LENGTH} characters; this has ${symbols.length}.` };
  }
  const payload = symbols.slice(0, -2);
  const check = checkSymbols(payload);
  if (check[0] !== symbols[CODE_LENGTH - 2] || check[1] !== symbols[CODE_LENGTH - 1]) {
    return { ok: false, reason: 'checksum', message: 'This code has a typo: check it against the one you were sent.' };
  }
  const bits = new BitReader(payload);
  if (bits.read(VERSION_BITS) !== VERSION) {
    return { ok: false, reason: 'version', message: 'This invitation was made by another version of Remote Assist.' };
  }
  const secret = new Uint8Array(13);
  for (let i = 0; i < 13; i++) secret[i] = bits.read(i === 0 ? 4 : 8);
  const created = bits.read(CREATED_BITS);
  const lifetime = bits.read(LIFETIME_BITS);
  return {
    ok: true,
    code: formatSymbols(symbols),
    invitation: {
      secret,
      createdAt: new Date(EPOCH_MS + created * MINUTE_MS),
      expiresAt: new Date(EPOCH_MS + (created + lifetime) * MINUTE_MS),
    },
  };
}

export function isExpired(invitation: Invitation, now: Date): boolean {
  return now.getTime() >= invitation.expiresAt.getTime();
}

/**
 * Why Join refuses an invitation before connecting (undefined: it may go ahead). An expired code never reaches
 * the network: the helper is told at once, in words that say what to do. `formatTime` renders the expiry time
 * (the extension passes the user's locale).
 */
export function joinRefusal(invitation: Invitation, now: Date, formatTime: (date: Date) => string = (d) => d.toISOString()): string | undefined {
  if (isExpired(invitation, now)) return `This invitation expired at ${formatTime(invitation.expiresAt)}. Ask for a new one.`;
  return undefined;
}

function formatSymbols(symbols: readonly number[]): string {
  const text = symbols.map((s) => ALPHABET[s]).join('');
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += GROUP) groups.push(text.slice(i, i + GROUP));
  return groups.join('-');
}

/** CRC-10 (polynomial x^10 + x^9 + x^5 + x^4 + x + 1, 0x233) over the payload's bits, as two symbols. */
function checkSymbols(payload: readonly number[]): [number, number] {
  let crc = 0;
  for (const symbol of payload) {
    for (let bit = 4; bit >= 0; bit--) {
      const inBit = (symbol >> bit) & 1;
      const top = (crc >> 9) & 1;
      crc = (crc << 1) & 0x3ff;
      if (top ^ inBit) crc ^= 0x233;
    }
  }
  return [(crc >> 5) & 31, crc & 31];
}

class BitWriter {
  private readonly bits: number[] = [];
  write(value: number, width: number): void {
    if (value < 0 || value >= 2 ** width) throw new RangeError(`${value} does not fit in ${width} bits`);
    for (let i = width - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
  }
  symbols(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i += 5) {
      let v = 0;
      for (let j = 0; j < 5; j++) v = v * 2 + (this.bits[i + j] ?? 0);
      out.push(v);
    }
    return out;
  }
}

class BitReader {
  private position = 0;
  constructor(private readonly symbols: readonly number[]) {}
  read(width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++, this.position++) {
      const symbol = this.symbols[Math.floor(this.position / 5)] ?? 0;
      v = v * 2 + ((symbol >> (4 - (this.position % 5))) & 1);
    }
    return v;
  }
}

export type { IceServer, SignalingSettings } from './settings';

/** The `.remoteassist` file: JSON, as MSRA's `.msrcincident`. It holds the code, so it is as secret as the code. */
export interface InvitationFile {
  readonly type: 'remote-assist-invitation';
  readonly version: 1;
  readonly code: string;
  readonly hostName: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
}

export const INVITATION_FILE_EXTENSION = 'remoteassist';

/**
 * The file for an open invitation. TURN user names and credentials are long-lived secrets of the host's settings,
 * and the file goes to another person: they are left out unless `includeCredentials` says the host agreed.
 */
export function makeInvitationFile(
  code: string,
  invitation: Invitation,
  hostName: string,
  signaling: SignalingSettings,
  iceServers: readonly IceServer[],
  options: { readonly includeCredentials?: boolean } = {},
): InvitationFile {
  return {
    type: 'remote-assist-invitation',
    version: 1,
    code,
    hostName,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
    signaling,
    iceServers: options.includeCredentials ? iceServers : withoutCredentials(iceServers),
  };
}

export type ParseFileResult =
  | { readonly ok: true; readonly file: InvitationFile; readonly invitation: Invitation }
  | { readonly ok: false; readonly message: string };

/**
 * Reads an invitation file's text. The code inside it is the authority on times; the signaling server and the ICE
 * servers go through the same validators as the settings and the panel's (settings.ts), so a file that passes here
 * is never refused by the panel; the host's name is cleaned and bounded as the protocol's names are.
 */
export function parseInvitationFile(text: string): ParseFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This is not an invitation file (it is not JSON).' };
  }
  if (!isRecord(json) || json['type'] !== 'remote-assist-invitation') {
    return { ok: false, message: 'This is not a Remote Assist invitation file.' };
  }
  if (json['version'] !== 1) return { ok: false, message: 'This invitation file was made by another version of Remote Assist.' };
  const code = json['code'];
  if (typeof code !== 'string') return { ok: false, message: 'The invitation file has no code.' };
  const decoded = decodeInvitation(code);
  if (!decoded.ok) return { ok: false, message: `The code in the invitation file is damaged: ${decoded.message}` };
  // The file's own values are never quoted in these messages: they would reach a notification.
  const signaling = checkSignaling(json['signaling']);
  if (!signaling.ok) {
    const what = signaling.field ? `its ${signaling.field} ${signaling.problem}` : `it ${signaling.problem}`;
    return { ok: false, message: `The invitation file has no valid signaling server: ${what}. Ask for a new invitation.` };
  }
  const ice = checkIceServers(json['iceServers'] ?? []);
  if (!ice.ok) {
    return { ok: false, message: `The invitation file's ICE servers are not valid: iceServers${ice.field} ${ice.problem}. Ask for a new invitation.` };
  }
  const rawName = json['hostName'];
  if (rawName !== undefined && typeof rawName !== 'string') return { ok: false, message: "The invitation file's host name is not text." };
  return {
    ok: true,
    invitation: decoded.invitation,
    file: {
      type: 'remote-assist-invitation',
      version: 1,
      code: decoded.code,
      hostName: cleanDisplayName(rawName ?? '') || 'Unknown',
      createdAt: decoded.invitation.createdAt.toISOString(),
      expiresAt: decoded.invitation.expiresAt.toISOString(),
      signaling: signaling.value,
      iceServers: ice.value,
    },
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
