import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FileAuditLog, auditDir } from '../../src/audit';
import { auditFileName, auditRecord, helperAuditEvents } from '../../src/shared/audit';
import type { HelperState } from '../../src/shared/stateMachine';

const lines: string[] = [];
const log = { trace() {}, debug() {}, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn ${m}`), error() {} };

describe('audit log', () => {
  it('writes one JSON line per event: ISO time, side, event, peer, names, details', () => {
    const r = auditRecord(new Date('2026-11-25T10:12:03.120Z'), 'host', { event: 'proofFailed', attempt: 2, maxAttempts: 5 }, {
      peerId: 'abc',
      helperName: 'Grace',
      hostName: 'Ada',
    });
    assert.equal(
      JSON.stringify(r),
      '{"time":"2026-11-25T10:12:03.120Z","side":"host","event":"proofFailed","peerId":"abc","helperName":"Grace","hostName":"Ada","attempt":2,"maxAttempts":5}',
    );
    assert.equal(auditFileName(new Date('2026-11-25T23:59:59.999Z')), '2026-11-25.log');
  });

  it('appends to <dir>/YYYY-MM-DD.log in order, readable only by the user, and to the output channel', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ra-audit-')), 'audit');
    try {
      let now = new Date('2026-11-25T23:59:59.000Z');
      const audit = new FileAuditLog({ side: 'helper', dir, log, now: () => now });
      lines.length = 0;
      audit.record({ event: 'joining', expiresAt: '2026-11-26T00:29:00.000Z', source: 'code' }, { peerId: 'ra-1', helperName: 'Grace' });
      audit.record({ event: 'connected' }, { peerId: 'ra-1' });
      now = new Date('2026-11-26T00:00:01.000Z');
      audit.record({ event: 'ended', message: 'The helper ended the session.' }, { peerId: 'ra-1' });
      await audit.flush();
      const day1 = fs.readFileSync(path.join(dir, '2026-11-25.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(day1.map((r) => r['event']), ['joining', 'connected']);
      assert.equal(day1[0]!['side'], 'helper');
      assert.equal(day1[0]!['helperName'], 'Grace');
      const day2 = fs.readFileSync(path.join(dir, '2026-11-26.log'), 'utf8');
      assert.match(day2, /^\{"time":"2026-11-26T00:00:01.000Z","side":"helper","event":"ended"/);
      assert.equal(fs.statSync(path.join(dir, '2026-11-25.log')).mode & 0o777, 0o600);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      assert.equal(lines.filter((l) => l.startsWith('[audit] {')).length, 3);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('writes no file when the setting is off (dir undefined), and only to a local storage folder', async () => {
    const audit = new FileAuditLog({ side: 'host', dir: undefined, log });
    lines.length = 0;
    audit.record({ event: 'invitationCreated', expiresAt: 'x' });
    await audit.flush();
    assert.equal(lines.length, 1);
    assert.equal(auditDir({ scheme: 'file', fsPath: '/home/u/.config/Code/globalStorage/x' }), '/home/u/.config/Code/globalStorage/x/audit');
    assert.equal(auditDir({ scheme: 'vscode-userdata', fsPath: '/x' }), undefined);
  });

  it('reports a file it cannot write, a few times only, and never throws', async () => {
    const file = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-audit-'));
    fs.writeFileSync(path.join(file, 'blocker'), '');
    try {
      const audit = new FileAuditLog({ side: 'host', dir: path.join(file, 'blocker', 'audit'), log });
      lines.length = 0;
      for (let i = 0; i < 10; i++) audit.record({ event: 'connected' });
      await audit.flush();
      assert.equal(lines.filter((l) => l.startsWith('warn [audit] could not write')).length, 3);
    } finally {
      fs.rmSync(file, { recursive: true, force: true });
    }
  });

  it("reads the helper's events off the states its panel reports", () => {
    const walk: [HelperState, string | undefined][] = [
      [{ kind: 'connecting' }, undefined],
      [{ kind: 'verifying' }, undefined],
      [{ kind: 'waitingForConsent', hostName: 'Ada' }, '123 456'],
      [{ kind: 'viewing', hostName: 'Ada' }, '123 456'],
      [{ kind: 'requestingControl', hostName: 'Ada' }, '123 456'],
      [{ kind: 'controlling', hostName: 'Ada' }, '123 456'],
      [{ kind: 'viewing', hostName: 'Ada' }, '123 456'],
      [{ kind: 'ended', message: 'The person you were helping ended the session.', reason: 'hostEnded', by: 'remote' }, '123 456'],
    ];
    let previous: HelperState | undefined;
    const events: string[] = [];
    for (const [state, code] of walk) {
      for (const e of helperAuditEvents(previous, state, code)) events.push(e.event === 'verified' ? `verified ${e.verificationCode}` : e.event);
      previous = state;
    }
    assert.deepEqual(events, ['connected', 'verified 123 456', 'allowed', 'controlRequested', 'controlGranted', 'controlEnded', 'ended']);
    assert.deepEqual(helperAuditEvents({ kind: 'controlling', hostName: 'A' }, { kind: 'failed', message: 'x', reason: 'connectFailed', by: 'local' }, undefined).map((e) => e.event), ['controlEnded', 'ended']);
  });
});
