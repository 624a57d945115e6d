/**
 * Who drives the host's mouse and keyboard (extension host, no `vscode`): the helper's request for control and the
 * host's answer, control given back or taken back, the helper's input on its way to the agent, what it holds
 * released, and the person at the machine winning over the helper (the agent's input pause). The session decides
 * when; this file keeps the rules and the held-input bookkeeping in one place.
 */

import type { HostAgent, InputEvent } from '../agent/contract';
import type { AuditEvent } from '../shared/audit';
import type { Logger } from '../shared/log';
import type { HostMessage } from '../shared/protocol';
import type { HostState } from '../shared/stateMachine';
import type { HelperLink } from './helperLink';

/** What control needs of the session. */
export interface ControlPort {
  readonly log: Logger;
  readonly consentTimeoutMs: number;
  askForControl(request: { helperName: string; timeoutMs: number }): Promise<boolean>;
  state(): HostState['kind'];
  /** The session's helper (admitted, or being checked). */
  helper(): HelperLink | undefined;
  /** Moves to `viewing` or `controlled` (with the helper's name). */
  to(kind: 'viewing' | 'controlled'): void;
  agent(): HostAgent | undefined;
  /** Whether the host paused sharing (pauseRelay.ts): input is dropped then. */
  paused(): boolean;
  record(event: AuditEvent, helper?: HelperLink): void;
  send(message: HostMessage): void;
}

export class ControlRelay {
  /** Something was sent to the agent on the helper's behalf since the last release. */
  private inputHeld = false;
  /** The person at the machine is using their own mouse: the helper's input is dropped (see NutInput). */
  private inputPaused = false;

  constructor(private readonly port: ControlPort) {}

  /** The helper asks for control: the host is asked (one prompt at a time); the helper is told the answer. */
  async request(helper: HelperLink): Promise<void> {
    const { port } = this;
    if (port.state() !== 'viewing' || helper.askingControl) return;
    helper.askingControl = true;
    port.log.info(`${helper.name} asks for control`);
    port.record({ event: 'controlRequested' }, helper);
    port.agent()?.prepareInput?.();
    const granted = await port.askForControl({ helperName: helper.name, timeoutMs: port.consentTimeoutMs });
    helper.askingControl = false;
    if (port.helper() !== helper || port.state() !== 'viewing') return;
    if (!granted) {
      port.log.info('control denied');
      port.record({ event: 'controlDenied' }, helper);
      return port.send({ type: 'control', granted: false, reason: 'denied' });
    }
    port.to('controlled');
    port.log.info(`control granted to ${helper.name}`);
    port.record({ event: 'controlGranted' }, helper);
    port.send({ type: 'control', granted: true, reason: 'granted' });
  }

  /** Input from the helper: to the agent only with control, not paused by either person, and past the guard. */
  input(helper: HelperLink, message: InputEvent): void {
    if (this.port.state() !== 'controlled') return helper.guard.withoutControl();
    if (this.port.paused()) return helper.guard.whilePaused();
    if (this.inputPaused) return; // the agent drops it too; no need to send it there
    if (!helper.guard.forward(message)) return;
    this.inputHeld = true;
    this.port.agent()?.input(message);
  }

  /** Lets go of every key and button held on the helper's behalf. */
  release(): void {
    this.port.helper()?.guard.held.clear();
    if (!this.inputHeld) return;
    this.inputHeld = false;
    this.port.agent()?.releaseAll().catch((error: unknown) => this.port.log.error(`releasing input failed: ${String(error)}`));
  }

  /** Control ends (taken back, or given back): released, `viewing`, the helper told. */
  drop(reason: 'revoked' | 'released'): void {
    this.release();
    this.port.to('viewing');
    this.port.record({ event: 'controlEnded', reason }, this.port.helper());
    this.port.send({ type: 'control', granted: false, reason });
  }

  /** The agent saw the host's own mouse move (`paused`), or saw it still again. The person at the machine wins. */
  onInputPause(paused: boolean): void {
    const { log } = this.port;
    this.inputPaused = paused;
    const helper = this.port.helper();
    if (paused) {
      // The agent has released everything it held.
      helper?.guard.held.clear();
      this.inputHeld = false;
    }
    if (!helper || this.port.state() !== 'controlled') return log.debug(`input ${paused ? 'paused' : 'resumed'} by the agent while no helper has control`);
    log.info(paused ? `you moved your mouse: ${helper.name}'s input is paused` : `${helper.name}'s input is applied again`);
    this.port.record({ event: paused ? 'controlPaused' : 'controlResumed' }, helper);
    this.port.send(paused ? { type: 'control', granted: false, reason: 'paused' } : { type: 'control', granted: true, reason: 'resumed' });
  }
}
