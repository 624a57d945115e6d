/**
 * What the host's session writes to the audit log (extension host, no `vscode`): each event with the helper it
 * concerns (as it may be shown) and the host's name, never throwing; connections refused and connections taken only
 * up to a cap each per session, so that a flood of knocks is logged but cannot fill the disk.
 */

import type { AuditEvent, AuditLog } from '../shared/audit';
import type { Logger } from '../shared/log';

/** Refused connections recorded in the audit log per session; more are only logged (a flood must not fill the disk). */
const MAX_REFUSALS_AUDITED = 20;
/** Connections recorded in the audit log per session (each candidate helper makes one); more are only logged. */
const MAX_CONNECTIONS_AUDITED = 100;

/** The helper an event concerns. */
export interface AuditedHelper {
  readonly shownId: string;
  readonly name?: string;
}

export class SessionAudit {
  private refusals = 0;
  private connections = 0;

  constructor(
    private readonly audit: AuditLog,
    private readonly hostName: string,
    private readonly log: Logger,
  ) {}

  /** One audit event, with the helper it concerns (if any) and the host's name. */
  record(event: AuditEvent, helper?: AuditedHelper): void {
    try {
      this.audit.record(event, {
        ...(helper ? { peerId: helper.shownId } : {}),
        ...(helper?.name !== undefined ? { helperName: helper.name } : {}),
        hostName: this.hostName,
      });
    } catch (error) {
      this.log.warn(`audit: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A connection turned away before any handshake. */
  refused(reason: string, shownId: string): void {
    if (++this.refusals <= MAX_REFUSALS_AUDITED) this.record({ event: 'refused', reason }, { shownId });
  }

  /** A candidate helper's connection, taken. */
  connected(helper: AuditedHelper): void {
    if (++this.connections <= MAX_CONNECTIONS_AUDITED) this.record({ event: 'connected' }, helper);
  }
}
