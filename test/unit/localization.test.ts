/**
 * The manifest's `%key%` references, package.nls.json, the walkthrough's files and l10n/bundle.l10n.json agree:
 * a title that would show as `%command.join.title%`, a walkthrough step without its page, or a string of the
 * extension missing from the bundle that translators start from fails here (no VS Code needed).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/env';

const manifestText = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as {
  l10n?: string;
  contributes: {
    commands: { title: string }[];
    walkthroughs?: { steps: { media: { markdown?: string } }[] }[];
  };
};
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;

/** The first argument of every `l10n.t('…')` / `l10n.t("…")` in the extension's own files (src/*.ts). */
function l10nLiterals(): Set<string> {
  const found = new Set<string>();
  for (const file of fs.readdirSync(path.join(ROOT, 'src')).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(ROOT, 'src', file), 'utf8');
    for (const match of text.matchAll(/l10n\.t\(\s*(['"])((?:\\.|(?!\1).)*)\1/gs)) {
      found.add(JSON.parse(`"${match[2]!.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);
    }
  }
  return found;
}

describe('localization', () => {
  it('every %key% of package.json is in package.nls.json, and every key there is used', () => {
    const used = new Set([...manifestText.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]!));
    assert.deepEqual([...used].filter((k) => !(k in nls)), []);
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
    for (const [key, value] of Object.entries(nls)) assert.ok(value.trim().length > 0, key);
  });

  it('no command title is left untranslatable', () => {
    for (const c of manifest.contributes.commands) assert.match(c.title, /^%[\w.]+%$/);
  });

  it('every walkthrough step has its markdown page', () => {
    const steps = (manifest.contributes.walkthroughs ?? []).flatMap((w) => w.steps);
    assert.ok(steps.length >= 4);
    for (const step of steps) assert.ok(step.media.markdown && fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
  });

  it('l10n/bundle.l10n.json holds every string of the extension (regenerate: npx @vscode/l10n-dev export --outDir ./l10n ./src)', () => {
    assert.equal(manifest.l10n, './l10n');
    const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, unknown>;
    const literals = l10nLiterals();
    assert.ok(literals.size > 50, `${literals.size} strings found`);
    assert.deepEqual([...literals].filter((s) => !(s in bundle)), []);
  });
});
