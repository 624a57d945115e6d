/**
 * The suite's entry inside the extension host: VS Code (or code-server) loads this file from
 * `extensionTestsPath` and awaits `run()`; a rejection makes the editor exit non-zero.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // Mocha's reporters log printf-style ("%s%s", indent, title) and the editor forwards the format unformatted:
  // print whole lines instead. Written to stdout, a line reaches the terminal in desktop VS Code (through the
  // extension host's console forwarding) and code-server's own output, where suiteLauncher.ts picks it up.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => void process.stdout.write(`${util.format(...args)}\n`);
  // No colours: the output is forwarded line by line through the editor (a browser console, with code-server).
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 30_000 });
  // The suite's bundles sit beside this one's folder: out/test/suite/*.test.js.
  const suite = path.join(__dirname, '..', 'suite');
  const files = fs.readdirSync(suite).filter((f) => f.endsWith('.test.js')).sort();
  if (files.length === 0) throw new Error(`no *.test.js in ${suite}: run \`node esbuild.js\` first`);
  for (const file of files) mocha.addFile(path.join(suite, file));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} test${failures === 1 ? '' : 's'} failed`);
}
