/**
 * The extension host, helper side: "Open here" (issue 12). The host's panel shows a file:line of the host's
 * editor, stack or problems; the helper asks to open the same file at that line in their own workspace. This
 * module decides which file that is, if any, without vscode (helperController.ts supplies the workspace folders
 * and git repositories, and opens the result), so it is unit-tested with node:test.
 *
 * The location comes from the host and is trusted in nothing: a path with `..`, an absolute path, a drive letter
 * or a backslash is refused outright, and a file is opened only when its real path (symlinks resolved) is inside
 * one of the helper's workspace folders' real paths.
 *
 * Which file: first through git, the file at `repo.pathInRepo` in a repository of the helper's whose remote is the
 * host's (see sameRemote); else the workspace folder of the same name, at `path`.
 */

import * as path from 'node:path';
import { isRelativePath, normalizeRemote } from './shared/context';

/** The host's file:line, as the panel protocol checked it (src/shared/panelProtocol.ts). */
export interface HostLocation {
  readonly folder: string;
  readonly path: string;
  readonly line: number;
  readonly column?: number;
  readonly repo?: { readonly remote?: string; readonly commit?: string; readonly pathInRepo: string };
}

/** A git repository of the helper's (from the built-in git extension). */
export interface LocalRepository {
  /** Its working tree, a file-system path. */
  readonly root: string;
  /** Fetch and push URLs of its remotes, as git has them. */
  readonly remotes: readonly string[];
  /** The commit checked out (HEAD), if any. */
  readonly head?: string;
}

/** One of the helper's workspace folders. */
export interface LocalFolder {
  readonly name: string;
  /** A file-system path. */
  readonly root: string;
}

/** What the file system is asked; injected so that tests run on a scratch folder. */
export interface FileAccess {
  /** The path with every symlink resolved; throws when it does not exist. */
  realpath(file: string): Promise<string>;
  /** Whether the path is a regular file (after symlinks). */
  isFile(file: string): Promise<boolean>;
}

export type OpenHereResult =
  /** Open this file at this line (1-based); `commits` when the host's commit is not the helper's HEAD. */
  | { readonly kind: 'open'; readonly file: string; readonly line: number; readonly column: number; readonly commits?: { readonly host: string; readonly here: string } }
  /** The location's path cannot be a file in a workspace (`..`, absolute, a drive, a backslash). */
  | { readonly kind: 'unsafe' }
  /** No such file in the helper's workspace (or only one that leads outside it). */
  | { readonly kind: 'missing' };

/**
 * Whether two remote URLs name the same repository: both normalised as the host normalises its own
 * (context.ts's normalizeRemote: scheme, credentials, default port and `.git` do not count, `git@host:path` is
 * `host/path`), then compared without case (hosting services take `Org/Repo` and `org/repo` as one).
 */
export function sameRemote(a: string, b: string): boolean {
  const x = remoteKey(a);
  return x !== undefined && x === remoteKey(b);
}

/** A remote URL, or one already normalised (`host/path`, as the host sends it), in the form compared. */
function remoteKey(url: string): string | undefined {
  return (normalizeRemote(url) ?? normalizeRemote(`https://${url.trim()}`))?.toLowerCase();
}

/**
 * A host's relative, '/'-separated path as its segments, or undefined when it could leave the folder it is taken
 * in (context.ts's isRelativePath: no `..`, `.` or empty segment, not absolute, no drive, no backslash, no control
 * character). The panel protocol checked this already; it is checked again where it is used.
 */
export function safeSegments(relative: string): string[] | undefined {
  return isRelativePath(relative) ? relative.split('/') : undefined;
}

/** Whether `inner` is `outer` or below it (both absolute, normalised). */
export function isInside(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A file to try, and the repository it was found through (for the commit check). */
interface Candidate {
  readonly file: string;
  readonly repo?: LocalRepository;
}

/** The files the location could be here, best first (see the header). */
export function candidates(location: HostLocation, folders: readonly LocalFolder[], repositories: readonly LocalRepository[]): Candidate[] | undefined {
  const bySegments = safeSegments(location.path);
  const repoPath = location.repo ? safeSegments(location.repo.pathInRepo) : undefined;
  if (!bySegments || (location.repo && !repoPath)) return undefined;
  const found: Candidate[] = [];
  const remote = location.repo?.remote;
  if (remote && repoPath) {
    for (const repo of repositories) {
      if (repo.remotes.some((r) => sameRemote(r, remote))) found.push({ file: path.join(repo.root, ...repoPath), repo });
    }
  }
  for (const folder of folders) {
    if (folder.name !== location.folder) continue;
    const file = path.join(folder.root, ...bySegments);
    const repo = repositories.filter((r) => isInside(r.root, file)).sort((a, b) => b.root.length - a.root.length)[0];
    found.push(repo ? { file, repo } : { file });
  }
  return found;
}

/** Resolves "Open here": the first candidate that is a file whose real path is inside a workspace folder. */
export async function resolveOpenHere(
  location: HostLocation,
  folders: readonly LocalFolder[],
  repositories: readonly LocalRepository[],
  fs: FileAccess,
): Promise<OpenHereResult> {
  const tried = candidates(location, folders, repositories);
  if (!tried) return { kind: 'unsafe' };
  const roots: string[] = [];
  for (const folder of folders) {
    try {
      roots.push(await fs.realpath(folder.root));
    } catch {
      // a folder that is gone holds nothing to open
    }
  }
  for (const candidate of tried) {
    let real: string;
    try {
      real = await fs.realpath(candidate.file);
    } catch {
      continue;
    }
    if (!roots.some((root) => isInside(root, real)) || !(await fs.isFile(real).catch(() => false))) continue;
    const hostCommit = location.repo?.commit?.toLowerCase();
    const here = candidate.repo?.head?.toLowerCase();
    const commits = hostCommit && here && hostCommit !== here ? { host: hostCommit, here } : undefined;
    return { kind: 'open', file: candidate.file, line: location.line, column: location.column ?? 1, ...(commits ? { commits } : {}) };
  }
  return { kind: 'missing' };
}
