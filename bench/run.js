#!/usr/bin/env node
// `npm run bench` (after `node esbuild.js` has built dist/): bundles the bench (bench/*.ts, with the product's
// pieces from src/ and the integration tests' from test/integration/) into out/bench/bundle/, compiles the host
// window (bench/window.c), then runs the bench with this script's arguments (--with-peer, --long, ...).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { ROOT, testExternals, nodeOptions } = require('../scripts/buildConfig');

// Three folders deep, as the tests' bundles are: test/support/env.ts finds the repository three folders up.
const BUNDLE = path.join(ROOT, 'out', 'bench', 'bundle');
const WINDOW = path.join(ROOT, 'out', 'bench', 'bench-window');

function bundle() {
  // The tests' options (scripts/buildConfig.js): the host session inside needs the PeerJS shims, and the drivers
  // from test/support/ load Playwright and PeerServer from node_modules.
  const common = nodeOptions({ external: testExternals });
  esbuild.buildSync({ ...common, entryPoints: [path.join(__dirname, 'main.ts')], outfile: path.join(BUNDLE, 'main.js') });
  esbuild.buildSync({ ...common, entryPoints: [path.join(__dirname, 'host.ts')], outfile: path.join(BUNDLE, 'host.js') });
}

function compileWindow() {
  const source = path.join(__dirname, 'window.c');
  if (fs.existsSync(WINDOW) && fs.statSync(WINDOW).mtimeMs >= fs.statSync(source).mtimeMs) return;
  const cc = () => spawnSync('gcc', ['-O2', '-o', WINDOW, source, '-lX11'], { stdio: 'inherit' });
  let r = cc();
  if (r.status !== 0) {
    console.log('[bench] cannot compile bench/window.c; installing gcc and Xlib headers (bench/install-deps.sh)');
    spawnSync('bash', [path.join(__dirname, 'install-deps.sh')], { stdio: 'inherit' });
    r = cc();
    if (r.status !== 0) throw new Error('bench/window.c does not compile (gcc, libx11-dev)');
  }
}

try {
  fs.mkdirSync(BUNDLE, { recursive: true });
  bundle();
  compileWindow();
} catch (error) {
  console.error(`[bench] build failed: ${error.message}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--enable-source-maps', path.join(BUNDLE, 'main.js'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
