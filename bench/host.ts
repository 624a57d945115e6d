/**
 * The host side of one benchmarked system, in a process of its own (bundled to out/bench/bundle/host.js and
 * forked by the bench): the product's `HostSession` with the product's agent, as the extension host runs them,
 * so that its CPU and memory can be read from /proc apart from the bench's own work. It says yes to every
 * prompt (the benchmark is not about the person at the machine).
 *
 * Parent -> host: `{ type: 'end' }`. Host -> parent: `{ type: 'code', code }`, `{ type: 'state', kind }`,
 * `{ type: 'failed', message }`.
 */

import * as path from 'node:path';
import { startAgent } from '../src/host/agentClient';
import { HostSession, type HostSessionOptions } from '../src/host/hostSession';
import type { Logger } from '../src/shared/log';
import type { IceServer } from '../src/shared/settings';

/** What the bench passes, as JSON in argv[2]. */
export interface HostConfig {
  readonly root: string;
  readonly display: string;
  readonly peerPort: number;
  readonly maxFps: number;
  /**
   * Which frame source to force, or undefined for the product's own choice. Passed to the agent as
   * REMOTE_ASSIST_FRAME_SOURCE and to the session and startAgent as `frameSource`: the hook the baseline needs.
   */
  readonly frameSource?: string;
  /** ICE servers and policy for the session (the link emulator's TURN server, relay-only); none by default. */
  readonly iceServers?: IceServer[];
  readonly iceTransportPolicy?: 'all' | 'relay';
}

const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig;

function tell(message: Record<string, unknown>): void {
  process.send?.(message);
}

const line = (level: string) => (message: string | Error): void => {
  const text = message instanceof Error ? (message.stack ?? message.message) : message;
  process.stderr.write(`${new Date().toISOString()} ${level} ${text}\n`);
};
const log: Logger = { trace: () => undefined, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };

async function main(): Promise<void> {
  const agentEnv: NodeJS.ProcessEnv = { ...process.env, DISPLAY: config.display };
  if (config.frameSource) agentEnv['REMOTE_ASSIST_FRAME_SOURCE'] = config.frameSource;
  const options: HostSessionOptions & { frameSource?: string } = {
    signaling: { host: '127.0.0.1', port: config.peerPort, path: '/', secure: false, key: 'peerjs' },
    iceServers: config.iceServers ?? [],
    ...(config.iceTransportPolicy ? { iceTransportPolicy: config.iceTransportPolicy } : {}),
    hostName: 'Bench host',
    lifetimeMinutes: 60,
    consentTimeoutMs: 60_000,
    signalingTimeoutMs: 10_000,
    maxFps: config.maxFps,
    startAgent: () =>
      startAgent({
        log,
        agentPath: path.join(config.root, 'dist/agent.js'),
        env: agentEnv,
        ...(config.frameSource ? { frameSource: config.frameSource } : {}),
      } as Parameters<typeof startAgent>[0]),
    ui: { askToView: async () => true, askForControl: async () => true, notify: (m) => log.info(`notify: ${m}`) },
    log,
    ...(config.frameSource ? { frameSource: config.frameSource } : {}),
  };
  const session = new HostSession(options);
  session.machine.onChange((state) => tell({ type: 'state', kind: state.kind }));
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'end') {
      session.end();
      // Let the bye leave and the agent release and exit.
      setTimeout(() => process.exit(0), 1_000);
    }
  });
  process.on('disconnect', () => {
    session.end();
    setTimeout(() => process.exit(0), 1_000);
  });
  await session.start();
  tell({ type: 'code', code: session.code });
}

main().catch((error: unknown) => {
  tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  setTimeout(() => process.exit(1), 200);
});
