#!/usr/bin/env node
/**
 * Stands in for the VS Code executable when @vscode/test-electron runs the suite on a machine without desktop
 * VS Code (see suiteRun.ts). It takes `--extensionDevelopmentPath=` and `--extensionTestsPath=` (the other flags
 * test-electron passes are for Electron and are ignored), starts code-server and headless Chromium, opens the
 * workbench as a development window that runs the tests, prints the suite's output, and exits with the suite's
 * exit code: the workbench hands it to `window.codeAutomationExit(code)` when the extension host's `run()` settles.
 *
 * Logs: test-results/editor-host/ (code-server's output, the page's console, the editor's own log files).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCodeServer } from './codeServer';
import { consoleText } from './workbench';
import { ROOT, Stack, launchChromium } from './env';

const SUITE_TIMEOUT_MS = Number(process.env['REMOTE_ASSIST_SUITE_TIMEOUT_MS'] ?? 300_000);
const LOGS = path.join(ROOT, 'test-results', 'editor-host');

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.slice(2).find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Picks the extension host's stdout out of code-server's output, where the server logs each chunk as
 * `[12:00:00] [127.0.0.1][id][ExtensionHostConnection] <pid> chunk`; the chunk's further lines follow bare.
 * The suite writes its report to stdout (suiteIndex.ts), so this is the suite's output, as it happens.
 */
function extensionHostOutput(print: (line: string) => void): (line: string) => void {
  const chunk = /^\[[\d:]+\] \[[^\]]*\]\[[^\]]*\]\[ExtensionHostConnection\] <\d+>(?:<stderr>)? ?(.*)$/;
  const ownLine = /^(Launched Extension Host Process|Extension Host Process exited)/;
  const serverLine = /^\[(\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[^\]]*)\] /;
  let inChunk = false;
  return (line) => {
    const m = chunk.exec(line);
    if (m) {
      inChunk = !ownLine.test(m[1]!);
      if (inChunk && m[1]!.trim()) print(m[1]!);
    } else if (serverLine.test(line)) {
      inChunk = false;
    } else if (inChunk) {
      print(line);
    }
  };
}

async function main(): Promise<number> {
  const developmentPath = arg('extensionDevelopmentPath');
  const testsPath = arg('extensionTestsPath');
  if (!developmentPath || !testsPath) {
    console.error('usage: launcher --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [other VS Code flags, ignored]');
    return 2;
  }
  fs.rmSync(LOGS, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });
  const serverLog = fs.createWriteStream(path.join(LOGS, 'code-server.log'));
  const pageLog = fs.createWriteStream(path.join(LOGS, 'page-console.log'));

  const stack = new Stack();
  const stop = async (code: number) => {
    await stack.stop();
    await Promise.all([serverLog, pageLog].map((s) => new Promise((r) => s.end(r))));
    return code;
  };
  // test-electron forwards Ctrl+C as SIGINT.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(130).then(() => process.exit(130)));

  try {
    const started = Date.now();
    const suiteOutput = extensionHostOutput((line) => console.log(line));
    const server = await startCodeServer({
      stack,
      onOutput: (line) => {
        serverLog.write(`${line}\n`);
        suiteOutput(line);
      },
    });
    const remote = (file: string) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(file)}`;
    const payload = [
      ['extensionDevelopmentPath', remote(developmentPath)],
      ['extensionTestsPath', remote(testsPath)],
    ];
    const url = `${server.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    const browser = await launchChromium(stack);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number, logs?: { relativePath: string; contents: string }[]) => {
        saveEditorLogs(logs);
        resolve(code);
      });
    });
    // Errors the suite never got to report (a test file that does not load, an extension host that dies) only
    // reach the workbench's console: keep them to show on failure.
    const errors: string[] = [];
    let lastConsole = Promise.resolve();
    page.on('console', (message) => {
      lastConsole = lastConsole.then(async () => {
        const text = await consoleText(message);
        pageLog.write(`${message.type()}: ${text}\n`);
        if (message.type() === 'error' && !text.startsWith('Failed to load resource')) errors.push(text);
      });
    });
    page.on('pageerror', (error) => pageLog.write(`pageerror: ${error.stack ?? error.message}\n`));
    page.on('crash', () => console.error('[launcher] the workbench page crashed'));
    console.log(`[launcher] code-server ${server.url} ready in ${Date.now() - started} ms; running the suite in its extension host`);
    await page.goto(url);

    const timedOut = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error(`[launcher] the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
        resolve(1);
      }, SUITE_TIMEOUT_MS).unref(),
    );
    const code = await Promise.race([exit, timedOut]);
    console.log(`[launcher] suite finished with exit code ${code} after ${Date.now() - started} ms`);
    if (code !== 0) {
      await lastConsole;
      if (errors.length > 0) console.log(`[launcher] errors in the workbench's console:\n${errors.slice(-10).join('\n')}`);
      console.log(`[launcher] logs: ${path.relative(process.cwd(), LOGS)}/`);
    }
    return await stop(code);
  } catch (error) {
    console.error(`[launcher] ${error instanceof Error ? error.stack : String(error)}`);
    return stop(1);
  }
}

/** The workbench passes its log files along with the exit code: keep them for a look after a failure. */
function saveEditorLogs(logs: { relativePath: string; contents: string }[] | undefined): void {
  for (const log of logs ?? []) {
    const file = path.join(LOGS, 'editor', path.normalize(log.relativePath).replace(/^(\.\.[/\\])+/, ''));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, log.contents);
  }
}

void main().then((code) => process.exit(code));
