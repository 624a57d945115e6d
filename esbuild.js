// Builds every bundle and the agent's native grabber (scripts/buildNative.js): the extension (Node, CommonJS), the host agent (Node, child process), the helper's
// webview and the host's chat view (browser) and the tests. `node esbuild.js --watch` rebuilds on change. The options that the bench and
// the demo share with these builds (externals, Node target, PeerJS shims) are in scripts/buildConfig.js.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, testExternals, nodeOptions, browserOptions } = require('./scripts/buildConfig');
const { buildXshm } = require('./scripts/buildNative');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

function testEntries(dir) {
  if (!fs.existsSync(path.join(ROOT, dir))) return [];
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.includes('page' + path.sep))
    .map((f) => path.join(dir, f));
}

const builds = [
  { ...nodeOptions({ production }), entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...nodeOptions({ production, peerjs: false }), entryPoints: ['src/agent/main.ts'], outfile: 'dist/agent.js' },
  { ...browserOptions({ production }), entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js' },
  { ...browserOptions({ production }), entryPoints: ['src/webview/hostChat.ts'], outfile: 'dist/hostChat.js' },
  {
    ...nodeOptions({ production, external: testExternals }),
    entryPoints: [...testEntries('test/unit'), ...testEntries('test/integration'), ...testEntries('test/suite'), ...testEntries('test/editor'), 'test/support/suiteRun.ts', 'test/support/suiteIndex.ts', 'test/support/suiteLauncher.ts'],
    outdir: 'out/test',
    outbase: 'test',
  },
];

async function main() {
  // The agent's MIT-SHM grabber beside its bundle (Linux; optional: without it the agent uses libnut's grabs).
  buildXshm(path.join(ROOT, 'dist'));
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
