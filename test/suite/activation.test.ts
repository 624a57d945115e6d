/// <reference types="mocha" />
/**
 * The extension as VS Code loads it: it activates, hands back its controllers, and registers every command that
 * package.json contributes.
 */

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../support/extensionId';

describe('activation', () => {
  it('activates and returns { host, helper } with no session', async () => {
    const extension = vscode.extensions.getExtension<{ host: { active: boolean; state: unknown }; helper: { active: boolean; state: unknown } }>(EXTENSION_ID);
    assert.ok(extension, `VS Code does not know ${EXTENSION_ID}`);
    const api = await extension.activate();
    assert.ok(extension.isActive);
    assert.deepEqual(Object.keys(api).sort(), ['helper', 'host']);
    assert.equal(api.host.active, false);
    assert.equal(api.host.state, undefined);
    assert.equal(api.helper.active, false);
    assert.equal(api.helper.state, undefined);
  });

  it('registers every command that package.json contributes', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('registers no remoteAssist command that package.json does not contribute', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    const contributed = new Set((extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command));
    const extra = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith('remoteAssist.') && !contributed.has(id));
    assert.deepEqual(extra, []);
  });
});
