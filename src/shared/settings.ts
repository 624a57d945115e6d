/**
 * What decides where a session connects and who it says it is: the signaling server, the ICE servers, the
 * display names, and the settings that hold them. One validator per type, used by the extension (readConfig), the
 * invitation file's reader (parseInvitationFile) and the panel (parseToPanel) alike: a value that passes one
 * passes all three, and each returns the value it rebuilt, never the one it was given.
 *
 * These values end up in places that interpret text: the signaling host in the panel's Content-Security-Policy and
 * in notifications (which render `[label](command:…)` as a link that runs a command), the names in prompts and in
 * the status bar. So a host is a host name or an IP literal and nothing else, a path is a path, and names are
 * cleaned and bounded.
 *
 * Pure module: no Node, no DOM, no vscode (`URL` is in both Node and browsers).
 */

import { cleanName } from './protocol';
import type { KeyboardMode } from './keys';

/** Signaling settings travel in the invitation file so that a helper with other settings still connects. */
export interface SignalingSettings {
  /** A lower-case LDH host name (IDNs in punycode), a dotted IPv4 address, or a bracketed IPv6 address. */
  readonly host: string;
  readonly port: number;
  /** Starts with `/`; letters, digits, `-._~/` and `%XX`. */
  readonly path: string;
  readonly secure: boolean;
  /** The PeerServer's API key: letters, digits and `-._~`. */
  readonly key: string;
}

export interface IceServer {
  /** `stun:`, `stuns:`, `turn:` or `turns:` URLs (RFC 7064/7065), host validated as the signaling host is. */
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** A validator's answer: the rebuilt value, or which field is wrong and what it must be (never the bad value). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly field: string; readonly problem: string };

/** Names (the host's and the helper's) as the protocol carries them (`MAX_NAME` in protocol.ts). */
export const MAX_NAME = 100;
export const MAX_ICE_SERVERS = 10;
const MAX_URLS = 10;
const MAX_URL = 500;
const MAX_PATH = 200;
const MAX_SECRET = 512;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;
/** ASCII that may appear in what a person types as a host (IDN letters beyond ASCII go to URL's IDNA). */
const HOST_ASCII = /^[A-Za-z0-9.-]$/;
const PATH = /^\/(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*$/;
const KEY = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * A host name or an IP literal, normalised as a URL's host (lower case, IDN to punycode, IPv4 in dotted decimal,
 * IPv6 bracketed and compressed); undefined for anything else. Idempotent: its output passes it unchanged.
 */
export function checkHost(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) return undefined;
  let candidate = value;
  if (value.startsWith('[') || value.includes(':')) {
    // An IPv6 literal, bracketed or not; nothing else may hold a colon.
    const inner = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
    if (!/^[0-9A-Fa-f:.]+$/.test(inner)) return undefined;
    candidate = `[${inner}]`;
  } else {
    for (const ch of value) {
      if (ch.charCodeAt(0) < 0x80 ? !HOST_ASCII.test(ch) : /[\p{C}\p{Z}]/u.test(ch)) return undefined;
    }
  }
  let url: URL;
  try {
    url = new URL(`http://${candidate}/`);
  } catch {
    return undefined;
  }
  const host = url.hostname;
  // The URL parser must have read exactly a host: nothing moved into a user, port or path.
  if (url.username || url.password || url.port || url.pathname !== '/' || url.search || url.hash) return undefined;
  if (IPV6.test(host) || IPV4.test(host)) return host;
  if (host.length > 253) return undefined;
  const labels = host.split('.');
  // All-numeric last label: an IPv4 form the parser did not take as one; not a name either.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return labels.every((label) => LABEL.test(label)) ? host : undefined;
}

export function checkPort(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535 ? value : undefined;
}

export function checkPath(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_PATH && PATH.test(value) ? value : undefined;
}

export function checkKey(value: unknown): string | undefined {
  return typeof value === 'string' && KEY.test(value) ? value : undefined;
}

/** What each signaling field must be, in words for an error message. */
const SIGNALING_PROBLEMS = {
  host: 'must be a host name or an IP address (letters, digits, dots and hyphens; IPv6 in brackets)',
  port: 'must be a whole number from 1 to 65535',
  path: `must be a URL path: a "/" then letters, digits, "-", ".", "_", "~", "/" or %XX, at most ${MAX_PATH} characters`,
  secure: 'must be true or false',
  key: 'must be 1 to 64 letters, digits, "-", ".", "_" or "~"',
} as const;

/** Checks signaling settings from any source. `field` in a failure is one of host, port, path, secure, key. */
export function checkSignaling(value: unknown): Checked<SignalingSettings> {
  if (!isObject(value)) return { ok: false, field: '', problem: 'must be an object with host, port, path, secure and key' };
  const host = checkHost(value['host']);
  if (host === undefined) return fail('host');
  const port = checkPort(value['port']);
  if (port === undefined) return fail('port');
  const path = checkPath(value['path']);
  if (path === undefined) return fail('path');
  const secure = value['secure'];
  if (typeof secure !== 'boolean') return fail('secure');
  const key = checkKey(value['key']);
  if (key === undefined) return fail('key');
  return { ok: true, value: { host, port, path, secure, key } };
}

function fail(field: keyof typeof SIGNALING_PROBLEMS): { ok: false; field: string; problem: string } {
  return { ok: false, field, problem: SIGNALING_PROBLEMS[field] };
}

/** One `stun:`/`turn:` URL, rebuilt with its host normalised; undefined if it is anything else. */
export function checkIceUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_URL) return undefined;
  const m = /^(stuns?|turns?):(\[[^\]]*\]|[^:?[\]]+)(?::(\d{1,5}))?(\?transport=(?:udp|tcp))?$/i.exec(value);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = checkHost(m[2]);
  const port = m[3] === undefined ? undefined : checkPort(Number(m[3]));
  if (host === undefined || (m[3] !== undefined && port === undefined)) return undefined;
  // RFC 7064: stun URIs have no query; RFC 7065: turn URIs may name the transport.
  if (m[4] && !scheme.startsWith('turn')) return undefined;
  return `${scheme}:${host}${port === undefined ? '' : `:${port}`}${m[4] ? m[4].toLowerCase() : ''}`;
}

/** A TURN user name or credential: printable, bounded. */
function checkSecret(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SECRET && !/\p{Cc}/u.test(value) ? value : undefined;
}

/** Checks an `iceServers` list from any source. `field` in a failure is like `[2].urls`. */
export function checkIceServers(value: unknown): Checked<IceServer[]> {
  if (!Array.isArray(value)) return { ok: false, field: '', problem: 'must be a list of { urls, username?, credential? }' };
  if (value.length > MAX_ICE_SERVERS) return { ok: false, field: '', problem: `may hold at most ${MAX_ICE_SERVERS} servers` };
  const out: IceServer[] = [];
  for (const [i, server] of value.entries()) {
    if (!isObject(server)) return { ok: false, field: `[${i}]`, problem: 'must be an object with urls' };
    const raw = server['urls'];
    const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.length > 0 && raw.length <= MAX_URLS ? (raw as unknown[]) : undefined;
    const urls = list?.map(checkIceUrl);
    if (!urls || urls.some((u) => u === undefined)) {
      return { ok: false, field: `[${i}].urls`, problem: `must be stun:, stuns:, turn: or turns: URLs of a host name or IP address (at most ${MAX_URLS})` };
    }
    const username = server['username'];
    const credential = server['credential'];
    if (username !== undefined && checkSecret(username) === undefined) return { ok: false, field: `[${i}].username`, problem: `must be text of at most ${MAX_SECRET} characters` };
    if (credential !== undefined && checkSecret(credential) === undefined) return { ok: false, field: `[${i}].credential`, problem: `must be text of at most ${MAX_SECRET} characters` };
    out.push({
      urls: typeof raw === 'string' ? urls[0]! : (urls as string[]),
      ...(username !== undefined ? { username: username as string } : {}),
      ...(credential !== undefined ? { credential: credential as string } : {}),
    });
  }
  return { ok: true, value: out };
}

/**
 * Which ICE candidates a side may use (RTCPeerConnection's `iceTransportPolicy`): `all`, or `relay` for TURN relays
 * only (neither side learns the other's addresses; a network that allows nothing else still works). Each side
 * chooses its own: the invitation file does not carry it.
 */
export type IceTransportPolicy = 'all' | 'relay';

/** An ICE transport policy from any source; undefined for anything but `all` and `relay`. */
export function checkIceTransportPolicy(value: unknown): IceTransportPolicy | undefined {
  return value === 'all' || value === 'relay' ? value : undefined;
}

/** The ICE servers without their TURN user names and credentials (what an invitation file carries by default). */
export function withoutCredentials(servers: readonly IceServer[]): IceServer[] {
  return servers.map((s) => ({ urls: typeof s.urls === 'string' ? s.urls : [...s.urls] }));
}

export function hasCredentials(servers: readonly IceServer[]): boolean {
  return servers.some((s) => s.username !== undefined || s.credential !== undefined);
}

/**
 * A display name (the host's in an invitation file, the helper's from the settings), cleaned as the protocol
 * cleans names (no control, line-break, bidirectional or zero-width characters) and cut to `MAX_NAME` UTF-16 units
 * without splitting a surrogate pair. Idempotent.
 */
export function cleanDisplayName(value: string): string {
  let name = cleanName(value);
  if (name.length > MAX_NAME) {
    name = name.slice(0, MAX_NAME);
    if (/[\uD800-\uDBFF]$/.test(name)) name = name.slice(0, -1);
    name = name.trimEnd();
  }
  return name;
}

/** True for a name that `cleanDisplayName` leaves as it is (what the panel accepts). */
export function isCleanDisplayName(value: unknown): value is string {
  return typeof value === 'string' && cleanDisplayName(value) === value;
}

// ---------------------------------------------------------------------------------------------------------------
// The settings

export const SECTION = 'remoteAssist';

export const Settings = {
  signalingHost: 'signaling.host',
  signalingPort: 'signaling.port',
  signalingPath: 'signaling.path',
  signalingSecure: 'signaling.secure',
  signalingKey: 'signaling.key',
  iceServers: 'iceServers',
  iceTransportPolicy: 'iceTransportPolicy',
  lifetimeMinutes: 'invitation.lifetimeMinutes',
  displayName: 'displayName',
  consentTimeoutSeconds: 'consentTimeoutSeconds',
  maxFps: 'capture.maxFps',
  auditWriteFile: 'audit.writeFile',
  keyboardMode: 'input.keyboardMode',
  laserPointer: 'host.laserPointer',
} as const;

/**
 * The settings that decide where a session connects, how long an invitation lives, whether it is audited and the
 * name the other side is shown. A workspace (a cloned repository's .vscode/settings.json) must not change them:
 * they are `application`-scoped in package.json, and read from the user's settings only even where an editor
 * ignores scopes.
 */
export const USER_ONLY_SETTINGS: readonly string[] = [
  Settings.signalingHost,
  Settings.signalingPort,
  Settings.signalingPath,
  Settings.signalingSecure,
  Settings.signalingKey,
  Settings.iceServers,
  Settings.iceTransportPolicy,
  Settings.lifetimeMinutes,
  Settings.displayName,
  Settings.auditWriteFile,
];

/** The part of VS Code's `WorkspaceConfiguration.inspect()` answer that the reader uses. */
export interface Inspected {
  readonly defaultValue?: unknown;
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

/** Where settings come from: `vscode.workspace.getConfiguration(SECTION)` in the extension, a fake in tests. */
export interface SettingsSource {
  inspect(key: string): Inspected | undefined;
}

/** The settings, checked. `displayName` is empty when the user set none (the extension fills in a default). */
export interface UserSettings {
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  /** `relay`: connect through the TURN servers among `iceServers` only. */
  readonly iceTransportPolicy: IceTransportPolicy;
  readonly lifetimeMinutes: number;
  readonly displayName: string;
  readonly consentTimeoutSeconds: number;
  readonly maxFps: number;
  readonly auditWriteFile: boolean;
  /** How the helper's keys travel, as the panel starts (it can switch for the session). */
  readonly keyboardMode: KeyboardMode;
  /** Whether a helper may show a laser pointer on the host's screen, as a session starts (the session view switches it). */
  readonly laserPointer: boolean;
}

export type ReadSettingsResult =
  | { readonly ok: true; readonly settings: UserSettings }
  | { readonly ok: false; readonly setting: string; readonly message: string };

/** The value a setting has: user-level (or the default) for USER_ONLY_SETTINGS, the usual precedence otherwise. */
export function settingValue(source: SettingsSource, key: string): unknown {
  const i = source.inspect(key);
  if (!i) return undefined;
  if (USER_ONLY_SETTINGS.includes(key)) return i.globalValue ?? i.defaultValue;
  return i.workspaceFolderValue ?? i.workspaceValue ?? i.globalValue ?? i.defaultValue;
}

class SettingError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`The setting "${setting}" ${problem}. Correct it in your user settings.`);
  }
}

/** Reads and checks every setting; the first invalid one is named in the answer, never replaced by a default. */
export function readSettings(source: SettingsSource): ReadSettingsResult {
  const full = (key: string) => `${SECTION}.${key}`;
  const get = (key: string) => settingValue(source, key);
  const number = (key: string, min: number, max: number, integer: boolean): number => {
    const v = get(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      throw new SettingError(full(key), `must be a ${integer ? 'whole ' : ''}number from ${min} to ${max}`);
    }
    return v;
  };
  const boolean = (key: string): boolean => {
    const v = get(key);
    if (typeof v !== 'boolean') throw new SettingError(full(key), 'must be true or false');
    return v;
  };
  try {
    const signaling = checkSignaling({
      host: get(Settings.signalingHost),
      port: get(Settings.signalingPort),
      path: get(Settings.signalingPath),
      secure: get(Settings.signalingSecure),
      key: get(Settings.signalingKey),
    });
    if (!signaling.ok) throw new SettingError(full(`signaling.${signaling.field}`), signaling.problem);
    const ice = checkIceServers(get(Settings.iceServers));
    if (!ice.ok) throw new SettingError(full(Settings.iceServers), `${ice.field ? `(${ice.field}) ` : ''}${ice.problem}`);
    const iceTransportPolicy = checkIceTransportPolicy(get(Settings.iceTransportPolicy));
    if (iceTransportPolicy === undefined) throw new SettingError(full(Settings.iceTransportPolicy), 'must be "all" or "relay"');
    const name = get(Settings.displayName) ?? '';
    if (typeof name !== 'string') throw new SettingError(full(Settings.displayName), 'must be text');
    if (cleanName(name).length > MAX_NAME) throw new SettingError(full(Settings.displayName), `must be at most ${MAX_NAME} characters`);
    return {
      ok: true,
      settings: {
        signaling: signaling.value,
        iceServers: ice.value,
        iceTransportPolicy,
        lifetimeMinutes: number(Settings.lifetimeMinutes, 1, 1440, true),
        displayName: cleanDisplayName(name),
        consentTimeoutSeconds: number(Settings.consentTimeoutSeconds, 5, 600, true),
        maxFps: number(Settings.maxFps, 1, 240, false),
        auditWriteFile: boolean(Settings.auditWriteFile),
        keyboardMode: keyboardMode(get(Settings.keyboardMode), full(Settings.keyboardMode)),
        laserPointer: boolean(Settings.laserPointer),
      },
    };
  } catch (error) {
    if (error instanceof SettingError) return { ok: false, setting: error.setting, message: error.message };
    throw error;
  }
}

function keyboardMode(value: unknown, setting: string): KeyboardMode {
  if (value === 'text' || value === 'physical') return value;
  throw new SettingError(setting, 'must be "text" or "physical"');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
