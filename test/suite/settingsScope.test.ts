/// <reference types="mocha" />
/**
 * The security settings (USER_ONLY_SETTINGS) can be set by the user only: `application` scope in package.json, so
 * that VS Code ignores them in a workspace's or a folder's settings, and listed as restricted configurations for
 * Restricted Mode. (readConfig also reads only their user-level values: test/unit/settings.test.ts.)
 */

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SECTION, Settings, USER_ONLY_SETTINGS } from '../../src/config';
import { EXTENSION_ID } from '../support/extensionId';

interface Manifest {
  readonly capabilities?: {
    readonly untrustedWorkspaces?: { readonly supported?: boolean | string; readonly restrictedConfigurations?: readonly string[] };
  };
  readonly contributes: { readonly configuration: { readonly properties: Readonly<Record<string, { readonly scope?: string }>> } };
}

function manifest(): Manifest {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `VS Code does not know ${EXTENSION_ID}`);
  return extension.packageJSON as Manifest;
}

const sorted = (values: Iterable<string>) => [...values].sort();

describe('security settings are the user\'s alone', () => {
  it('are the signaling server, the ICE servers and transport policy, the invitation lifetime, the display name and the audit file', () => {
    assert.deepEqual(
      sorted(USER_ONLY_SETTINGS),
      sorted([
        Settings.signalingHost,
        Settings.signalingPort,
        Settings.signalingPath,
        Settings.signalingSecure,
        Settings.signalingKey,
        Settings.iceServers,
        Settings.iceTransportPolicy,
        Settings.lifetimeMinutes,
        Settings.displayName,
        Settings.auditWriteFile,
      ]),
    );
  });

  it('each is application-scoped in package.json', () => {
    const properties = manifest().contributes.configuration.properties;
    for (const key of USER_ONLY_SETTINGS) {
      const scope = properties[`${SECTION}.${key}`]?.scope;
      assert.ok(scope === 'application' || scope === 'machine', `${SECTION}.${key} has scope ${String(scope)}`);
    }
  });

  it('each is a restricted configuration in Restricted Mode, and nothing else is', () => {
    const untrusted = manifest().capabilities?.untrustedWorkspaces;
    assert.equal(untrusted?.supported, 'limited');
    assert.deepEqual(sorted(untrusted?.restrictedConfigurations ?? []), sorted(USER_ONLY_SETTINGS.map((key) => `${SECTION}.${key}`)));
  });

  it('VS Code registered each with no workspace or folder value (the test workspace sets none)', () => {
    const config = vscode.workspace.getConfiguration(SECTION);
    for (const key of USER_ONLY_SETTINGS) {
      const inspected = config.inspect(key);
      assert.ok(inspected, `VS Code does not know ${SECTION}.${key}`);
      assert.equal(inspected.workspaceValue, undefined, `${SECTION}.${key} has a workspace value`);
      assert.equal(inspected.workspaceFolderValue, undefined, `${SECTION}.${key} has a folder value`);
    }
  });
});
