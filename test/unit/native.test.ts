/**
 * Desktop VS Code runs the extension inside Electron, whose V8 memory cage kills the whole extension host when
 * a native module wraps memory allocated outside V8 in an ArrayBuffer. Our other tests run in plain Node, where
 * such a module works: this test is what catches it. It lists every `.node` binary that the extension ships (the
 * production dependency tree, and the agent's own dist/xshm.node) and fails on one that imports `napi_create_external_arraybuffer` or
 * `napi_create_external_buffer`, unless native-allowlist.json names it with a reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '../../..');
const FORBIDDEN = ['napi_create_external_arraybuffer', 'napi_create_external_buffer'];

/** The forbidden imports of one binary: `nm` for ELF, a byte search for PE and Mach-O (conservative). */
export function forbiddenImports(file: string): string[] {
  const bytes = fs.readFileSync(file);
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (isElf) {
    const out = execFileSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' });
    const symbols = new Set(out.split('\n').map((l) => l.trim().split(/\s+/).pop()));
    return FORBIDDEN.filter((s) => symbols.has(s));
  }
  // Import tables keep the name as text; a name followed by a NUL is the symbol, not a longer one.
  return FORBIDDEN.filter((s) => bytes.indexOf(`${s}\0`, 0, 'latin1') >= 0);
}

function shippedBinaries(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const dirs = out.split('\n').filter((d) => d && d !== root);
  const files = new Set<string>();
  for (const dir of dirs) {
    for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
      if (entry.split(path.sep).includes('node_modules')) continue; // listed on its own
      if (entry.endsWith('.node')) files.add(path.join(dir, entry));
    }
  }
  // The agent's own grabber (scripts/buildNative.js), shipped in dist/ of the linux-x64 VSIX.
  const xshm = path.join(root, 'dist', 'xshm.node');
  if (fs.existsSync(xshm)) files.add(xshm);
  return [...files].sort();
}

describe('native modules are safe in Electron', () => {
  it('the detector finds a forbidden import (checked on a binary built to have one)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-native-'));
    try {
      fs.writeFileSync(path.join(dir, 'bad.c'), 'extern int napi_create_external_arraybuffer(void);\nint f(void) { return napi_create_external_arraybuffer(); }\n');
      fs.writeFileSync(path.join(dir, 'good.c'), 'extern int napi_create_buffer_copy(void);\nint f(void) { return napi_create_buffer_copy(); }\n');
      for (const name of ['bad', 'good']) {
        execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, `${name}.node`), path.join(dir, `${name}.c`)]);
      }
      assert.deepEqual(forbiddenImports(path.join(dir, 'bad.node')), ['napi_create_external_arraybuffer']);
      assert.deepEqual(forbiddenImports(path.join(dir, 'good.node')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no shipped binary wraps external memory, unless allowed with a reason', () => {
    const allow = JSON.parse(fs.readFileSync(path.join(root, 'native-allowlist.json'), 'utf8')) as { allowed: { file: string; reason: string }[] };
    const allowed = new Map(allow.allowed.map((a) => [a.file, a.reason]));
    const binaries = shippedBinaries();
    assert.ok(binaries.some((b) => b.includes('node_datachannel')), `node-datachannel's binary should be among ${binaries.join(', ')}`);
    assert.ok(binaries.some((b) => b.includes('libnut')), 'libnut (nut-js) should be among the binaries');
    if (process.platform === 'linux') assert.ok(binaries.some((b) => b.endsWith('xshm.node')), 'the agent\'s xshm.node should be built (npm run build) and among the binaries');
    const offenders: string[] = [];
    for (const file of binaries) {
      const rel = path.relative(path.join(root, 'node_modules'), file);
      const found = forbiddenImports(file);
      if (found.length === 0) continue;
      const reason = allowed.get(rel);
      if (!reason || reason.length < 20) offenders.push(`${rel}: imports ${found.join(', ')}`);
    }
    assert.deepEqual(offenders, [], 'native modules that Electron would kill the extension host for');
  });
});
