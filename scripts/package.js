#!/usr/bin/env node
// `npm run package`: one VSIX per platform, into out/vsix/ (git-ignored).
//
//   node scripts/package.js                       every target below
//   node scripts/package.js linux-x64 win32-x64   only these
//
// A VSIX built from this checkout as it is would carry this machine's native binaries only (or, with the other
// platforms' packages installed, all of them at once: ~19 MB), and vsce warns about an extension of hundreds of
// JavaScript files. So each target is staged on its own, in .cache/vsix/stage/<target>/, holding exactly what the
// extension loads at run time:
//   - dist/: the production bundles (minified, no source maps), built here with esbuild.js's options, except that
//     nut-js and its pure-JavaScript tree (jimp and the like, ~140 packages) are bundled into the agent too: only
//     packages that must stay folders stay external (`VSIX_EXTERNALS`: native binaries found beside their loader,
//     files found through __dirname); for linux-x64 also the agent's xshm.node (scripts/buildNative.js);
//   - node_modules/: those packages and what they need, installed for the target from package-lock.json (npm ci
//     --os/--cpu/--libc into .cache/vsix/modules/<target>/, once per lockfile), less their tests, examples,
//     sources, types, maps and prose, and less every native binary built for another platform or architecture
//     (told by its header, not its path);
//   - media/, README.md, LICENSE, CHANGELOG.md, .vscodeignore, package.nls*.json, the `l10n` folder, and
//     package.json without its scripts and development parts, its dependencies being the packages staged.
// Then `vsce package --target <target>` runs in that folder. A warning from vsce fails the build.
//
// linux-arm64 and win32-arm64 are left out on purpose: libnut (nut-js) has no build for them, so Invite Helper
// could neither capture nor control there, and the extension does not yet say so plainly (see the README).
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, nodeExternals, nodeOptions, browserOptions } = require('./buildConfig');
const { buildXshm } = require('./buildNative');

/** VS Code's target platform -> npm's os/cpu/libc for the install, and the binaries' format and architecture. */
const TARGETS = {
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc', format: 'elf', arch: 'x64' },
  'darwin-x64': { os: 'darwin', cpu: 'x64', format: 'macho', arch: 'x64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', format: 'macho', arch: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64', format: 'pe', arch: 'x64' },
};

/** libnut's per-OS packages: each finds its binary with `bindings`, from its own folder. */
const LIBNUT = { linux: '@nut-tree-fork/libnut-linux', darwin: '@nut-tree-fork/libnut-darwin', win32: '@nut-tree-fork/libnut-win32' };

/**
 * What the shipped bundles leave in node_modules: esbuild.js's externals, except nut-js, which is bundled down to
 * the packages that must stay folders: libnut's loaders (native binaries beside them) and clipboardy (runs its
 * bundled xsel/clipboard.exe from a path relative to its own file). node-datachannel and screenshot-desktop stay
 * as they are in development (a native loader; scripts run from __dirname on Windows).
 */
const VSIX_EXTERNALS = [...new Set([...nodeExternals.filter((name) => name !== '@nut-tree-fork/nut-js'), ...Object.values(LIBNUT), 'clipboardy'])];

const CACHE = path.join(ROOT, '.cache', 'vsix');
const OUT = path.join(ROOT, 'out', 'vsix');

/** The native binaries each target must end up with (relative to node_modules): without them it cannot host. */
function requiredBinaries(target) {
  const ndc = { 'linux-x64': 'linux-x64-gnu', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64-msvc' }[target];
  const nut = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[TARGETS[target].os];
  return [`@node-datachannel/${ndc}/node_datachannel.node`, `@nut-tree-fork/libnut-${nut}/build/Release/libnut.node`];
}

function step(message) {
  console.log(`[package] ${message}`);
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Native binaries: what a file's header says it is. The VSIX test (test/integration/vsix.test.ts) reads the same
// headers with a parser of its own, so that the check does not trust the code it checks.

/** `{ format, archs }` for an ELF, PE or Mach-O (thin or universal) file; undefined for anything else. */
function binaryKind(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const b = head.subarray(0, n);
    if (n >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
      const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
      return { format: 'elf', archs: [{ 62: 'x64', 183: 'arm64', 3: 'ia32', 40: 'arm' }[machine] ?? `elf-${machine}`] };
    }
    if (n >= 64 && b[0] === 0x4d && b[1] === 0x5a) {
      const pe = b.readUInt32LE(0x3c);
      if (pe + 6 <= n && b.readUInt32BE(pe) === 0x50450000) {
        const machine = b.readUInt16LE(pe + 4);
        return { format: 'pe', archs: [{ 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }[machine] ?? `pe-${machine}`] };
      }
      return undefined;
    }
    const macho = (cpu) => ({ 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'ia32', 12: 'arm' })[cpu >>> 0] ?? `macho-${cpu}`;
    if (n >= 8 && (b.readUInt32LE(0) === 0xfeedfacf || b.readUInt32LE(0) === 0xfeedface)) return { format: 'macho', archs: [macho(b.readInt32LE(4))] };
    if (n >= 8 && (b.readUInt32BE(0) === 0xcafebabe || b.readUInt32BE(0) === 0xcafebabf)) {
      const count = b.readUInt32BE(4);
      if (count === 0 || count > 16) return undefined; // 0xcafebabe is also a Java class file
      const size = b.readUInt32BE(0) === 0xcafebabf ? 32 : 20;
      const archs = [];
      for (let i = 0; i < count && 8 + i * size + 4 <= n; i++) archs.push(macho(b.readInt32BE(8 + i * size)));
      return { format: 'macho', archs };
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Step 1: the production bundles.

/**
 * The four bundles of esbuild.js, production options, into `outdir` (not dist/, which the tests and the other
 * builds share). The tests' bundles are not shipped.
 */
async function buildBundles(outdir) {
  const esbuild = require('esbuild');
  fs.rmSync(outdir, { recursive: true, force: true });
  const external = VSIX_EXTERNALS;
  await Promise.all([
    esbuild.build({ ...nodeOptions({ production: true, external }), entryPoints: ['src/extension.ts'], outfile: path.join(outdir, 'extension.js') }),
    esbuild.build({ ...nodeOptions({ production: true, external, peerjs: false }), entryPoints: ['src/agent/main.ts'], outfile: path.join(outdir, 'agent.js') }),
    esbuild.build({ ...browserOptions({ production: true }), entryPoints: ['src/webview/main.ts'], outfile: path.join(outdir, 'webview.js') }),
    esbuild.build({ ...browserOptions({ production: true }), entryPoints: ['src/webview/hostChat.ts'], outfile: path.join(outdir, 'hostChat.js') }),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Step 2: the runtime packages, installed for the target.

/** node_modules of a production install for `target`, exactly as package-lock.json says; reused while it holds. */
function installModules(target) {
  const { os: npmOs, cpu, libc } = TARGETS[target];
  const lock = fs.readFileSync(path.join(ROOT, 'package-lock.json'));
  const pkg = fs.readFileSync(path.join(ROOT, 'package.json'));
  // package.json changes often (commands, settings); the install depends only on the lockfile and the dependencies.
  const { dependencies, devDependencies } = JSON.parse(pkg.toString('utf8'));
  const key = crypto.createHash('sha256').update(lock).update(JSON.stringify({ dependencies, devDependencies })).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, 'modules', target);
  const marker = path.join(dir, `.installed-${key}`);
  if (fs.existsSync(marker)) return path.join(dir, 'node_modules');
  step(`${target}: installing the runtime packages for ${npmOs}-${cpu} (npm ci --omit=dev)…`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), pkg);
  fs.writeFileSync(path.join(dir, 'package-lock.json'), lock);
  const args = ['ci', '--omit=dev', `--os=${npmOs}`, `--cpu=${cpu}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  if (libc) args.push(`--libc=${libc}`);
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const k of Object.keys(env)) if (/^npm_(package|lifecycle)_/.test(k)) delete env[k];
  run('npm', args, { cwd: dir, env });
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  return path.join(dir, 'node_modules');
}

/**
 * The packages the externals need at run time: their dependencies and those optional ones that the install for
 * the target has, resolved as Node resolves them. Returns package folders relative to `modules`.
 */
function runtimeClosure(modules, target) {
  const otherLibnut = Object.entries(LIBNUT).filter(([os]) => os !== TARGETS[target].os).map(([, name]) => name);
  const roots = VSIX_EXTERNALS.filter((name) => name !== 'vscode' && !otherLibnut.includes(name));
  const found = new Set();
  const queue = [];
  /** Node's lookup from the package at `fromRel` ("a" or "a/node_modules/b"): its own node_modules, then up. */
  const resolveFrom = (fromRel, name) => {
    let base = fromRel;
    for (;;) {
      const candidate = base ? path.join(base, 'node_modules', name) : name;
      if (fs.existsSync(path.join(modules, candidate, 'package.json'))) return candidate;
      if (!base) return undefined;
      const cut = base.lastIndexOf(`${path.sep}node_modules${path.sep}`);
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  for (const name of roots) {
    // bufferutil and utf-8-validate are ws's optional add-ons: external only so that the bundle does not fail
    // to build; ws runs without them.
    if (fs.existsSync(path.join(modules, name, 'package.json'))) queue.push(name);
    else if (name !== 'bufferutil' && name !== 'utf-8-validate') throw new Error(`${name} is not in ${modules}`);
  }
  while (queue.length > 0) {
    const rel = queue.shift();
    if (found.has(rel)) continue;
    found.add(rel);
    const pkg = JSON.parse(fs.readFileSync(path.join(modules, rel, 'package.json'), 'utf8'));
    const required = Object.keys(pkg.dependencies ?? {});
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const dep of new Set([...required, ...optional])) {
      const at = resolveFrom(rel, dep);
      if (at) queue.push(at);
      else if (!optional.has(dep)) throw new Error(`${rel} needs ${dep}, which the install for this target lacks`);
    }
  }
  return { roots: roots.filter((name) => found.has(name)), packages: [...found].sort() };
}

// ---------------------------------------------------------------------------------------------------------------
// Step 3: the staging folder.

/** Folders that no package needs at run time (anywhere inside a package). */
const JUNK_DIRS = new Set(['.github', 'test', 'tests', '__tests__', 'example', 'examples', 'docs', 'doc', 'coverage', 'benchmark', 'benchmarks', '.vscode', '.idea', 'website']);
/** Files that no package needs at run time, by name. */
const JUNK_FILES = /^(tsconfig.*\.json|jest\.config\..*|\.eslintrc.*|\.prettierrc.*|\.editorconfig|\.npmignore|\.travis\.yml|\.nycrc.*|CMakeLists\.txt|binding\.gyp|Makefile|test\.js|.*\.(map|ts|mts|cts|tsbuildinfo|cc|cpp|c|h|hpp|mm|gyp|gypi|lib|exp|pdb|ilk|obj))$/i;
/** Packages' own folders that hold sources, types, browser or ES-module copies: the extension requires CommonJS. */
const PACKAGE_JUNK = {
  'node-datachannel': ['src', 'dist/esm', 'dist/types', 'BULDING.md'],
  'node-addon-api': ['tools'],
  // The script that renames each platform's package when it is published.
  '@nut-tree-fork/libnut-linux': ['patch-packagename.js'],
  '@nut-tree-fork/libnut-darwin': ['patch-packagename.js'],
  '@nut-tree-fork/libnut-win32': ['patch-packagename.js'],
};

function isDocument(name) {
  // Licences and notices stay with the code they cover; the rest of the prose does not ship.
  if (/^(licen[cs]e|copying|notice|authors)/i.test(name)) return false;
  return /\.(md|markdown)$/i.test(name) || /^(readme|changelog|history|changes)(\..*)?$/i.test(name);
}

/** Copies one package (not its nested node_modules, staged separately) without what it needs only to be built. */
function copyPackage(from, to, rel) {
  const skip = new Set((PACKAGE_JUNK[rel.split(path.sep).join('/')] ?? []).map((p) => path.join(from, p)));
  const walk = (src, dst) => {
    fs.mkdirSync(dst, { recursive: true });
    for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
      const s = path.join(src, entry.name);
      if (skip.has(s)) continue;
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || JUNK_DIRS.has(entry.name)) continue;
        walk(s, path.join(dst, entry.name));
      } else if (entry.isFile()) {
        if (JUNK_FILES.test(entry.name) || isDocument(entry.name)) continue;
        fs.copyFileSync(s, path.join(dst, entry.name));
        fs.chmodSync(path.join(dst, entry.name), fs.statSync(s).mode);
      }
    }
  };
  walk(from, to);
}

/** Removes every native binary not built for the target; returns what it removed and what it kept. */
function pruneBinaries(dir, target) {
  const { format, arch } = TARGETS[target];
  const removed = [];
  const kept = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const kind = binaryKind(p);
        if (!kind) continue;
        const rel = path.relative(dir, p).split(path.sep).join('/');
        if (kind.format === format && kind.archs.includes(arch)) kept.push(rel);
        else {
          fs.rmSync(p);
          removed.push(`${rel} (${kind.format} ${kind.archs.join('+')})`);
        }
      }
    }
  };
  walk(dir);
  return { removed, kept };
}

/** The manifest that ships: no scripts or development parts; its dependencies are the packages staged. */
function stagedManifest(modules, roots) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  delete pkg.scripts;
  delete pkg.devDependencies;
  pkg.dependencies = Object.fromEntries(roots.map((name) => [name, JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version]));
  return pkg;
}

function stage(target, bundles) {
  const dir = path.join(CACHE, 'stage', target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(bundles, path.join(dir, 'dist'), { recursive: true });
  // The agent's MIT-SHM grabber (scripts/buildNative.js), built here: so linux-x64 only, and only from a Linux x64.
  if (target === 'linux-x64') {
    if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('linux-x64: xshm.node is built with this machine\'s compiler: package it on Linux x64');
    fs.copyFileSync(buildXshm(path.join(CACHE, 'native'), { required: true }), path.join(dir, 'dist', 'xshm.node'));
  }
  fs.cpSync(path.join(ROOT, 'media'), path.join(dir, 'media'), { recursive: true });
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  // The manifest's %placeholders% (package.nls.json, one per language) and vscode.l10n's bundles (the `l10n` folder).
  for (const file of fs.readdirSync(ROOT).filter((f) => /^package\.nls(\.[\w-]+)?\.json$/.test(f))) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  const { l10n } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  if (l10n) fs.cpSync(path.join(ROOT, l10n), path.join(dir, l10n), { recursive: true });

  const modules = installModules(target);
  const { roots, packages } = runtimeClosure(modules, target);
  for (const rel of packages) copyPackage(path.join(modules, rel), path.join(dir, 'node_modules', rel), rel);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(stagedManifest(modules, roots), null, 2) + '\n');

  const { removed, kept } = pruneBinaries(path.join(dir, 'node_modules'), target);
  for (const r of removed) step(`${target}: left out ${r}`);
  const missing = requiredBinaries(target).filter((b) => !kept.includes(b));
  if (missing.length > 0) throw new Error(`${target}: no ${missing.join(', ')} after pruning (kept: ${kept.join(', ')})`);
  step(`${target}: ${packages.length} packages; native binaries: ${kept.join(', ')}`);
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// Step 4: vsce.

function vsce(dir, target, outFile) {
  const bin = require.resolve('@vscode/vsce/vsce', { paths: [ROOT] });
  const r = spawnSync(process.execPath, [bin, 'package', '--target', target, '--out', outFile], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${r.stdout}${r.stderr}`.trim();
  if (r.status !== 0) throw new Error(`vsce package --target ${target} failed (exit ${r.status}):\n${output}`);
  const warnings = output.split('\n').filter((l) => /warn/i.test(l));
  if (warnings.length > 0) throw new Error(`vsce warned for ${target}:\n${warnings.join('\n')}`);
  const done = output.split('\n').find((l) => l.includes('Packaged:'));
  step(`${target}: ${done ? done.replace(/^.*Packaged:\s*/, '') : outFile}`);
}

async function main() {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((t) => !TARGETS[t]);
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);
  const targets = asked.length > 0 ? asked : Object.keys(TARGETS);
  const { version, name } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const started = Date.now();

  step('building the production bundles…');
  const bundles = path.join(CACHE, 'dist');
  await buildBundles(bundles);
  fs.mkdirSync(OUT, { recursive: true });
  for (const target of targets) {
    const dir = stage(target, bundles);
    const outFile = path.join(OUT, `${name}-${target}-${version}.vsix`);
    fs.rmSync(outFile, { force: true });
    vsce(dir, target, outFile);
  }
  step(`done in ${Math.round((Date.now() - started) / 1000)} s: ${path.relative(ROOT, OUT)}/`);
}

module.exports = { TARGETS };

if (require.main === module) {
  main().catch((error) => {
    console.error(`[package] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
