#!/usr/bin/env node
// Installs code-server (VS Code 1.100.3 served to a browser, with a real Node extension host) into
// .cache/code-server/, once: the editor tests and `npm run demo` run the extension in it, since no desktop
// VS Code can be downloaded here. Plain CommonJS so that it runs before any build.
//
//   node scripts/ensure-code-server.js        installs if needed, prints the binary's path
//   require('./ensure-code-server').ensureCodeServer()
//
// What the install needs (measured; see shared PLATFORM-FACTS "A real VS Code on this machine"):
// - Node 20: code-server's postinstall refuses any other major.
// - As root, npm_config_unsafe_perm=true, or its postinstall stops; npm_config_yes=true, because node-pty's
//   build runs `npx node-gyp`, which would otherwise wait for a "yes".
// - Debian libkrb5-dev (kerberos builds from source) and a C++ toolchain (scripts/install-system-deps.sh).
// - @vscode/ripgrep's postinstall downloads rg from a code host this machine cannot reach; it first looks in
//   $TMPDIR/vscode-ripgrep-cache-1.15.11/, so a tarball of Debian's rg placed there stands in for it.
// - code-server's own postinstall (`npm install` in lib/vscode and lib/vscode/extensions, then symlinks) must
//   run: without it the server has no node_modules and does not start. npm 11 weighs install scripts against
//   an `allowScripts` policy (unreviewed ones run with a warning, or fail under strict-allow-scripts), so the
//   folder's package.json allows code-server's and argon2's explicitly.
'use strict';

const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VERSION = '4.100.3';
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, '.cache', 'code-server');
/** Written last, after a check that the server starts: its presence means "installed and working". */
const MARKER = path.join(DIR, `.installed-${VERSION}`);

/** The code-server executable (a Node script with a shebang). */
function codeServerBin() {
  return path.join(DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function log(message) {
  console.error(`[code-server] ${message}`);
}

class InstallError extends Error {}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function checkPrerequisites() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) throw new InstallError(`code-server ${VERSION} needs Node 20 (this is ${process.version}).`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new InstallError(`this installer knows linux-x64 only (this is ${process.platform}-${process.arch}).`);
  }
  const missing = [];
  if (!which('rg')) missing.push('ripgrep (rg)');
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h') && !which('krb5-config')) missing.push('libkrb5-dev');
  for (const tool of ['g++', 'make', 'python3', 'tar']) if (!which(tool)) missing.push(tool);
  if (missing.length > 0) {
    throw new InstallError(`missing ${missing.join(', ')}: run \`bash scripts/install-system-deps.sh\` first.`);
  }
}

/** Puts a tarball of Debian's rg where @vscode/ripgrep's postinstall looks before it downloads. */
function placeRipgrepTarball(tmpdir) {
  const cacheDir = path.join(tmpdir, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const tarball = path.join(cacheDir, RIPGREP_ASSET);
  if (fs.existsSync(tarball)) return;
  fs.mkdirSync(cacheDir, { recursive: true });
  const rg = fs.realpathSync(which('rg'));
  // The postinstall runs `tar xvf` into its bin/ and expects `rg` at the top of the archive.
  execFileSync('tar', ['-czf', tarball, '-C', path.dirname(rg), path.basename(rg)]);
  log(`placed ${rg} as ${tarball}`);
}

/** Starts the installed server on a free port and waits for /healthz: a broken install fails here, not later. */
function smokeTest(env) {
  const script = `
    const { spawn } = require('node:child_process');
    const net = require('node:net');
    const http = require('node:http');
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      srv.close(() => {
        const child = spawn(process.execPath, [${JSON.stringify(codeServerBin())}, '--auth', 'none', '--bind-addr', '127.0.0.1:' + port,
          '--disable-telemetry', '--disable-update-check', '--user-data-dir', process.argv[1] + '/data', '--extensions-dir', process.argv[1] + '/ext'],
          { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
        const stop = (code) => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} process.exit(code); };
        const end = Date.now() + 60000;
        const poll = () => http.get('http://127.0.0.1:' + port + '/healthz', (res) => { res.resume(); res.statusCode === 200 ? stop(0) : retry(); }).on('error', retry);
        const retry = () => (Date.now() > end ? stop(1) : setTimeout(poll, 200));
        child.on('exit', (code) => { console.error('code-server exited early with ' + code); process.exit(1); });
        poll();
      });
    });`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'code-server-smoke-'));
  try {
    const smokeEnv = { ...env, HOME: scratch };
    delete smokeEnv.PORT; // it would override --bind-addr
    const r = spawnSync(process.execPath, ['-e', script, scratch], { env: smokeEnv, stdio: 'inherit' });
    return r.status === 0;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Installs code-server unless the marker says it is there; returns the binary's path. Throws `InstallError`. */
function ensureCodeServer() {
  if (fs.existsSync(MARKER) && fs.existsSync(codeServerBin())) return codeServerBin();
  checkPrerequisites();
  const started = Date.now();
  const tmpdir = os.tmpdir();
  placeRipgrepTarball(tmpdir);

  // No marker: start afresh. npm would not run code-server's postinstall again over a half-finished install.
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(
    path.join(DIR, 'package.json'),
    JSON.stringify(
      {
        '//': 'Written by scripts/ensure-code-server.js: code-server for the editor tests and the demo.',
        private: true,
        dependencies: { 'code-server': VERSION },
        // code-server's postinstall installs VS Code's own dependencies; argon2 builds its native module.
        allowScripts: { [`code-server@${VERSION}`]: true, argon2: true },
      },
      null,
      2,
    ) + '\n',
  );
  const env = {
    ...process.env,
    TMPDIR: tmpdir,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
    // The nested installs in lib/vscode have no allowScripts policy of their own: keep npm's default (run the
    // unreviewed scripts with a warning) even where a user's .npmrc makes that an error.
    npm_config_strict_allow_scripts: 'false',
  };
  // Nothing from the project's own npm run (npm_package_*, npm_lifecycle_*) may leak into the nested installs.
  for (const key of Object.keys(env)) if (/^npm_(package|lifecycle)_/.test(key)) delete env[key];
  log(`installing code-server@${VERSION} into ${path.relative(ROOT, DIR)} (about a minute, ~300 MB; npm's output follows)`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=warn'], {
    cwd: DIR,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error) throw new InstallError(`could not run npm: ${r.error.message}`);
  if (r.status !== 0) throw new InstallError(`npm install failed (exit ${r.status}); see its output above.`);
  // code-server's postinstall leaves these; if npm skipped it, say so plainly rather than fail at start-up.
  const vscodeModules = path.join(DIR, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  if (!fs.existsSync(path.join(vscodeModules, 'node-pty')) || !fs.existsSync(path.join(vscodeModules, '@vscode', 'ripgrep', 'bin', 'rg'))) {
    throw new InstallError(`code-server's postinstall did not complete (no ${path.relative(ROOT, vscodeModules)}/node-pty or ripgrep's rg): did npm skip its install script?`);
  }
  log('checking that the server starts…');
  if (!smokeTest(env)) throw new InstallError('the installed code-server did not answer /healthz.');
  fs.writeFileSync(MARKER, `${new Date().toISOString()}\n`);
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return codeServerBin();
}

module.exports = { ensureCodeServer, codeServerBin, CODE_SERVER_VERSION: VERSION, InstallError };

if (require.main === module) {
  try {
    console.log(ensureCodeServer());
  } catch (error) {
    console.error(`[code-server] install failed: ${error instanceof InstallError ? error.message : error.stack}`);
    process.exit(1);
  }
}
