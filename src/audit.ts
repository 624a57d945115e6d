/**
 * The audit log's writer: every event goes to the "Remote Assist" output channel and, unless the setting
 * `remoteAssist.audit.writeFile` is off, is appended as one JSON line to `<dir>/YYYY-MM-DD.log` (the
 * extension passes `globalStorageUri/audit`). Node `fs` only: no `vscode` here.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditFileName, auditRecord, type AuditEvent, type AuditLog, type AuditParty, type AuditSide } from './shared/audit';
import type { Logger } from './shared/log';

export interface FileAuditLogOptions {
  readonly side: AuditSide;
  /** The folder of the audit files; undefined writes no file (the output channel still gets every event). */
  readonly dir: string | undefined;
  /** Where every event is written as a line too (the output channel), and where write failures are reported. */
  readonly log: Logger;
  readonly now?: () => Date;
}

/** The audit folder under the extension's global storage; undefined where that storage is not a local folder. */
export function auditDir(globalStorage: { readonly scheme: string; readonly fsPath: string }): string | undefined {
  return globalStorage.scheme === 'file' ? path.join(globalStorage.fsPath, 'audit') : undefined;
}

export class FileAuditLog implements AuditLog {
  /** Appends happen one after the other, so the lines keep the order of the events. */
  private queue: Promise<void> = Promise.resolve();
  private madeDir = false;
  private failures = 0;

  constructor(private readonly options: FileAuditLogOptions) {}

  record(event: AuditEvent, party?: AuditParty): void {
    const time = (this.options.now ?? (() => new Date()))();
    const record = auditRecord(time, this.options.side, event, party);
    const line = JSON.stringify(record);
    this.options.log.info(`[audit] ${line}`);
    const dir = this.options.dir;
    if (dir === undefined) return;
    const file = path.join(dir, auditFileName(time));
    this.queue = this.queue.then(() => this.append(dir, file, line + '\n'));
  }

  /** Resolves once every event recorded so far is on disk (or has failed to get there). */
  flush(): Promise<void> {
    return this.queue;
  }

  private async append(dir: string, file: string, text: string): Promise<void> {
    try {
      if (!this.madeDir) {
        // Names, peer ids and times of who saw this screen: for the user's eyes only.
        await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
        this.madeDir = true;
      }
      await fs.promises.appendFile(file, text, { encoding: 'utf8', mode: 0o600 });
    } catch (error) {
      // Only the first failures are reported: a full disk must not flood the log.
      if (this.failures++ < 3) this.options.log.warn(`[audit] could not write ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
