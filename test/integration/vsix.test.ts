/**
 * What ships: the VSIX of each platform (`npm run package`, scripts/package.js, into out/vsix/), opened as the zip
 * it is and checked against what that platform needs:
 * - the manifest (extension.vsixmanifest) names the target, and package.json is the extension's, without scripts
 *   or development parts, with a text for each of its %placeholders% and its l10n folder;
 * - every native binary (any file whose header is ELF, PE or Mach-O, `.node` or not) is built for the target's
 *   format and architecture, read from its header (ELF e_machine; PE machine; Mach-O cputype, every slice of a
 *   universal file), and the binaries the extension cannot host without are there;
 * - no binary wraps memory allocated outside V8 (Electron's memory cage kills the extension host for it): ELF
 *   through `nm -D --undefined-only`; PE through its import and delay-import tables; Mach-O through its symbol
 *   table (undefined external symbols), each slice; every `.node` file must show N-API imports at all, so that a
 *   table read wrong cannot pass for a clean one;
 * - no source maps, TypeScript or tests; under 8 MB.
 *
 * The headers and tables are read here with a parser of this file's own, not scripts/package.js's, so that the
 * check does not trust the code it checks. When a VSIX is missing or older than what it is made of, the test
 * packages it first (`ensureVsix`: about 35 s for all four on a fresh machine, 12 s after; nothing when current).
 *
 * Needs: nm (binutils).
 */

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';

import { ensureVsix, vsixPath } from '../support/codeServer';
import { ROOT } from '../support/env';

type Format = 'elf' | 'pe' | 'macho';
type Arch = 'x64' | 'arm64';

/** The platforms shipped, and what their binaries must be. Written out here, not taken from the packaging script. */
const TARGETS: Record<string, { format: Format; arch: Arch; required: string[] }> = {
  'linux-x64': { format: 'elf', arch: 'x64', required: ['@node-datachannel/linux-x64-gnu/node_datachannel.node', '@nut-tree-fork/libnut-linux/build/Release/libnut.node', 'extension/dist/xshm.node'] },
  'darwin-x64': { format: 'macho', arch: 'x64', required: ['@node-datachannel/darwin-x64/node_datachannel.node', '@nut-tree-fork/libnut-darwin/build/Release/libnut.node'] },
  'darwin-arm64': { format: 'macho', arch: 'arm64', required: ['@node-datachannel/darwin-arm64/node_datachannel.node', '@nut-tree-fork/libnut-darwin/build/Release/libnut.node'] },
  'win32-x64': { format: 'pe', arch: 'x64', required: ['@node-datachannel/win32-x64-msvc/node_datachannel.node', '@nut-tree-fork/libnut-win32/build/Release/libnut.node'] },
};
const MAX_BYTES = 8 * 1024 * 1024;
const FORBIDDEN = ['napi_create_external_arraybuffer', 'napi_create_external_buffer'];
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };

// ---------------------------------------------------------------------------------------------------------------
// A zip reader (stored and deflated entries; a VSIX needs no more).

function unzip(file: string): Map<string, Buffer> {
  const zip = fs.readFileSync(file);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file}: no end of central directory`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `${file}: bad central directory entry ${n}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `${file}: bad local header for ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? zlib.inflateRawSync(raw) : assert.fail(`${name}: compression method ${method}`);
    assert.equal(data.length, size, `${name}: size`);
    entries.set(name, data);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// Native binaries: format, architectures and imported symbols, from the bytes.

interface Binary {
  format: Format;
  archs: string[];
  /** Imported (undefined) symbol names, without Mach-O's leading underscore. */
  imports: string[];
}

const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64', 3: 'ia32', 40: 'arm' };
const PE_MACHINES: Record<number, string> = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' };
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'ia32', 12: 'arm' };

function cString(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end < 0 ? b.length : end);
}

/** PE: the names imported through the import table and the delay-import table. */
function peImports(b: Buffer, pe: number): string[] {
  const optional = pe + 24;
  const plus = b.readUInt16LE(optional) === 0x20b;
  const imageBase = plus ? Number(b.readBigUInt64LE(optional + 24)) : b.readUInt32LE(optional + 28);
  const dirs = optional + (plus ? 112 : 96);
  const sectionCount = b.readUInt16LE(pe + 6);
  const sections = optional + b.readUInt16LE(pe + 20);
  const offset = (rva: number): number => {
    for (let i = 0; i < sectionCount; i++) {
      const s = sections + i * 40;
      const va = b.readUInt32LE(s + 12);
      const size = Math.max(b.readUInt32LE(s + 8), b.readUInt32LE(s + 16));
      if (rva >= va && rva < va + size) return rva - va + b.readUInt32LE(s + 20);
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const thunkSize = plus ? 8 : 4;
  const names: string[] = [];
  const readThunks = (rva: number) => {
    for (let t = offset(rva); ; t += thunkSize) {
      const value = plus ? b.readBigUInt64LE(t) : BigInt(b.readUInt32LE(t));
      if (value === 0n) break;
      const byOrdinal = plus ? (value & (1n << 63n)) !== 0n : (value & (1n << 31n)) !== 0n;
      if (!byOrdinal) names.push(cString(b, offset(Number(value & 0x7fffffffn)) + 2));
    }
  };
  const importRva = b.readUInt32LE(dirs + 8);
  if (importRva) {
    for (let d = offset(importRva); b.readUInt32LE(d + 12) !== 0; d += 20) readThunks(b.readUInt32LE(d) || b.readUInt32LE(d + 16));
  }
  const delayRva = b.readUInt32LE(dirs + 13 * 8);
  if (delayRva) {
    for (let d = offset(delayRva); b.readUInt32LE(d + 4) !== 0; d += 32) {
      // Attributes bit 0 clear: the old format, with virtual addresses instead of RVAs.
      const rva = (v: number) => ((b.readUInt32LE(d) & 1) === 1 ? v : v - imageBase);
      readThunks(rva(b.readUInt32LE(d + 16)));
    }
  }
  return names;
}

/** One Mach-O slice (thin, little-endian): its CPU and its undefined external symbols. */
function machoSlice(b: Buffer): { arch: string; imports: string[] } {
  const magic = b.readUInt32LE(0);
  assert.ok(magic === 0xfeedfacf || magic === 0xfeedface, 'a Mach-O slice');
  const is64 = magic === 0xfeedfacf;
  const cpu = b.readUInt32LE(4);
  const ncmds = b.readUInt32LE(16);
  const imports: string[] = [];
  let at = is64 ? 32 : 28;
  for (let i = 0; i < ncmds; i++) {
    const cmd = b.readUInt32LE(at);
    if (cmd === 0x2) {
      // LC_SYMTAB: nlist entries; undefined (N_UNDF) and external (N_EXT) ones are the imports.
      const symoff = b.readUInt32LE(at + 8);
      const nsyms = b.readUInt32LE(at + 12);
      const stroff = b.readUInt32LE(at + 16);
      const size = is64 ? 16 : 12;
      for (let s = 0; s < nsyms; s++) {
        const e = symoff + s * size;
        const type = b[e + 4]!;
        if ((type & 0xe0) === 0 && (type & 0x0e) === 0 && (type & 0x01) === 1) imports.push(cString(b, stroff + b.readUInt32LE(e)).replace(/^_/, ''));
      }
    }
    at += b.readUInt32LE(at + 4);
  }
  return { arch: MACHO_CPUS[cpu] ?? `macho-${cpu}`, imports };
}

/** What a file is, if it is a native binary; undefined otherwise. `file` is a path on disk (for nm). */
function readBinary(b: Buffer, file: string): Binary | undefined {
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
    const out = execFileSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' });
    const imports = out.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean).map((s) => s.replace(/@.*$/, ''));
    return { format: 'elf', archs: [ELF_MACHINES[machine] ?? `elf-${machine}`], imports };
  }
  if (b.length >= 64 && b[0] === 0x4d && b[1] === 0x5a) {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 24 > b.length || b.readUInt32BE(pe) !== 0x50450000) return undefined;
    const machine = b.readUInt16LE(pe + 4);
    return { format: 'pe', archs: [PE_MACHINES[machine] ?? `pe-${machine}`], imports: peImports(b, pe) };
  }
  if (b.length >= 32 && (b.readUInt32LE(0) === 0xfeedfacf || b.readUInt32LE(0) === 0xfeedface)) {
    const slice = machoSlice(b);
    return { format: 'macho', archs: [slice.arch], imports: slice.imports };
  }
  if (b.length >= 8 && (b.readUInt32BE(0) === 0xcafebabe || b.readUInt32BE(0) === 0xcafebabf)) {
    const count = b.readUInt32BE(4);
    if (count === 0 || count > 16) return undefined; // a Java class file starts the same way
    const fat64 = b.readUInt32BE(0) === 0xcafebabf;
    const archs: string[] = [];
    const imports = new Set<string>();
    for (let i = 0; i < count; i++) {
      const e = 8 + i * (fat64 ? 32 : 20);
      const offset = fat64 ? Number(b.readBigUInt64BE(e + 8)) : b.readUInt32BE(e + 8);
      const size = fat64 ? Number(b.readBigUInt64BE(e + 16)) : b.readUInt32BE(e + 12);
      const slice = machoSlice(b.subarray(offset, offset + size));
      assert.equal(slice.arch, MACHO_CPUS[b.readUInt32BE(e)] ?? `macho-${b.readUInt32BE(e)}`, `${file}: the fat header and the slice disagree`);
      archs.push(slice.arch);
      for (const s of slice.imports) imports.add(s);
    }
    return { format: 'macho', archs, imports: [...imports] };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

describe('the VSIX of each platform', { timeout: 300_000 }, () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-vsix-'));

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  before(() => ensureVsix(Object.keys(TARGETS)));

  for (const [target, expected] of Object.entries(TARGETS)) {
    it(`${target}: its manifest, native binaries for ${expected.format} ${expected.arch} only and Electron-safe, under 8 MB`, () => {
      const file = vsixPath(target);
      const size = fs.statSync(file).size;
      assert.ok(size < MAX_BYTES, `${path.basename(file)} is ${(size / 1024 / 1024).toFixed(2)} MB`);
      const entries = unzip(file);
      const names = () => [...entries.keys()];

      const manifest = entries.get('extension.vsixmanifest')?.toString('utf8') ?? assert.fail('no extension.vsixmanifest');
      const identity = /<Identity\b[^>]*>/.exec(manifest)?.[0] ?? assert.fail('no <Identity> in the manifest');
      assert.match(identity, new RegExp(`TargetPlatform="${target}"`), identity);
      assert.match(identity, new RegExp(`Publisher="${pkg.publisher}"`), identity);
      const shipped = JSON.parse(entries.get('extension/package.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
      assert.equal(shipped['name'], pkg.name);
      assert.equal(shipped['version'], pkg.version);
      assert.equal(shipped['scripts'], undefined, 'no scripts in the shipped package.json');
      assert.equal(shipped['devDependencies'], undefined, 'no devDependencies in the shipped package.json');
      // Every %placeholder% of the manifest has its text in the shipped package.nls.json (else VS Code shows the key).
      const placeholders = [...JSON.stringify(shipped).matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]!);
      if (placeholders.length > 0) {
        const nls = JSON.parse(entries.get('extension/package.nls.json')?.toString('utf8') ?? assert.fail('no package.nls.json')) as Record<string, unknown>;
        assert.deepEqual(placeholders.filter((k) => typeof nls[k] !== 'string'), [], 'placeholders without a text in package.nls.json');
      }
      if (typeof shipped['l10n'] === 'string') {
        const folder = `extension/${(shipped['l10n'] as string).replace(/^\.\//, '')}/`;
        assert.ok(names().some((n) => n.startsWith(folder)), `the l10n folder ${folder} is missing`);
      }
      // vsce renames README.md, CHANGELOG.md and LICENSE to these.
      for (const must of ['extension/dist/extension.js', 'extension/dist/agent.js', 'extension/dist/webview.js', 'extension/media/icon.png', 'extension/LICENSE.txt', 'extension/changelog.md', 'extension/readme.md']) {
        assert.ok(entries.has(must), `${must} is missing`);
      }

      const unwanted = names().filter((n) => /\.(map|ts|mts|cts)$/.test(n) || /(^|\/)(test|tests|__tests__)\//.test(n) || n.startsWith('extension/src/') || n.startsWith('extension/out/'));
      assert.deepEqual(unwanted, [], 'source maps, TypeScript, tests or sources');

      const allow = JSON.parse(fs.readFileSync(path.join(ROOT, 'native-allowlist.json'), 'utf8')) as { allowed: { file: string; reason: string }[] };
      const allowed = new Map(allow.allowed.map((a) => [a.file, a.reason]));
      const dir = path.join(scratch, target);
      const found: string[] = [];
      const problems: string[] = [];
      for (const [name, data] of entries) {
        const onDisk = path.join(dir, name);
        fs.mkdirSync(path.dirname(onDisk), { recursive: true });
        fs.writeFileSync(onDisk, data);
        const binary = readBinary(data, onDisk);
        if (!binary) continue;
        const rel = name.replace(/^extension\/node_modules\//, '');
        found.push(rel);
        if (binary.format !== expected.format || !binary.archs.includes(expected.arch)) {
          problems.push(`${rel}: ${binary.format} ${binary.archs.join('+')}, not ${expected.format} ${expected.arch}`);
        }
        if (name.endsWith('.node') && !binary.imports.some((s) => s.startsWith('napi_'))) problems.push(`${rel}: no N-API import read (${binary.imports.length} imports)`);
        const bad = FORBIDDEN.filter((s) => binary.imports.includes(s));
        const reason = allowed.get(rel);
        if (bad.length > 0 && (!reason || reason.length < 20)) problems.push(`${rel}: imports ${bad.join(', ')}`);
      }
      assert.deepEqual(problems, [], `native binaries of ${target}`);
      for (const required of expected.required) assert.ok(found.includes(required), `${required} is missing; found ${found.join(', ')}`);
    });
  }

  it('no VSIX for a platform without libnut (linux-arm64, win32-arm64): they could not host', () => {
    for (const target of ['linux-arm64', 'win32-arm64']) assert.ok(!fs.existsSync(vsixPath(target)), `${path.basename(vsixPath(target))} should not be built`);
  });

});
