/**
 * Is there an X display we can use? Asked before anything loads nut-js: on Linux, libnut's first call
 * without a reachable X server prints "Could not open main display" and segfaults the whole process.
 *
 * The check follows libxcb's own rules (`_xcb_parse_display` and `_xcb_open`, which Xlib and so libnut use),
 * so that it says yes exactly when XOpenDisplay can at least reach the server. It cannot see X authorization:
 * a server that refuses our cookie still crashes the agent, which is one reason the agent is a child process.
 *
 * No nut-js and no vscode here; Node's net, fs and the environment only.
 */

import { readFile } from 'node:fs/promises';
import * as net from 'node:net';

export type DisplayCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Where the X server of a DISPLAY value listens. */
export type DisplayAddress =
  | {
      readonly kind: 'unix';
      readonly display: number;
      readonly screen: number;
      /** The socket file; Linux servers also listen on the abstract socket of the same name. */
      readonly path: string;
      /** libxcb falls back to TCP on localhost when `:N` has no local socket (not for `unix:N` or `unix/...`). */
      readonly tcpFallback: boolean;
    }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly display: number; readonly screen: number };

const X_TCP_PORT = 6000;
const X_UNIX_BASE = '/tmp/.X11-unix/X';
const CONNECT_TIMEOUT_MS = 2000;
const TCP_PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'inet', 'inet6']);

/**
 * Parses a DISPLAY value: `[protocol/][host]:display[.screen]`, e.g. `:0`, `:99.0`, `unix:0`, `localhost:10.0`
 * (ssh -X), `host:1`, `[::1]:0`, `tcp/host:0`. Undefined when libxcb would refuse it as well.
 */
export function parseDisplay(value: string): DisplayAddress | undefined {
  let rest = value.trim();
  let protocol: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(0, slash).toLowerCase();
    rest = rest.slice(slash + 1);
    if (protocol !== 'unix' && !TCP_PROTOCOLS.has(protocol)) return undefined;
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return undefined;
  const numbers = /^(\d+)(?:\.(\d+))?$/.exec(rest.slice(colon + 1));
  if (!numbers) return undefined;
  const display = Number(numbers[1]);
  const screen = numbers[2] === undefined ? 0 : Number(numbers[2]);
  if (display > 0xffff - X_TCP_PORT) return undefined;

  let host = rest.slice(0, colon);
  if (host.length > 1 && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);

  if (protocol !== 'unix' && host !== '' && host !== 'unix') {
    return { kind: 'tcp', host, port: X_TCP_PORT + display, display, screen };
  }
  if (protocol !== undefined && TCP_PROTOCOLS.has(protocol)) {
    // `tcp/:0`: libxcb connects to localhost over TCP.
    return { kind: 'tcp', host: 'localhost', port: X_TCP_PORT + display, display, screen };
  }
  return { kind: 'unix', display, screen, path: `${X_UNIX_BASE}${display}`, tcpFallback: protocol === undefined && host === '' };
}

/** The user-facing reason there is no usable display, or undefined when the environment names one. */
export function missingDisplayMessage(env: NodeJS.ProcessEnv): string | undefined {
  if (env['DISPLAY']?.trim()) return undefined;
  if (env['WAYLAND_DISPLAY']) {
    return 'This is a Wayland session without X11 (WAYLAND_DISPLAY is set, DISPLAY is not). Remote Assist needs X11 or XWayland ' +
      'to share the screen and to drive the mouse and keyboard: enable XWayland or log in to an X11 session.';
  }
  return 'No X display: the DISPLAY environment variable is not set. Remote Assist shares an X11 desktop; ' +
    'start VS Code from a graphical X11 session (on a headless machine: start Xvfb and set DISPLAY, e.g. DISPLAY=:99).';
}

/**
 * What the user should know about a display that works but not wholly: in a Wayland session DISPLAY names
 * XWayland, which sees only the windows of X11 programs, so the helper would see the rest of the desktop as
 * empty and could not click into it. Undefined when there is nothing to say (an X11 session, or no DISPLAY, which
 * `missingDisplayMessage` explains). Linux and the BSDs only: the caller decides where to ask.
 */
export function waylandSessionWarning(env: NodeJS.ProcessEnv): string | undefined {
  if (!env['DISPLAY']?.trim()) return undefined;
  const sessionType = env['XDG_SESSION_TYPE']?.trim().toLowerCase();
  // An explicit x11 session wins over a stray WAYLAND_DISPLAY (a nested compositor started from X, say).
  if (sessionType === 'x11') return undefined;
  if (sessionType !== 'wayland' && !env['WAYLAND_DISPLAY']?.trim()) return undefined;
  return 'This is a Wayland session: Remote Assist shares it through XWayland, so only X11 (XWayland) windows will be seen and ' +
    'controlled; native Wayland windows (often the whole desktop, the panels and most GNOME or KDE apps) stay hidden and ' +
    'out of reach. For full sharing, log in to an X11 session ("GNOME on Xorg" or "Plasma (X11)" at the login screen).';
}

/**
 * Checks that an X server answers at DISPLAY (on Linux and other X11 systems). On Windows and macOS there is
 * always a display to capture and drive, so the answer is yes.
 */
export async function checkDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<DisplayCheck> {
  if (platform === 'win32' || platform === 'darwin') return { ok: true };
  const missing = missingDisplayMessage(env);
  if (missing !== undefined) return { ok: false, message: missing };
  const value = env['DISPLAY']!.trim();
  const address = parseDisplay(value);
  if (!address) {
    return { ok: false, message: `DISPLAY="${value}" is not an X display name (expected something like ":0" or "host:0.0").` };
  }
  const failure = await reach(address, Date.now() + CONNECT_TIMEOUT_MS);
  if (failure === undefined) return { ok: true };
  return {
    ok: false,
    message: `Cannot connect to the X display "${value}" (${failure}). Is the X server running, and is DISPLAY right?`,
  };
}

/** Tries the ways libxcb would connect, in its order; undefined when one works, else what went wrong. */
async function reach(address: DisplayAddress, deadline: number): Promise<string | undefined> {
  if (address.kind === 'tcp') return connect({ host: address.host, port: address.port }, deadline, `${address.host}:${address.port}`);

  const local = await connect({ path: address.path }, deadline, address.path);
  if (local === undefined) return undefined;
  // Node cannot connect to Linux abstract sockets, which libxcb tries first and which stay reachable where
  // /tmp/.X11-unix is not shared (a container on the host network): a listener there is good enough.
  if (await listensAbstract(address.path)) return undefined;
  if (!address.tcpFallback) return local;
  const tcp = await connect({ host: 'localhost', port: X_TCP_PORT + address.display }, deadline, `localhost:${X_TCP_PORT + address.display}`);
  return tcp === undefined ? undefined : `${local}; ${tcp}`;
}

function connect(target: net.NetConnectOpts, deadline: number, label: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      resolve(`${label}: timed out`);
      return;
    }
    const socket = net.connect(target);
    const done = (failure: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => done(`${label}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`), remaining);
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${label}: ${describe(error)}`));
  });
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT': return 'no such socket';
    case 'ECONNREFUSED': return 'connection refused';
    case 'EACCES': return 'permission denied';
    case 'ENOTFOUND': return 'unknown host';
    default: return error.code ?? error.message;
  }
}

async function listensAbstract(path: string): Promise<boolean> {
  try {
    const table = await readFile('/proc/net/unix', 'utf8');
    return table.split('\n').some((line) => line.endsWith(` @${path}`));
  } catch {
    return false;
  }
}
