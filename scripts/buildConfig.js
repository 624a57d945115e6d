// The esbuild options that every bundle of this repository shares: esbuild.js (the extension, the agent, the
// webview and the tests), bench/run.js (the bench) and scripts/demo.js (the demo's parts) all take them from here,
// so that a package left external or a Node option is decided once.
'use strict';

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * Left in node_modules, not bundled, in every Node bundle: `vscode` (the extension host provides it), the native
 * or platform-specific packages (node-datachannel, nut-js and libnut's per-OS loaders, which the agent also loads
 * alone for its grabs, screenshot-desktop's per-OS scripts) and ws's optional native add-ons. Everything else is
 * bundled (and the VSIX ships these packages: see .vscodeignore).
 */
const nodeExternals = [
  'vscode',
  'node-datachannel',
  '@nut-tree-fork/nut-js',
  '@nut-tree-fork/libnut-linux',
  '@nut-tree-fork/libnut-darwin',
  '@nut-tree-fork/libnut-win32',
  'screenshot-desktop',
  'bufferutil',
  'utf-8-validate',
];

/** The tests, the bench and the demo also load the development tools that drive them from node_modules. */
const testExternals = [...nodeExternals, 'playwright-core', 'peer', '@vscode/test-electron', 'mocha'];

/**
 * PeerJS expects a browser: these module-local shims stand in for window, WebSocket and RTCPeerConnection inside
 * a bundle only, so the extension host's globals (shared with every other extension) stay clean.
 */
const peerjsShims = path.join(ROOT, 'src', 'host', 'peerjsShims.ts');

/**
 * A Node bundle (CommonJS, Node 20). Paths are resolved from the repository's root whatever the working folder.
 * @param {{ production?: boolean, external?: string[], peerjs?: boolean }} [options]
 *   production: minified, without source maps; external: defaults to nodeExternals; peerjs: inject the PeerJS
 *   shims (the bundles that load the host session need them; the agent does not).
 */
function nodeOptions({ production = false, external = nodeExternals, peerjs = true } = {}) {
  return {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    external,
    inject: peerjs ? [peerjsShims] : [],
    // WebAssembly (the agent's WebP encoder, src/agent/webp.ts) travels inside the bundle as bytes: no file to find.
    loader: { '.wasm': 'binary' },
  };
}

/** The helper's webview: a browser bundle, everything bundled, for the Chromium of VS Code's webviews. */
function browserOptions({ production = false } = {}) {
  return {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  };
}

module.exports = { ROOT, nodeExternals, testExternals, peerjsShims, nodeOptions, browserOptions };
