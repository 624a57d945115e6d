#!/usr/bin/env node
// `npm run demo`: Remote Assist in a real VS Code on this machine, with nothing from outside.
//
// Builds the extension, installs code-server once (scripts/ensure-code-server.js), then starts a PeerServer on
// 127.0.0.1, an X display if there is none (Xvfb 1920x1080 with two xterms to look at), and code-server with the
// extension installed from this platform's VSIX (packaged first by scripts/package.js when it is missing or stale:
// the demo runs what ships) and pointed at that PeerServer. Open the printed URL in two browser windows: in one run
// "Remote Assist: Invite Helper", in the other "Remote Assist: Join" and paste the code. Each window has its own
// extension host, both on this machine: the helper sees this machine's (or the demo's) X display.
//
// DEMO_PORT chooses code-server's port (default 8080). Ctrl+C or SIGTERM stops everything it started.
//
// The pieces are the editor tests' own (test/support/codeServer.ts, test/support/env.ts), compiled here
// with esbuild so that there is one implementation of each.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, testExternals, nodeOptions } = require('./buildConfig');

function step(message) {
  console.log(`[demo] ${message}`);
}

function build() {
  step('building the extension (node esbuild.js)…');
  const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed; see above');
  // The launcher and the X/PeerServer helpers are TypeScript: bundle them beside the tests' bundles, which is
  // where env.ts expects to live (it finds the repository three folders up).
  const outfile = path.join(ROOT, 'out', 'test', 'editor', 'demo-parts.js');
  require('esbuild').buildSync({
    // The tests' options (scripts/buildConfig.js), as these are the tests' drivers; no PeerJS in them, so no shims.
    ...nodeOptions({ external: testExternals, peerjs: false }),
    stdin: {
      contents: "export * from './test/support/codeServer';\nexport * from './test/support/env';\n",
      resolveDir: ROOT,
      sourcefile: 'demo-parts.ts',
      loader: 'ts',
    },
    outfile,
  });
  return require(outfile);
}

/** Two windows on a fresh display: a shell to work in (and for the helper to type into), and some colour. */
async function startDesktop(parts, stack) {
  const display = await parts.startXvfb(stack, 1920, 1080);
  const welcome = [
    'echo "Remote Assist demo: this is the shared screen (DISPLAY=$DISPLAY)."',
    'echo "A helper who takes control types here."',
    'exec bash --norc -i',
  ].join('; ');
  await parts.startXterm(stack, display, ['-geometry', '110x32+60+60', '-bg', '#1e1e2e', '-fg', '#cdd6f4', '-e', 'bash', '-c', welcome], 'Remote Assist demo shell');
  const palette = [
    'for i in $(seq 0 255); do printf "\\033[48;5;%dm    " "$i"; [ $((i % 16)) -eq 15 ] && printf "\\033[0m\\n"; done',
    'printf "\\033[0m\\n  256 colours, to check the picture\\n"',
    'exec sleep 2147483647',
  ].join('; ');
  await parts.startXterm(stack, display, ['-geometry', '66x20+1100+120', '-bg', 'black', '-fg', 'white', '-e', 'bash', '-c', palette], 'Remote Assist demo colours');
  return display;
}

async function main() {
  const parts = build();
  const { ensureCodeServer } = require('./ensure-code-server');
  ensureCodeServer();

  const stack = new parts.Stack();
  let stopping;
  const stop = (why) => {
    stopping ??= (async () => {
      step(`${why}: stopping everything…`);
      await stack.stop();
      // A start-up step that was under way may have added one more process meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await stack.stop();
      step('stopped.');
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => void stop(signal).then(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  }

  try {
    const peerPort = await parts.startPeerServer(stack);
    step(`PeerServer on 127.0.0.1:${peerPort}`);
    const stillStarting = () => {
      if (stopping) throw new Error('interrupted');
    };
    let display = process.env.DISPLAY;
    if (display) {
      step(`using your display ${display}`);
    } else {
      display = await startDesktop(parts, stack);
      step(`no DISPLAY: started Xvfb on ${display} (1920x1080) with two xterms`);
    }
    stillStarting();
    const port = process.env.DEMO_PORT ? Number(process.env.DEMO_PORT) : 8080;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`DEMO_PORT=${process.env.DEMO_PORT} is not a port number`);
    const logFile = path.join(ROOT, '.cache', 'demo', 'code-server.log');
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const log = fs.createWriteStream(logFile);
    stack.add(() => new Promise((resolve) => log.end(resolve)));
    step(`starting code-server on 127.0.0.1:${port} with the extension's VSIX (its log: ${path.relative(ROOT, logFile)})…`);
    const server = await parts.startCodeServer({
      stack,
      port,
      installExtension: true,
      env: { DISPLAY: display },
      onOutput: (line) => log.write(`${line}\n`),
      userSettings: parts.loopbackSettings(peerPort),
    });
    console.log('');
    console.log(`Remote Assist demo: ${server.url}`);
    console.log('');
    console.log('  Open that address in two browser windows (it serves 127.0.0.1 only: from another machine, forward');
    console.log(`  the port, e.g. ssh -L ${port}:127.0.0.1:${port}). In each, press F1:`);
    console.log('    window 1 (the host):   "Remote Assist: Invite Helper", and copy the invitation code it shows;');
    console.log('    window 2 (the helper): "Remote Assist: Join", and paste the code.');
    console.log(`  The shared screen is X display ${display}. Ctrl+C stops everything.`);
    console.log('');
  } catch (error) {
    if (stopping) return; // a signal is stopping everything already, and exits
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    await stop('start-up failed');
    process.exit(1);
  }
  // Hold on until a signal, or until our parent goes: a SIGTERM to `npm run demo` ends npm and its `sh -c`
  // without reaching this process, which is then handed to init. A new parent id is the only sign of it.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('the parent process exited').then(() => process.exit(143));
  }, 500);
}

main().catch((error) => {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
