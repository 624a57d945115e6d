/**
 * "Open here" (src/openHere.ts): which of the helper's files a host's file:line is, matched by git remote or by
 * folder name, and never a file outside the helper's workspace folders (`..`, absolute paths, symlinks out).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { candidates, isInside, resolveOpenHere, safeSegments, sameRemote, type FileAccess, type HostLocation } from '../../src/openHere';

const files: FileAccess = {
  realpath: (f) => fs.promises.realpath(f),
  isFile: async (f) => (await fs.promises.stat(f)).isFile(),
};

describe('sameRemote', () => {
  it('takes https, ssh, scp-like and credentialed forms of one repository as the same', () => {
    const forms = [
      'https://github.com/Org/Repo.git',
      'https://user:token@github.com/org/repo',
      'ssh://git@github.com/org/repo.git',
      'ssh://git@github.com:22/org/repo',
      'git@github.com:org/repo.git',
      'git@github.com:org/repo/',
      'github.com:org/repo',
    ];
    for (const a of forms) for (const b of forms) assert.ok(sameRemote(a, b), `${a} = ${b}`);
  });

  it('tells different repositories, hosts and local paths apart', () => {
    assert.equal(sameRemote('git@github.com:org/repo.git', 'git@github.com:org/other.git'), false);
    assert.equal(sameRemote('https://github.com/org/repo', 'https://gitlab.com/org/repo'), false);
    assert.equal(sameRemote('/projects/repo', '/projects/repo'), false);
    assert.equal(sameRemote('file:///srv/repo.git', 'file:///srv/repo.git'), false);
    assert.equal(sameRemote('C:\\src\\repo', 'C:\\src\\repo'), false);
  });
});

describe('safeSegments', () => {
  it('refuses paths that could leave the folder', () => {
    for (const p of ['', '/etc/passwd', '../x', 'a/../../x', 'a/..', 'C:/x', 'c:x', 'a\\..\\x', 'a//b', './a', 'a/\u0000b']) {
      assert.equal(safeSegments(p), undefined, JSON.stringify(p));
    }
  });

  it('splits a relative path', () => {
    assert.deepEqual(safeSegments('src/app.js'), ['src', 'app.js']);
    assert.deepEqual(safeSegments('a b/ü.ts'), ['a b', 'ü.ts']);
  });

  it('isInside is about paths, not prefixes', () => {
    assert.ok(isInside('/w/app', '/w/app/src/x.js'));
    assert.ok(isInside('/w/app', '/w/app'));
    assert.equal(isInside('/w/app', '/w/app-other/x.js'), false);
    assert.equal(isInside('/w/app', '/w'), false);
  });
});

describe('resolveOpenHere', () => {
  let root = '';
  let work = '';
  let clone = '';
  let outside = '';
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-openhere-'));
    work = path.join(root, 'app');
    clone = path.join(root, 'clone');
    outside = path.join(root, 'outside');
    for (const d of [path.join(work, 'src'), path.join(clone, 'lib'), outside]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(work, 'src', 'main.js'), 'x\n');
    fs.writeFileSync(path.join(clone, 'lib', 'util.js'), 'y\n');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'z\n');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(work, 'src', 'link.txt'));
    fs.symlinkSync(outside, path.join(work, 'out'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const folders = () => [{ name: 'app', root: work }, { name: 'clone', root: clone }];
  const at = (p: string, extra: Partial<HostLocation> = {}): HostLocation => ({ folder: 'app', path: p, line: 12, ...extra });

  it('opens a file of the same folder name at the same line', async () => {
    assert.deepEqual(await resolveOpenHere(at('src/main.js', { column: 3 }), folders(), [], files), { kind: 'open', file: path.join(work, 'src', 'main.js'), line: 12, column: 3 });
  });

  it('prefers a clone with the same remote, whatever its folder is called, and says when the commits differ', async () => {
    const host = 'a'.repeat(40);
    const location = at('lib/util.js', { folder: 'their-name', repo: { remote: 'github.com/org/repo', commit: host, pathInRepo: 'lib/util.js' } });
    const repos = [{ root: clone, remotes: ['git@github.com:Org/repo.git'], head: 'b'.repeat(40) }];
    assert.deepEqual(await resolveOpenHere(location, folders(), repos, files), {
      kind: 'open', file: path.join(clone, 'lib', 'util.js'), line: 12, column: 1, commits: { host, here: 'b'.repeat(40) },
    });
    const same = await resolveOpenHere(location, folders(), [{ ...repos[0]!, head: host }], files);
    assert.equal(same.kind === 'open' && same.commits, undefined);
    // A clone of another repository is not it.
    assert.deepEqual(await resolveOpenHere(location, folders(), [{ ...repos[0]!, remotes: ['git@github.com:org/other.git'] }], files), { kind: 'missing' });
  });

  it('orders the clone before the folder of the same name', () => {
    const location = at('src/main.js', { repo: { remote: 'github.com/org/repo', pathInRepo: 'lib/util.js' } });
    const list = candidates(location, folders(), [{ root: clone, remotes: ['https://github.com/org/repo'] }])!;
    assert.deepEqual(list.map((c) => c.file), [path.join(clone, 'lib', 'util.js'), path.join(work, 'src', 'main.js')]);
  });

  it('says so when the file is not here', async () => {
    assert.deepEqual(await resolveOpenHere(at('src/nope.js'), folders(), [], files), { kind: 'missing' });
    assert.deepEqual(await resolveOpenHere(at('src/main.js', { folder: 'other' }), folders(), [], files), { kind: 'missing' });
    assert.deepEqual(await resolveOpenHere(at('src'), folders(), [], files), { kind: 'missing' }, 'a folder is not a file');
  });

  it('refuses `..`, absolute paths and drives outright', async () => {
    for (const p of ['../outside/secret.txt', '/etc/passwd', 'src/../../outside/secret.txt', 'C:/Windows/win.ini']) {
      assert.deepEqual(await resolveOpenHere(at(p), folders(), [], files), { kind: 'unsafe' }, p);
    }
    const repo = at('src/main.js', { repo: { remote: 'github.com/org/repo', pathInRepo: '../outside/secret.txt' } });
    assert.deepEqual(await resolveOpenHere(repo, folders(), [{ root: clone, remotes: ['github.com/org/repo'] }], files), { kind: 'unsafe' });
  });

  it('never follows a symlink out of the workspace folders', async () => {
    assert.deepEqual(await resolveOpenHere(at('src/link.txt'), folders(), [], files), { kind: 'missing' });
    assert.deepEqual(await resolveOpenHere(at('out/secret.txt'), folders(), [], files), { kind: 'missing' });
  });

  it('never opens a file of a repository that lies outside the workspace folders', async () => {
    const location = at('x', { folder: 'none', repo: { remote: 'github.com/org/repo', pathInRepo: 'secret.txt' } });
    assert.deepEqual(await resolveOpenHere(location, folders(), [{ root: outside, remotes: ['github.com/org/repo'] }], files), { kind: 'missing' });
  });
});
