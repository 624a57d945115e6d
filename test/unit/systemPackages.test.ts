/**
 * Every program that the extension, the tests, the demo or the bench start must come from a Debian package that
 * the project's own install scripts name. A machine that happens to have a program hides a missing install step
 * until a fresh machine (CI's, say) fails half-way through a suite. This test reads the sources for the programs
 * they start, looks each one up in PROGRAMS (the one table of program -> Debian package) and reads the install
 * scripts for the package. It fails on a program that the table lacks, on a package that the table's installer
 * does not name, on a program of the tests or the demo that only a bench installer brings, and on a stale row.
 *
 * A row's package is the one that the install script names, which is not always the package that owns the file:
 * `dpkg -S "$(readlink -f "$(command -v PROGRAM)")"` may name a dependency of it (gcc -> gcc-12, import ->
 * imagemagick-6.q16, krb5-config -> krb5-multidev, websockify -> python3-websockify); `note` says so.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '../../..');

const DEPS = 'scripts/install-system-deps.sh';
const BENCH = 'bench/install-deps.sh';
const PEER = 'bench/install-peer.sh';
type Installer = typeof DEPS | typeof BENCH | typeof PEER;

interface Source {
  /** The Debian package that brings the program, as the installer names it. */
  package: string;
  /**
   * Who installs it: an install script; 'essential', a package that every Debian has (Essential: yes, which
   * dpkg-query -W -f='${Essential}' shows); or 'node', the Node.js (and its npm) that the project runs on,
   * which is there before any of its scripts can run; or 'windows', a program of the Windows host's own system that
   * the agent starts there and never on Linux (nothing to install).
   */
  by: Installer | 'essential' | 'node' | 'windows';
  /** Set for a program that no call in our sources names: who runs it. */
  indirect?: string;
  note?: string;
}

/** The programs that our code, tests, demo and bench start, directly or through a package. */
export const PROGRAMS: Readonly<Record<string, Source>> = {
  // X: the tests' and the demo's display, windows to look at, and ways to read its state.
  Xvfb: { package: 'xvfb', by: DEPS },
  xterm: { package: 'xterm', by: DEPS },
  xdotool: { package: 'xdotool', by: DEPS },
  xdpyinfo: { package: 'x11-utils', by: DEPS },
  xwininfo: { package: 'x11-utils', by: DEPS },
  xinput: { package: 'xinput', by: DEPS },
  // The host's keyboard layout in the keyboard tests (us, de, fr); the layouts themselves are xkb-data's.
  setxkbmap: { package: 'x11-xkb-utils', by: DEPS, note: 'the layouts it sets come from xkb-data, installed beside it' },
  // screenshot-desktop's capture on Linux (the agent's fallback source, and the bench's baseline).
  xrandr: {
    package: 'x11-xserver-utils',
    by: DEPS,
    indirect: 'screenshot-desktop lists the monitors with it (src/agent/screenshotDesktopSource.ts)',
  },
  import: { package: 'imagemagick', by: DEPS, note: 'screenshot-desktop captures with it too; owned by imagemagick-6.q16 (Debian 12)' },
  convert: { package: 'imagemagick', by: DEPS, note: 'owned by imagemagick-6.q16 (Debian 12)' },
  // The helper's side in the tests and the bench, and the browser that drives code-server (Playwright).
  chromium: { package: 'chromium', by: DEPS },
  // The TURN relay of the TURN test (test/integration/turn.test.ts), on 127.0.0.1 only.
  turnserver: { package: 'coturn', by: DEPS },
  // The native-module check (test/unit/native.test.ts) and its self-test.
  nm: { package: 'binutils', by: DEPS, note: 'owned by binutils-x86-64-linux-gnu' },
  cc: { package: 'gcc', by: DEPS, note: 'the alternative that gcc installs; owned by gcc-12' },
  // The bench's host window (bench/window.c, compiled by bench/run.js).
  gcc: { package: 'gcc', by: BENCH, note: 'owned by gcc-12' },
  // The bench's peer: x11vnc, and websockify in front of it for noVNC.
  x11vnc: { package: 'x11vnc', by: PEER },
  websockify: { package: 'websockify', by: PEER, note: 'owned by python3-websockify' },
  // code-server's install (scripts/ensure-code-server.js): node-gyp builds kerberos and node-pty, and Debian's rg
  // stands in for the one @vscode/ripgrep would download.
  'g++': { package: 'g++', by: DEPS, note: 'owned by g++-12' },
  make: { package: 'make', by: DEPS },
  python3: { package: 'python3', by: DEPS, note: 'node-gyp runs it' },
  rg: { package: 'ripgrep', by: DEPS },
  'krb5-config': { package: 'libkrb5-dev', by: DEPS, note: 'owned by krb5-multidev' },
  // VS Code's built-in Git extension, inside code-server (the editor tests, the demo, the bench's --editor): it looks
  // for git at start and runs it on the workspace. The host's context asks that extension, never git itself.
  git: { package: 'git', by: DEPS, indirect: "code-server's built-in Git extension (test/support/codeServer.ts starts code-server)" },
  tar: { package: 'tar', by: 'essential' },
  sh: { package: 'dash', by: 'essential' },
  bash: { package: 'bash', by: 'essential' },
  node: { package: 'nodejs', by: 'node', note: 'process.execPath, and every fork()' },
  npm: { package: 'npm', by: 'node' },
  // Windows hosts only (src/agent/windowsInput.ts): part of every Windows since 7.
  'powershell.exe': { package: '(Windows)', by: 'windows' },
};

const SCANNED = ['src', 'test', 'bench', 'scripts'];
const THIS_FILE = path.join('test', 'unit', 'systemPackages.test.ts');

/**
 * How the sources start programs. Each pattern's named group `prog` is a program name (or a path to one, or, for
 * `list`, several quoted names). A wrapper that takes a program name is listed here by its name.
 */
const CALLS: readonly RegExp[] = [
  // child_process with a literal program: spawn('Xvfb', ...), execFileSync('nm', ...).
  /(?<![\w$])(?:\w+\.)?(?:spawn|spawnSync|execFile|execFileSync)\(\s*(['"`])(?<prog>[^'"`$\s]+)\1/g,
  // A shell command line: its first word.
  /(?<![\w$.])(?:exec|execSync)\(\s*(['"`])(?<prog>[^'"`$\s]+)/g,
  // A program given by its path: executablePath: '/usr/bin/chromium'.
  /(['"`])(?<prog>\/(?:usr\/)?s?bin\/[\w.+-]+)\1/g,
  // Wrappers: x('xdotool', ...) in the tests, spawnGroup(name, 'x11vnc', ...) in the bench, and the `command -v`
  // checks which('rg') / has('x11vnc') for programs that run later.
  /(?<![\w$.])x\(\s*'(?<prog>[^']+)'/g,
  /(?<![\w$.])spawnGroup\(\s*'[^']*',\s*'(?<prog>[^']+)'/g,
  /(?<![\w$.])(?:which|has)\(\s*'(?<prog>[^']+)'/g,
  // for (const tool of ['g++', 'make']) if (!which(tool)) ...
  /for \(const \w+ of \[(?<list>[^\]]*)\]\)\s*if \(!which\(/g,
];

/** Node itself: process.execPath as the program, and fork(), which always runs it. */
const NODE_CALLS: readonly RegExp[] = [
  /(?<![\w$])(?:\w+\.)?(?:spawn|spawnSync|execFile|execFileSync)\(\s*process\.execPath\b/g,
  /(?<![\w$.])(?:\w+\.)?fork\(/g,
];

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const dir of SCANNED) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const entry of fs.readdirSync(abs, { recursive: true }) as string[]) {
      const rel = path.join(dir, entry);
      if (rel.split(path.sep).includes('node_modules') || rel === THIS_FILE) continue;
      if (/\.(?:ts|js|mjs|cjs)$/.test(entry)) files.push(rel);
    }
  }
  return files.sort();
}

/** program -> where it is started ("file:line"). */
export function spawnedPrograms(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (program: string, file: string, text: string, index: number): void => {
    const where = `${file}:${text.slice(0, index).split('\n').length}`;
    found.set(program, [...(found.get(program) ?? []), where]);
  };
  for (const file of files) {
    const text = read(file);
    for (const pattern of CALLS) {
      for (const m of text.matchAll(pattern)) {
        const names = m.groups?.['list'] !== undefined ? [...m.groups['list'].matchAll(/'([^']+)'/g)].map((q) => q[1]!) : [m.groups?.['prog'] ?? ''];
        for (const name of names) add(path.posix.basename(name), file, text, m.index);
      }
    }
    for (const pattern of NODE_CALLS) {
      for (const m of text.matchAll(pattern)) add('node', file, text, m.index);
    }
  }
  return found;
}

/** installer -> the packages it names. */
export function installedPackages(read: (file: string) => string): Map<Installer, Set<string>> {
  const words = (text: string | undefined): Set<string> => new Set((text ?? '').split(/\s+/).filter((w) => /^[a-z0-9][a-z0-9+.-]+$/.test(w)));
  const deps = /^default_packages=\(([^)]*)\)/m.exec(read(DEPS))?.[1];
  // The bench's installers hand their packages to install-system-deps.sh: `exec bash ".../install-system-deps.sh" a b`.
  const extra = (file: string) => /install-system-deps\.sh"((?: +[^\s"]+)+) *$/m.exec(read(file))?.[1];
  return new Map<Installer, Set<string>>([
    [DEPS, words(deps)],
    [BENCH, words(extra(BENCH))],
    [PEER, words(extra(PEER))],
  ]);
}

/** What is wrong, one line per problem; none when every started program has a package that is installed. */
export function problems(table: Readonly<Record<string, Source>>, started: ReadonlyMap<string, string[]>, installed: ReadonlyMap<Installer, Set<string>>): string[] {
  const out: string[] = [];
  for (const [installer, packages] of installed) {
    if (packages.size === 0) out.push(`${installer}: no package list found (has its form changed? see installedPackages())`);
  }
  for (const [program, where] of started) {
    const row = table[program];
    if (!row) {
      out.push(`${program} (started at ${where.join(', ')}) is not in PROGRAMS: add it with the Debian package that brings it (dpkg -S "$(readlink -f "$(command -v ${program})")")`);
      continue;
    }
    // The tests, the demo and the extension run after scripts/install-system-deps.sh alone (npm test, CI).
    const outsideBench = where.filter((w) => !w.startsWith('bench/'));
    if ((row.by === BENCH || row.by === PEER) && outsideBench.length > 0) {
      out.push(`${program} (started at ${outsideBench.join(', ')}) comes from ${row.package}, which only ${row.by} installs: add ${row.package} to ${DEPS}`);
    }
  }
  for (const [program, row] of Object.entries(table)) {
    if (row.by !== 'essential' && row.by !== 'node' && row.by !== 'windows' && !installed.get(row.by)?.has(row.package)) {
      out.push(`${program}: its package ${row.package} is not named by ${row.by}: add it there`);
    }
    if (!started.has(program) && !row.indirect) {
      out.push(`${program}: in PROGRAMS, but nothing starts it: remove the row, or say in \`indirect\` what runs it`);
    }
  }
  return out;
}

describe('system packages', () => {
  const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

  it('every program that the code, the tests, the demo and the bench start comes from a package that our scripts install', () => {
    const started = spawnedPrograms(sourceFiles(), read);
    assert.ok(started.size >= 10, `found only ${[...started.keys()].join(', ')}: has the scan stopped working?`);
    assert.deepEqual(problems(PROGRAMS, started, installedPackages(read)), []);
  });

  it('the scan finds the usual ways of starting a program, and the check fails on a missing row or package', () => {
    const sample = [
      "spawn('Xvfb', ['-displayfd', '1']);",
      "execFileSync('nm', ['-D', file]);",
      "exec('xrandr --current');",
      "/^x:(\\d+)/.exec(line); map.has('xterm'); const r = spawn(command, argv);",
      "chromium.launch({ executablePath: '/usr/bin/chromium' });",
      "x('xdotool', 'getmouselocation'); spawnGroup('vnc', 'x11vnc', []); which('rg');",
      "for (const tool of ['g++', 'make']) if (!which(tool)) missing.push(tool);",
      'fork(agentPath); spawnSync(process.execPath, []);',
    ].join('\n');
    const started = spawnedPrograms(['sample.ts'], () => sample);
    assert.deepEqual([...started.keys()].sort(), ['Xvfb', 'chromium', 'g++', 'make', 'nm', 'node', 'rg', 'x11vnc', 'xdotool', 'xrandr']);
    assert.deepEqual(started.get('xdotool'), ['sample.ts:6']);

    const installed = new Map<Installer, Set<string>>([[DEPS, new Set(['xvfb', 'xterm'])], [BENCH, new Set(['gcc'])], [PEER, new Set(['x11vnc'])]]);
    const table: Record<string, Source> = {
      Xvfb: { package: 'xvfb', by: DEPS },
      xrandr: { package: 'x11-xserver-utils', by: DEPS, indirect: 'screenshot-desktop' },
      gcc: { package: 'gcc', by: BENCH },
    };
    const found = problems(table, new Map([['Xvfb', ['test/a.ts:1']], ['gcc', ['test/b.ts:2']], ['xdotool', ['test/c.ts:3']]]), installed);
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0]!, /^gcc .*only bench\/install-deps\.sh installs/);
    assert.match(found[1]!, /^xdotool .*is not in PROGRAMS/);
    assert.match(found[2]!, /^xrandr: its package x11-xserver-utils is not named/);
  });
});
