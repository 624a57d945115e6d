/// <reference types="mocha" />
/**
 * package.json and src/config.ts name the same commands, settings and context keys, as VS Code itself reads the
 * manifest: a command, setting or `when` clause that drifts apart fails here.
 */

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, ContextKeys, SECTION, Settings } from '../../src/config';
import { HELPER_TRANSITIONS, HOST_TRANSITIONS } from '../../src/shared/stateMachine';
import { EXTENSION_ID } from '../support/extensionId';

interface Contribution {
  readonly command: string;
  readonly when?: string;
  readonly enablement?: string;
}

interface Manifest {
  readonly contributes: {
    readonly commands: readonly Contribution[];
    readonly keybindings?: readonly Contribution[];
    readonly menus?: Readonly<Record<string, readonly Contribution[]>>;
    readonly configuration: { readonly properties: Readonly<Record<string, { readonly default?: unknown }>> };
  };
}

function manifest(): Manifest {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `VS Code does not know ${EXTENSION_ID}`);
  return extension.packageJSON as Manifest;
}

const sorted = (values: Iterable<string>) => [...values].sort();

/** Every `when` and `enablement` clause of the manifest, with where it is. */
function clauses(m: Manifest): { where: string; clause: string }[] {
  const all: { where: string; clause: string }[] = [];
  for (const c of m.contributes.commands) if (c.enablement) all.push({ where: `enablement of ${c.command}`, clause: c.enablement });
  for (const k of m.contributes.keybindings ?? []) if (k.when) all.push({ where: `keybinding of ${k.command}`, clause: k.when });
  for (const [menu, items] of Object.entries(m.contributes.menus ?? {})) {
    for (const item of items) if (item.when) all.push({ where: `menu ${menu}, ${item.command}`, clause: item.when });
  }
  return all;
}

describe('package.json and src/config.ts', () => {
  it('declare exactly the same commands', () => {
    assert.deepEqual(sorted(manifest().contributes.commands.map((c) => c.command)), sorted(Object.values(Commands)));
  });

  it('declare exactly the same settings', () => {
    const declared = Object.keys(manifest().contributes.configuration.properties);
    for (const key of declared) assert.ok(key.startsWith(`${SECTION}.`), `${key} is outside the ${SECTION} section`);
    assert.deepEqual(sorted(declared), sorted(Object.values(Settings).map((key) => `${SECTION}.${key}`)));
  });

  it('every setting is registered with VS Code, with the default package.json gives', () => {
    const properties = manifest().contributes.configuration.properties;
    const config = vscode.workspace.getConfiguration(SECTION);
    for (const key of Object.values(Settings)) {
      const inspected = config.inspect(key);
      assert.ok(inspected, `VS Code does not know ${SECTION}.${key}`);
      assert.deepEqual(inspected.defaultValue, properties[`${SECTION}.${key}`]?.default, `default of ${SECTION}.${key}`);
    }
  });

  it('use only the context keys of ContextKeys in when and enablement clauses, and all of them', () => {
    const used = new Set<string>();
    const known = new Set<string>(Object.values(ContextKeys));
    for (const { where, clause } of clauses(manifest())) {
      for (const [key] of clause.matchAll(/\bremoteAssist\.[\w.]+/g)) {
        assert.ok(known.has(key), `${where} uses ${key}, which is not in ContextKeys`);
        used.add(key);
      }
    }
    assert.deepEqual(sorted(used), sorted(known));
  });

  it('compare the state context keys only with state kinds that exist', () => {
    // extension.ts sets each key to the session's state kind, or 'none'.
    const kinds: Record<string, Set<string>> = {
      [ContextKeys.hostState]: new Set([...Object.keys(HOST_TRANSITIONS), 'none']),
      [ContextKeys.helperState]: new Set([...Object.keys(HELPER_TRANSITIONS), 'none']),
    };
    for (const { where, clause } of clauses(manifest())) {
      for (const [, key, value] of clause.matchAll(/(remoteAssist\.\w+)\s*[!=]=\s*'?(\w+)'?/g)) {
        assert.ok(kinds[key!]?.has(value!), `${where}: ${key} is never "${value}"`);
      }
      for (const [, key, alternatives] of clause.matchAll(/(remoteAssist\.\w+)\s*=~\s*\/\^\(([\w|]+)\)\$\//g)) {
        for (const value of alternatives!.split('|')) assert.ok(kinds[key!]?.has(value), `${where}: ${key} is never "${value}"`);
      }
    }
  });
});
