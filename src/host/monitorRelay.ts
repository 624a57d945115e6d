/**
 * Which of the host's monitors is shared (extension host, no `vscode`), as Remote Assistance lets the person being
 * helped choose a screen. The agent captures and drives one monitor (src/agent/monitors.ts, RandR on X11); this relay
 * - switches it when the host chooses (`share`): the next frame is a whole screen of the new monitor, whatever its size;
 * - tells the helper the monitors (plain names and sizes, shared/monitors.ts) and the one shared, right after
 *   `viewGranted` and whenever either changes;
 * - takes the helper's `monitorRequest` (rate-limited by the guard): one question to the host at a time, asked for a
 *   monitor of the host's own current list only, and a switch only on the host's yes; otherwise `monitorRefused`;
 * - passes on what the agent saw change by itself: a monitor plugged or unplugged, and the shared one gone (the
 *   primary is shared instead, and the host is told).
 */

import type { HostAgent, Monitor, MonitorReading } from '../agent/contract';
import type { AuditEvent } from '../shared/audit';
import type { Logger } from '../shared/log';
import { describeMonitor, toSharedMonitors, type SharedMonitor } from '../shared/monitors';
import type { HostMessage, MonitorRefusal } from '../shared/protocol';

/** The host's answer to a helper's request for another monitor; resolves false on "no" and on timeout. */
export type AskToSwitch = (request: { helperName: string; monitor: SharedMonitor; current: SharedMonitor | undefined; timeoutMs: number }) => Promise<boolean>;

/** What the relay needs of the session. */
export interface MonitorPort {
  readonly log: Logger;
  readonly consentTimeoutMs: number;
  agent(): HostAgent | undefined;
  send(message: HostMessage): void;
  /** Whether the helper has been told `viewGranted` (so it may be told more), the session not over. */
  open(): boolean;
  helperName(): string;
  record(event: AuditEvent): void;
  /** The host's prompt; absent: every request is refused. */
  readonly ask: AskToSwitch | undefined;
  /** Something the person at the machine should know (the shared monitor is gone). */
  notify(message: string): void;
  /** The current helper's frame pump, if there is one. */
  pump(): { refresh(): void; wake(): void } | undefined;
}

const NO_MONITORS: MonitorReading = { monitors: [], shared: undefined };

export class MonitorRelay {
  private reading: MonitorReading = NO_MONITORS;
  private asking = false;
  private disposed = false;
  /** The last `monitors` message sent, so that the helper is told each change once. */
  private told = '';
  private readonly listeners = new Set<() => void>();

  constructor(private readonly port: MonitorPort) {}

  /** The monitor shared, as last known; undefined while the whole screen is (or nothing was read yet). */
  get shared(): Monitor | undefined {
    return this.reading.monitors.find((m) => m.name === this.reading.shared);
  }

  /** The monitors as last known. */
  get known(): MonitorReading {
    return this.reading;
  }

  /** Called whenever the monitors or the one shared changed (for the host's views). */
  onChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The monitors and the one shared, read now; none when the agent offers no choice. */
  async list(): Promise<MonitorReading> {
    const agent = this.port.agent();
    if (!agent?.monitors) return NO_MONITORS;
    this.update(await agent.monitors());
    return this.reading;
  }

  /** Shares monitor `name` (undefined: the primary); rejects when the agent cannot. The helper is told. */
  async share(name: string | undefined, by: 'host' | 'helper' = 'host'): Promise<void> {
    const agent = this.port.agent();
    if (!agent?.shareMonitor) throw new Error('This screen agent cannot share another monitor.');
    this.update(await agent.shareMonitor(name));
    const shared = this.shared;
    this.port.log.info(`sharing monitor ${shared ? describeMonitor({ name: shared.name, ...shared.area }) : 'the whole screen'} (chosen by the ${by})`);
    if (shared) this.port.record({ event: 'monitorShared', monitor: shared.name, width: shared.area.width, height: shared.area.height, by });
    // The picture is of another monitor now: a whole one goes, at once.
    const pump = this.port.pump();
    pump?.refresh();
    pump?.wake();
  }

  /** The helper was just told `viewGranted`: it learns the monitors (if there is a choice at all). */
  viewGranted(): void {
    this.list().then(
      () => this.tellHelper(),
      (error: unknown) => this.port.log.warn(`the monitors could not be read: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** The helper asks for monitor `name` (checked by the protocol, rate-limited by the guard). */
  async requested(name: string): Promise<void> {
    const { log } = this.port;
    const monitor = toSharedMonitors(this.reading.monitors).find((m) => m.name === name);
    const refuse = (reason: MonitorRefusal): void => {
      log.info(`the helper's request for monitor ${name} refused (${reason})`);
      this.port.record({ event: 'monitorRefused', monitor: name, reason });
      this.port.send({ type: 'monitorRefused', reason });
    };
    if (this.asking) return refuse('busy');
    if (!monitor) return refuse('unknown');
    if (name === this.reading.shared) return;
    const ask = this.port.ask;
    if (!ask) return refuse('denied');
    this.asking = true;
    let yes: boolean;
    try {
      const current = toSharedMonitors(this.reading.monitors).find((m) => m.name === this.reading.shared);
      yes = await ask({ helperName: this.port.helperName(), monitor, current, timeoutMs: this.port.consentTimeoutMs });
    } finally {
      this.asking = false;
    }
    if (this.disposed || !this.port.open()) return;
    if (!yes) return refuse('denied');
    try {
      await this.share(name, 'helper');
    } catch (error) {
      log.warn(`switching to monitor ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      refuse('unknown');
    }
  }

  /** The agent saw the monitors change by themselves; `lost`: the shared one is gone, the primary is shared instead. */
  agentChanged(reading: MonitorReading, lost: string | undefined): void {
    this.update(reading);
    if (lost === undefined) return;
    const shared = this.shared;
    this.port.log.warn(`the shared monitor ${lost} is gone: sharing ${shared?.name ?? 'the whole screen'} instead`);
    if (shared) this.port.record({ event: 'monitorShared', monitor: shared.name, width: shared.area.width, height: shared.area.height, by: 'fallback' });
    if (this.port.open()) this.port.notify(`The monitor ${lost} is gone: your helper now sees ${shared ? describeMonitor({ name: shared.name, ...shared.area }) : 'your whole screen'}.`);
    this.port.pump()?.refresh();
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }

  private update(reading: MonitorReading): void {
    const changed = JSON.stringify(reading) !== JSON.stringify(this.reading);
    this.reading = reading;
    if (!changed || this.disposed) return;
    this.tellHelper();
    for (const listener of [...this.listeners]) listener();
  }

  /** The helper's list: only with a monitor shared that the helper may be told of (its name plain). */
  private tellHelper(): void {
    if (this.disposed || !this.port.open() || this.reading.shared === undefined) return;
    const monitors = toSharedMonitors(this.reading.monitors);
    if (!monitors.some((m) => m.name === this.reading.shared)) return;
    const message: HostMessage = { type: 'monitors', monitors, shared: this.reading.shared };
    const text = JSON.stringify(message);
    if (text === this.told) return;
    this.told = text;
    this.port.send(message);
  }
}
