// Builds every bundle: the extension (Node, CommonJS), the host agent (Node, child process), the helper's
// webview (browser) and the tests. `node esbuild.js --watch` rebuilds on change.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Native or platform-specific packages stay in node_modules; everything else is bundled. */
const nodeExternals = ['vscode', 'node-datachannel', '@nut-tree-fork/nut-js', 'screenshot-desktop', 'bufferutil', 'utf-8-validate'];
const testExternals = [...nodeExternals, 'playwright-core', 'peer', '@vscode/test-electron', 'mocha'];

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // PeerJS expects a browser: these module-local shims stand in for window, WebSocket and RTCPeerConnection
  // inside the bundle only, so the extension host's globals (shared with every other extension) stay clean.
  inject: ['src/host/peerjsShims.ts'],
};

function testEntries(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.includes('page' + path.sep))
    .map((f) => path.join(dir, f));
}

const builds = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: nodeExternals },
  { ...node, entryPoints: ['src/agent/main.ts'], outfile: 'dist/agent.js', external: nodeExternals, inject: [] },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
  },
  {
    ...node,
    entryPoints: [...testEntries('test/unit'), ...testEntries('test/integration'), ...testEntries('test/suite'), ...testEntries('test/editor'), 'test/support/suiteRun.ts', 'test/support/suiteIndex.ts', 'test/support/suiteLauncher.ts'],
    outdir: 'out/test',
    outbase: 'test',
    external: testExternals,
  },
];

async function main() {
  const contexts = await Promise.all(builds.filter((b) => b.entryPoints.length > 0).map((b) => esbuild.context(b)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
