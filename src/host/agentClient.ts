/**
 * The extension host's side of the host agent: forks dist/agent.js and implements `HostAgent` over IPC.
 *
 * The display is checked here first, so that "no display" is a clear message without a process started and
 * without nut-js ever loaded in the extension host (where its segfault would take every extension down).
 */

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import { checkDisplay, isAgentMessage, type AgentMessage, type AgentRequest, type HostAgent, type InputEvent, type MonitorReading } from '../agent/contract';
import type { EncodedFrame } from '../shared/frames';
import type { InputBlockedReason } from '../shared/inputBlocked';
import type { LaserPoint } from '../shared/protocol';
import { scoped, type Logger } from '../shared/log';

export interface StartAgentOptions {
  readonly log: Logger;
  /** The bundled agent; by default dist/agent.js beside the extension's own bundle. */
  readonly agentPath?: string;
  /** The agent's environment (DISPLAY above all); by default the extension host's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The agent as started: the `HostAgent` contract, plus its process id (for the log and the tests). */
export interface AgentHandle extends HostAgent {
  readonly pid: number | undefined;
  /** What the user should know though the agent works (a Wayland session, say), from its `ready`; often none. */
  readonly warnings: readonly string[];
  monitors(): Promise<MonitorReading>;
  shareMonitor(name: string | undefined): Promise<MonitorReading>;
  onMonitorsChanged(listener: (reading: MonitorReading, lost: string | undefined) => void): { dispose(): void };
}

/** Why the agent is not available: `noDisplay` is the user's to fix, the others are for the log. */
export type AgentErrorKind = 'noDisplay' | 'startFailed' | 'exited' | 'timeout' | 'stopped';

export class AgentError extends Error {
  constructor(
    message: string,
    readonly kind: AgentErrorKind,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

const READY_TIMEOUT_MS = 10_000;
const CAPTURE_TIMEOUT_MS = 8_000;
const REQUEST_TIMEOUT_MS = 3_000;
/** dispose(): time for releaseAll to answer, then for the agent to exit on its own, before SIGKILL. */
const DISPOSE_GRACE_MS = 500;
const OUTPUT_LINES_KEPT = 10;
/** After 'exit', how long to wait for the last output ('close') before reporting the exit. */
const OUTPUT_DRAIN_MS = 200;

/**
 * The agent's memory. Its large blocks are screen grabs (8 MB at 1080p, one a frame while a page scrolls or a
 * window moves) that V8 frees only at a collection, and that glibc then keeps. Two settings bound them:
 * - V8's young generation at 2 MB a half (it grows to 16 by default), so that a collection comes every frame or
 *   two and few grabs are ever held at once;
 * - glibc's mmap threshold fixed (MALLOC_MMAP_THRESHOLD_, 32 MiB): the grabs still come from the heap, with no page
 *   faults for each new one (with a threshold below their size, the bench's scrolling ran ~30 % slower), and the
 *   fixed value turns off glibc's own adjustment, which would also raise the threshold at which freed memory is
 *   given back to 16 MB.
 * Measured on the 2-core machine, a page scrolling and a window dragged as fast as the agent could: ~140-155 MB ->
 * ~125-140 MB, at the same frame rate; either setting alone changed nothing. Other C libraries ignore the variable,
 * and one the user set is kept. (Inherited Node options are not passed: an extension host under a debugger would
 * make the agent fight for the inspector's port.)
 *
 * And V8's collector on the agent's main thread only (`--single-threaded-gc`): with a young generation this small,
 * a scavenge comes every few updates, and a parallel one woke V8's helper threads each time to share a few hundred
 * kilobytes. Measured with the bench, old and new in turn (two pairs), the host's CPU while typing went from 16.1 %
 * of a core to 14.6-15.1 %, and the still screen's from 1.9 % to 1.6-1.7 %, at the same frame rates; three later pairs,
 * with the native pixel kernels as well, did not show it beyond the machine's noise (~1 point). The pauses this
 * adds to the agent are a young generation's (well under a millisecond) and, rarely, a whole heap of ~16 MB.
 */
export const AGENT_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=2', '--single-threaded-gc'];
export function agentMemoryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env['MALLOC_MMAP_THRESHOLD_'] === undefined ? { ...env, MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024) } : env;
}

/** Starts the agent and resolves once it is ready; rejects with an `AgentError` that says why not. */
export async function startAgent(options: StartAgentOptions): Promise<AgentHandle> {
  const log = scoped(options.log, 'agent');
  const env = options.env ?? process.env;
  const display = await checkDisplay(env);
  if (!display.ok) throw new AgentError(display.message, 'noDisplay');

  const agentPath = options.agentPath ?? path.join(__dirname, 'agent.js');
  const child = fork(agentPath, [], {
    serialization: 'advanced',
    execArgv: [...AGENT_EXEC_ARGV],
    // In desktop VS Code, process.execPath is Electron: this makes it a plain Node.
    env: { ...agentMemoryEnv(env), ...(process.versions['electron'] ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    // Its stdout/stderr go to our log; native code (libnut, ImageMagick) writes there, not through our IPC.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const agent = new AgentProcess(child, log);
  log.debug(`started ${agentPath}, pid ${child.pid ?? '?'}`);
  try {
    const size = await agent.ready;
    log.info(`ready, ${size.width}x${size.height}`);
    for (const warning of agent.warnings) log.warn(warning);
    return agent;
  } catch (error) {
    agent.dispose();
    throw error;
  }
}

/**
 * Says why the agent ended, from how it ended and its last output. nut-js crashes (SIGSEGV) when the X server
 * refuses it after printing libX11's reason, a case the display check cannot see: that one is the user's.
 */
export function describeAgentExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  output: readonly string[],
): { message: string; kind: 'noDisplay' | 'exited' } {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
  if (output.some((l) => l.includes('Could not open main display'))) {
    const said = output.find((l) => /authori[sz]ation|protocol specified|refused|denied/i.test(l));
    return {
      kind: 'noDisplay',
      message: `The screen agent could not open the X display${said ? ` (the X server said: "${said}")` : ''} and ${how}. ` +
        'Check that DISPLAY and XAUTHORITY are those of your desktop session.',
    };
  }
  const crash = signal === 'SIGSEGV' || signal === 'SIGBUS' || signal === 'SIGABRT' || signal === 'SIGILL' ? ' (a crash in native code)' : '';
  const notable = output.filter((l) => /error|cannot|could not|fatal|denied/i.test(l)).slice(-2);
  return { kind: 'exited', message: `The screen agent ${how}${crash}.${notable.length > 0 ? ` ${notable.join(' ')}` : ''}` };
}

interface Pending {
  readonly resolve: (message: AgentMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** A `monitors` answer or a `monitorsChanged` message as the contract's reading. */
function readingOf(message: AgentMessage): MonitorReading {
  if (message.type !== 'monitors' && message.type !== 'monitorsChanged') throw new Error(`unexpected reply ${message.type}`);
  return { monitors: message.monitors, shared: message.shared };
}

/** The requests that are answered, without the id that `request()` gives them. */
type AnsweredRequest = Extract<AgentRequest, { readonly id: number }>;
type Request = AnsweredRequest extends infer R ? (R extends AnsweredRequest ? Omit<R, 'id'> : never) : never;

class AgentProcess implements AgentHandle {
  readonly ready: Promise<{ width: number; height: number }>;
  private readyWarnings: readonly string[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly exitListeners = new Set<(error: Error) => void>();
  private readonly pauseListeners = new Set<(paused: boolean) => void>();
  private readonly blockedListeners = new Set<(reason: InputBlockedReason | undefined) => void>();
  private readonly laserListeners = new Set<(reason: string) => void>();
  private readonly monitorListeners = new Set<(reading: MonitorReading, lost: string | undefined) => void>();
  /** The agent's last lines on stdout/stderr, for the error that reports its exit. */
  private readonly outputTail: string[] = [];
  private nextId = 1;
  private started = false;
  private exited = false;
  private reported = false;
  private disposed = false;
  private settleReady: ((outcome: { width: number; height: number } | Error) => void) | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly log: Logger,
  ) {
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settleReady?.(new AgentError(`The screen agent did not start within ${READY_TIMEOUT_MS / 1000} s.`, 'timeout')),
        READY_TIMEOUT_MS,
      );
      this.settleReady = (outcome) => {
        clearTimeout(timer);
        this.settleReady = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
    });

    child.on('message', (message: unknown) => this.receive(message));
    child.on('exit', (code, signal) => {
      this.exited = true;
      // 'close' comes once stdout and stderr are drained too, so the error can quote the last words.
      const timer = setTimeout(() => this.onExited(code, signal), OUTPUT_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(timer);
        this.onExited(code, signal);
      });
    });
    // Spawn failures and failed sends; an exit, if any, follows separately.
    child.on('error', (error) => {
      this.log.error(`process error: ${error.message}`);
      this.settleReady?.(new AgentError(`The screen agent could not be started: ${error.message}`, 'startFailed'));
    });
    this.pipeLines(child.stdout, (text) => this.log.info(`stdout: ${text}`));
    this.pipeLines(child.stderr, (text) => this.log.warn(`stderr: ${text}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get warnings(): readonly string[] {
    return this.readyWarnings;
  }

  async screenSize(): Promise<{ width: number; height: number }> {
    const reply = await this.request({ type: 'screenSize' }, REQUEST_TIMEOUT_MS);
    if (reply.type !== 'screenSize') throw new Error(`unexpected reply ${reply.type}`);
    return { width: reply.width, height: reply.height };
  }

  async capture(request: Parameters<HostAgent['capture']>[0] = {}): Promise<EncodedFrame | undefined> {
    const reply = await this.request({ type: 'capture', ...request }, CAPTURE_TIMEOUT_MS + (request.waitMs ?? 0));
    if (reply.type === 'unchanged') return undefined;
    if (reply.type !== 'frame') throw new Error(`unexpected reply ${reply.type}`);
    return reply.frame;
  }

  input(event: InputEvent): void {
    if (this.disposed || this.exited || !this.child.connected) return;
    this.post({ type: 'input', event });
  }

  prepareInput(): void {
    if (this.disposed || this.exited || !this.child.connected) return;
    this.post({ type: 'prepareInput' });
  }

  async releaseAll(): Promise<void> {
    await this.request({ type: 'releaseAll' }, REQUEST_TIMEOUT_MS);
  }

  laser(at: LaserPoint | undefined): void {
    if (this.disposed || this.exited || !this.child.connected) return;
    this.post(at ? { type: 'laser', at } : { type: 'laser' });
  }

  onLaserUnavailable(listener: (reason: string) => void): { dispose(): void } {
    this.laserListeners.add(listener);
    return { dispose: () => this.laserListeners.delete(listener) };
  }

  async monitors(): Promise<MonitorReading> {
    return readingOf(await this.request({ type: 'monitors' }, REQUEST_TIMEOUT_MS));
  }

  async shareMonitor(name: string | undefined): Promise<MonitorReading> {
    return readingOf(await this.request({ type: 'shareMonitor', ...(name !== undefined ? { name } : {}) }, REQUEST_TIMEOUT_MS));
  }

  onMonitorsChanged(listener: (reading: MonitorReading, lost: string | undefined) => void): { dispose(): void } {
    this.monitorListeners.add(listener);
    return { dispose: () => this.monitorListeners.delete(listener) };
  }

  onInputPause(listener: (paused: boolean) => void): { dispose(): void } {
    this.pauseListeners.add(listener);
    return { dispose: () => this.pauseListeners.delete(listener) };
  }

  onInputBlocked(listener: (reason: InputBlockedReason | undefined) => void): { dispose(): void } {
    this.blockedListeners.add(listener);
    return { dispose: () => this.blockedListeners.delete(listener) };
  }

  onExit(listener: (error: Error) => void): { dispose(): void } {
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.exitListeners.clear();
    this.pauseListeners.clear();
    this.blockedListeners.clear();
    this.laserListeners.clear();
    this.monitorListeners.clear();
    if (this.exited) return;
    const stop = (): void => {
      // The agent releases and exits by itself when the channel closes; SIGKILL is for a stuck one.
      if (this.child.connected) this.child.disconnect();
      setTimeout(() => {
        if (!this.exited) {
          this.log.warn('did not exit; killing it');
          this.child.kill('SIGKILL');
        }
      }, DISPOSE_GRACE_MS).unref();
    };
    if (this.started && this.child.connected) {
      this.request({ type: 'releaseAll' }, DISPOSE_GRACE_MS).then(stop, (error: unknown) => {
        this.log.warn(`releaseAll on dispose: ${error instanceof Error ? error.message : String(error)}`);
        stop();
      });
    } else {
      stop();
    }
  }

  private request(request: Request, timeoutMs: number): Promise<AgentMessage> {
    if (this.exited || !this.child.connected) {
      return Promise.reject(new AgentError('The screen agent is not running.', 'stopped'));
    }
    const id = this.nextId++;
    return new Promise<AgentMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError(`The screen agent did not answer ${request.type} within ${timeoutMs / 1000} s.`, 'timeout'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ ...request, id } as AnsweredRequest);
    });
  }

  private post(message: AgentRequest): void {
    this.child.send(message, (error) => {
      if (!error) return;
      this.log.warn(`could not send ${message.type}: ${error.message}`);
      if ('id' in message) this.settle(message.id, new AgentError(`The screen agent is not reachable: ${error.message}`, 'stopped'));
    });
  }

  private receive(raw: unknown): void {
    if (!isAgentMessage(raw)) {
      this.log.warn(`ignored a malformed message from the agent`);
      return;
    }
    const message = raw;
    switch (message.type) {
      case 'log':
        this.log[message.level](message.message);
        return;
      case 'ready':
        this.started = true;
        this.readyWarnings = message.warnings ?? [];
        this.settleReady?.({ width: message.width, height: message.height });
        return;
      case 'startFailed':
        this.settleReady?.(new AgentError(message.message, 'startFailed'));
        return;
      case 'requestFailed':
        this.settle(message.id, new Error(message.message));
        return;
      case 'frame':
      case 'unchanged':
      case 'screenSize':
      case 'released':
      case 'monitors':
        this.settle(message.id, message);
        return;
      case 'inputPause':
        return this.tell(this.pauseListeners, (listener) => listener(message.paused));
      case 'inputBlocked':
        return this.tell(this.blockedListeners, (listener) => listener(message.reason ?? undefined));
      case 'laserUnavailable':
        return this.tell(this.laserListeners, (listener) => listener(message.message));
      case 'monitorsChanged':
        return this.tell(this.monitorListeners, (listener) => listener(readingOf(message), message.lost));
      default: {
        const unknown: never = message;
        this.log.warn(`ignored message ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Calls each listener; one that throws is logged and stops none of the others. */
  private tell<L>(listeners: ReadonlySet<L>, call: (listener: L) => void): void {
    for (const listener of [...listeners]) {
      try {
        call(listener);
      } catch (error) {
        this.log.error(error instanceof Error ? error : String(error));
      }
    }
  }

  private settle(id: number, outcome: AgentMessage | Error): void {
    const pending = this.pending.get(id);
    if (!pending) return; // timed out already
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private onExited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.reported) return;
    this.reported = true;
    const { message, kind } = describeAgentExit(code, signal, this.outputTail);
    const error = new AgentError(message, kind);
    if (this.disposed) this.log.debug(`exited (${signal ?? code})`);
    else this.log.error(error.message);
    this.settleReady?.(error);
    for (const id of [...this.pending.keys()]) this.settle(id, error);
    if (this.disposed || !this.started) return;
    for (const listener of [...this.exitListeners]) {
      try {
        listener(error);
      } catch (listenerError) {
        this.log.error(listenerError instanceof Error ? listenerError : String(listenerError));
      }
    }
    this.exitListeners.clear();
  }

  private pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    if (!stream) return;
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? '';
      for (const text of lines) this.output(text, onLine);
    });
    stream.on('end', () => {
      this.output(buffered, onLine);
      buffered = '';
    });
  }

  private output(text: string, onLine: (line: string) => void): void {
    if (!text.trim()) return;
    this.outputTail.push(text.trim());
    if (this.outputTail.length > OUTPUT_LINES_KEPT) this.outputTail.shift();
    onLine(text);
  }
}
