/**
 * `npm run test:editor-host` (after `node esbuild.js`): runs test/suite/*.test.ts inside a real VS Code's
 * extension host through @vscode/test-electron.
 *
 *   REMOTE_ASSIST_VSCODE=/path/to/code   that VS Code (desktop, Electron)
 *   REMOTE_ASSIST_VSCODE=download        the VS Code that test-electron downloads (its default)
 *   unset                                code-server in headless Chromium (suiteLauncher.ts): the only VS Code to be
 *                                        had on machines without a desktop and without a download
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const extensionDevelopmentPath = path.resolve(__dirname, '../../..');
  const extensionTestsPath = path.join(__dirname, 'suiteIndex.js');
  const choice = process.env['REMOTE_ASSIST_VSCODE'];
  let vscodeExecutablePath: string | undefined;
  if (!choice) {
    vscodeExecutablePath = path.join(__dirname, 'suiteLauncher.js');
    // esbuild keeps the #! line but not the mode bits; test-electron executes the file.
    fs.chmodSync(vscodeExecutablePath, 0o755);
  } else if (choice !== 'download') {
    vscodeExecutablePath = choice;
  }
  await runTests({ extensionDevelopmentPath, extensionTestsPath, ...(vscodeExecutablePath ? { vscodeExecutablePath } : {}) });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
