/**
 * A TURN server for the tests and the bench: Debian's coturn on 127.0.0.1 only, with a user and a realm (long-term
 * credentials) as a team's own server would have. test/integration/turn.test.ts runs peers through it directly;
 * the link emulator (linkEmulator.ts) puts a bad link in front of it.
 */

import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { IceServer } from '../../src/shared/settings';
import { waitFor, type Stack } from './env';
import type { Rig } from './session';

export const TURN_USER = 'test';
export const TURN_SECRET = 'secret';
export const TURN_REALM = 'remote-assist.test';

export interface TurnServer {
  /** coturn's UDP listening port on 127.0.0.1. */
  readonly port: number;
  /** coturn's log lines so far (verbose: allocations, permissions, channel binds). */
  readonly log: string[];
}

/** The ICE servers that make a peer use a TURN server at 127.0.0.1:`port` over UDP, with the test's credentials. */
export function turnIceServers(port: number): IceServer[] {
  return [{ urls: `turn:127.0.0.1:${port}?transport=udp`, username: TURN_USER, credential: TURN_SECRET }];
}

/** A UDP port that nothing holds on 127.0.0.1 right now. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Starts coturn on 127.0.0.1 (listening and relaying there only; no TLS, DTLS or CLI; no config file, its user
 * database in a scratch folder) and resolves once its UDP listener is open. Loopback peers must be allowed: both
 * relayed addresses are on 127.0.0.1, and each side's relay sends to the other's.
 */
export async function startTurn(stack: Stack): Promise<TurnServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-turn-'));
  stack.add(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freeUdpPort();
  const child = spawn('turnserver', [
    '-c', '/dev/null',
    `--listening-port=${port}`,
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    '--lt-cred-mech',
    `--user=${TURN_USER}:${TURN_SECRET}`,
    `--realm=${TURN_REALM}`,
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--no-cli',
    '--no-rfc5780',
    '--fingerprint',
    '--allow-loopback-peers',
    `--userdb=${path.join(dir, 'turndb')}`,
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    '--verbose',
  ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log: string[] = [];
  let out = '';
  const take = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
    log.push(...d.toString().split('\n').filter((l) => l.trim()));
    if (log.length > 50_000) log.splice(0, log.length - 40_000);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  stack.add(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref())]);
    if (!done) process.kill(-child.pid!, 'SIGKILL');
  });
  await waitFor('coturn to listen', () => {
    if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode}): ${out.slice(-2000)}`);
    return out.includes(`UDP listener opened on: 127.0.0.1:${port}`);
  }, 15_000, 50);
  return { port, log };
}

/** The rig, with every page's `connect` message given these fields (as the extension adds the helper's settings). */
export function withConnect(rig: Rig, extra: Record<string, unknown>): Rig {
  const browser = {
    newPage: async (...args: Parameters<Browser['newPage']>) => {
      const page = await rig.browser.newPage(...args);
      await page.addInitScript((fields) => {
        const post = window.postMessage.bind(window) as (message: unknown, targetOrigin: string) => void;
        (window as unknown as { postMessage: (message: unknown, targetOrigin: string) => void }).postMessage = (message, targetOrigin) =>
          post((message as { type?: unknown } | null)?.type === 'connect' ? { ...(message as object), ...fields } : message, targetOrigin);
      }, extra);
      return page;
    },
  } as unknown as Browser;
  return { ...rig, browser };
}
