/**
 * Whether the helper's input reaches the host's screen on Windows (agent process). SendInput reports nothing
 * when User Interface Privilege Isolation blocks it ("neither GetLastError nor the return value will indicate the
 * failure was caused by UIPI blocking", says its documentation), so the agent looks at what is in front instead:
 * no foreground window means the secure desktop (a UAC prompt, the lock screen, Ctrl+Alt+Del); a foreground window
 * of a process at a higher integrity level than ours means an elevated window. platform.ts decides from that.
 *
 * Reading the foreground window's integrity level takes Win32 calls that Node does not offer and nut-js does not
 * expose. Rather than ship a native module of our own, the agent keeps one PowerShell process (part of every
 * Windows since 7) that compiles a few P/Invoke declarations once and answers one JSON line per question; it
 * is started on the first injected input and asked at most every CHECK_INTERVAL_MS while input flows, so it
 * costs nothing while the helper only watches.
 *
 * Written against Microsoft's documentation (GetForegroundWindow, OpenProcess with PROCESS_QUERY_LIMITED_INFORMATION,
 * OpenProcessToken, GetTokenInformation(TokenIntegrityLevel), the mandatory label SIDs); this project cannot run
 * Windows, so the decisions and the parsing are unit-tested and the script is not (see the README's Platforms).
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Logger } from '../shared/log';
import type { InputBlockedReason } from '../shared/inputBlocked';
import { windowsInputBlocked } from './platform';

/** How often, at most, the foreground window is looked at while the helper's input flows. */
export const CHECK_INTERVAL_MS = 1500;
/** How long PowerShell has to start (it compiles the declarations once) and to answer each question. */
const PROBE_TIMEOUT_MS = 10_000;
/** SECURITY_MANDATORY_HIGH_RID: the integrity level of an elevated ("Run as administrator") process. */
export const HIGH_INTEGRITY = 0x3000;

/** What one look at the foreground window tells. */
export interface ForegroundState {
  /** GetForegroundWindow returned a window (it returns none while the secure desktop is the input desktop). */
  readonly hasForegroundWindow: boolean;
  /** Its process runs at a higher integrity level than the agent, or its level cannot be read by the agent. */
  readonly foregroundElevated?: boolean;
  /** The agent runs elevated itself. */
  readonly selfElevated: boolean;
}

export interface ForegroundProbe {
  /** Undefined when the probe cannot tell (it failed to start, or answered nonsense). */
  read(): Promise<ForegroundState | undefined>;
  dispose(): void;
}

/**
 * One answer of the PowerShell probe: `{"fg":false,"self":8192}` or `{"fg":true,"fgLevel":12288,"self":8192}`,
 * where a level of -1 could not be read. A medium-integrity process may open an elevated one for limited queries
 * but not its token: an unreadable level in front of a non-elevated agent is taken as elevated.
 */
export function parseForegroundReply(line: string): ForegroundState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { fg, fgLevel, self } = v as Record<string, unknown>;
  const isLevel = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= -1 && n <= 0x7fffffff;
  if (typeof fg !== 'boolean' || !isLevel(self)) return undefined;
  const selfElevated = self >= HIGH_INTEGRITY;
  if (!fg) return { hasForegroundWindow: false, selfElevated };
  if (!isLevel(fgLevel)) return undefined;
  const foregroundElevated = fgLevel === -1 ? !selfElevated : self >= 0 && fgLevel > self;
  return { hasForegroundWindow: true, foregroundElevated, selfElevated };
}

/**
 * Watches, while input flows, whether it can reach the screen, and says when that changes (a reason, or
 * undefined once it gets through again). `injected(ok)` after every injection; the look is throttled.
 */
export class InputBlockWatch {
  private lastCheck = -Infinity;
  private checking = false;
  private failedSinceCheck = false;
  private current: InputBlockedReason | undefined;

  constructor(
    private readonly probe: ForegroundProbe,
    private readonly onChange: (reason: InputBlockedReason | undefined) => void,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  injected(ok: boolean): void {
    if (!ok) this.failedSinceCheck = true;
    if (this.checking || this.now() - this.lastCheck < this.intervalMs) return;
    void this.check();
  }

  /** Looks now (also after the throttle, for tests). */
  async check(): Promise<void> {
    this.checking = true;
    this.lastCheck = this.now();
    const injectionFailed = this.failedSinceCheck;
    this.failedSinceCheck = false;
    try {
      const state = await this.probe.read();
      // A probe that cannot tell leaves only what the injections said.
      const reason = windowsInputBlocked({ injectionFailed, ...(state ?? {}) });
      if (reason !== this.current) {
        this.current = reason;
        this.onChange(reason);
      }
    } finally {
      this.checking = false;
    }
  }

  dispose(): void {
    this.probe.dispose();
  }
}

/** The C# the probe compiles once: the foreground window's and our own integrity levels, as one JSON line. */
const FOREGROUND_CS = `
using System; using System.Runtime.InteropServices;
public static class RemoteAssistForeground {
  [DllImport("user32.dll")] static extern IntPtr GetForegroundWindow();
  [DllImport("user32.dll")] static extern uint GetWindowThreadProcessId(IntPtr window, out uint pid);
  [DllImport("kernel32.dll")] static extern IntPtr OpenProcess(uint access, bool inherit, uint pid);
  [DllImport("kernel32.dll")] static extern IntPtr GetCurrentProcess();
  [DllImport("kernel32.dll")] static extern bool CloseHandle(IntPtr handle);
  [DllImport("advapi32.dll")] static extern bool OpenProcessToken(IntPtr process, uint access, out IntPtr token);
  [DllImport("advapi32.dll")] static extern bool GetTokenInformation(IntPtr token, int kind, IntPtr info, int length, out int needed);
  [DllImport("advapi32.dll")] static extern IntPtr GetSidSubAuthorityCount(IntPtr sid);
  [DllImport("advapi32.dll")] static extern IntPtr GetSidSubAuthority(IntPtr sid, uint index);
  static long Level(IntPtr process) {
    IntPtr token;
    if (!OpenProcessToken(process, 0x0008, out token)) return -1;
    try {
      int needed;
      GetTokenInformation(token, 25, IntPtr.Zero, 0, out needed);
      if (needed <= 0) return -1;
      IntPtr label = Marshal.AllocHGlobal(needed);
      try {
        if (!GetTokenInformation(token, 25, label, needed, out needed)) return -1;
        IntPtr sid = Marshal.ReadIntPtr(label);
        int count = Marshal.ReadByte(GetSidSubAuthorityCount(sid));
        return (uint)Marshal.ReadInt32(GetSidSubAuthority(sid, (uint)(count - 1)));
      } finally { Marshal.FreeHGlobal(label); }
    } finally { CloseHandle(token); }
  }
  public static string Query() {
    long self = Level(GetCurrentProcess());
    IntPtr window = GetForegroundWindow();
    if (window == IntPtr.Zero) return "{\\"fg\\":false,\\"self\\":" + self + "}";
    uint pid;
    GetWindowThreadProcessId(window, out pid);
    long level = -1;
    IntPtr process = OpenProcess(0x1000, false, pid);
    if (process != IntPtr.Zero) { level = Level(process); CloseHandle(process); }
    return "{\\"fg\\":true,\\"fgLevel\\":" + level + ",\\"self\\":" + self + "}";
  }
}`;

/** The PowerShell script: compile once, then one answer per line read; it ends when its input closes. */
export function foregroundScript(): string {
  return [
    `Add-Type -TypeDefinition @'${FOREGROUND_CS}\n'@`,
    'while ($null -ne ($line = [Console]::In.ReadLine())) {',
    '  try { [Console]::Out.WriteLine([RemoteAssistForeground]::Query()) } catch { [Console]::Out.WriteLine(\'{}\') }',
    '  [Console]::Out.Flush()',
    '}',
  ].join('\n');
}

/** The probe on Windows: one PowerShell process for the session, asked one question at a time. */
export class PowerShellForegroundProbe implements ForegroundProbe {
  private child: ChildProcessWithoutNullStreams | undefined;
  private broken = false;
  private buffered = '';
  private waiting: ((line: string | undefined) => void) | undefined;

  constructor(private readonly log: Logger) {}

  async read(): Promise<ForegroundState | undefined> {
    const child = this.start();
    if (!child || this.waiting) return undefined;
    const line = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => settle(undefined), PROBE_TIMEOUT_MS);
      const settle = (value: string | undefined) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(value);
      };
      this.waiting = settle;
      child.stdin.write('?\n');
    });
    return line === undefined ? undefined : parseForegroundReply(line);
  }

  private start(): ChildProcessWithoutNullStreams | undefined {
    if (this.child || this.broken) return this.child;
    // -EncodedCommand: the script as UTF-16LE base64, so no quoting reaches a command line.
    const encoded = Buffer.from(foregroundScript(), 'utf16le').toString('base64');
    const child = spawn('powershell.exe', ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded], { windowsHide: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, end).trim();
        this.buffered = this.buffered.slice(end + 1);
        this.waiting?.(line);
      }
      if (this.buffered.length > 4096) this.buffered = '';
    });
    const gone = (why: string) => {
      if (this.broken) return;
      this.broken = true;
      this.child = undefined;
      this.waiting?.(undefined);
      this.log.warn(`the foreground window cannot be checked (${why}): blocked input is reported only when it fails outright`);
    };
    child.on('error', (error) => gone(error.message));
    child.on('exit', (code) => gone(`PowerShell exited with ${String(code)}`));
    child.stderr.resume();
    this.child = child;
    return child;
  }

  dispose(): void {
    this.broken = true;
    this.child?.stdin.end();
    this.child?.kill();
    this.child = undefined;
  }
}
