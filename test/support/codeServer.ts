/**
 * A real VS Code for the editor tests and the demo: code-server (VS Code 1.100.3 served to a browser, with a Node
 * extension host) on 127.0.0.1, in scratch folders of its own, stopped with everything it started.
 *
 * The extension is installed as users install it: the VSIX of this platform (`npm run package`, built first when it
 * is missing or older than what it is made of) through `code-server --install-extension`. What is tested is what
 * ships: the production bundles, the staged node_modules, the manifest as vsce writes it.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, Stack, waitFor } from './env';

export interface CodeServerOptions {
  /** Stops the server (its whole process group) and removes its scratch folders. */
  readonly stack: Stack;
  /** Default: a free port. */
  readonly port?: number;
  /** Added to the user settings (after `"workbench.startupEditor": "none"` and the quiet defaults below). */
  readonly userSettings?: Record<string, unknown>;
  /** Added to the server's environment (DISPLAY above all: the extension host and its children inherit it). */
  readonly env?: NodeJS.ProcessEnv;
  /** Install this extension as a user extension. */
  readonly installExtension?: boolean;
  /** Where the server's own log lines go; by default nowhere. */
  readonly onOutput?: (line: string) => void;
}

export interface CodeServer {
  /** The workbench, with the scratch workspace folder open. */
  readonly url: string;
  readonly port: number;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspaceDir: string;
  /** The server's process; its process group is the server and everything it started. */
  readonly pid: number;
}

/** The extension's id (publisher.name) and version. */
export function extensionIdentity(): { id: string; version: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  return { id: `${pkg.publisher}.${pkg.name}`, version: pkg.version };
}

/** What a VSIX is made of (scripts/package.js): anything here newer than a VSIX makes it stale. */
const VSIX_INPUTS = ['src', 'media', 'l10n', 'package.json', 'package.nls.json', 'package-lock.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'scripts/package.js', 'scripts/buildConfig.js'];

/** Where `npm run package` puts the VSIX of a target (linux-x64, darwin-arm64, …). */
export function vsixPath(target: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(ROOT, 'out', 'vsix', `${pkg.name}-${target}-${pkg.version}.vsix`);
}

function newestMtime(relative: string): number {
  const full = path.join(ROOT, relative);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(full, { recursive: true }) as string[]) newest = Math.max(newest, fs.statSync(path.join(full, entry)).mtimeMs);
  return newest;
}

/**
 * The VSIXs of these targets, packaged first (`node scripts/package.js <targets>`: ~3 s each once the runtime
 * packages are cached in .cache/vsix/, ~9 s each before) when one is missing or older than what it is made of.
 */
export function ensureVsix(targets: readonly string[]): string[] {
  const inputs = Math.max(...VSIX_INPUTS.map(newestMtime));
  const stale = targets.filter((t) => !fs.existsSync(vsixPath(t)) || fs.statSync(vsixPath(t)).mtimeMs < inputs);
  if (stale.length > 0) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), ...stale], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 240_000 });
    if (r.status !== 0) throw new Error(`npm run package failed for ${stale.join(', ')} (exit ${r.status ?? r.signal}); see its output above`);
  }
  return targets.map(vsixPath);
}

/** Installs code-server into .cache/ if needed (scripts/ensure-code-server.js) and returns its executable. */
export function codeServerBin(): string {
  // Loaded at run time from the repository, not bundled: the script finds .cache/ relative to itself.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ensure = require(path.join(ROOT, 'scripts', 'ensure-code-server.js')) as { ensureCodeServer(): string };
  return ensure.ensureCodeServer();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Settings that keep a test workbench quiet: no welcome page, tips, update or extension checks, no telemetry. */
const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
};

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const { stack } = options;
  const bin = codeServerBin();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-assist-code-server-'));
  stack.add(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const dirs = {
    home: path.join(scratch, 'home'),
    tmp: path.join(scratch, 'tmp'),
    userData: path.join(scratch, 'user-data'),
    extensions: path.join(scratch, 'extensions'),
    workspace: path.join(scratch, 'workspace'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  const settings = {
    ...QUIET_SETTINGS,
    // package.json says extensionKind ["ui"] (share the screen of the machine the person sits at). In a browser
    // workbench "ui" means the browser, which cannot run a Node extension, so VS Code would disable it
    // (DisabledByExtensionKind). Here the server's machine is the one to share: let it run there.
    'remote.extensionKind': { [extensionIdentity().id]: ['workspace'] },
    ...options.userSettings,
  };
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  fs.writeFileSync(path.join(dirs.workspace, 'README.md'), '# Remote Assist test workspace\n');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
    XDG_STATE_HOME: path.join(dirs.home, '.local', 'state'),
    XDG_RUNTIME_DIR: dirs.tmp,
    // No extension gallery: the workbench would query one at start-up (and fail, offline). Everything it needs
    // is built in or installed here.
    EXTENSIONS_GALLERY: '{}',
  };
  // PORT overrides --bind-addr; the others would tie this server to an editor that started us.
  for (const key of Object.keys(env)) {
    if (key === 'PORT' || key === 'ELECTRON_RUN_AS_NODE' || key.startsWith('VSCODE_') || key.startsWith('npm_')) delete env[key];
  }

  if (options.installExtension) installExtension(bin, dirs, env);

  const port = options.port ?? (await freePort());
  const args = [
    bin,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
  ];
  // Its own process group (setsid): its file watcher and extension host go with it when the group is stopped.
  const child = spawn(process.execPath, args, { cwd: dirs.workspace, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  stack.add(() => stopGroup(child));
  const recent: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `code-server exited (${code ?? signal})`));

  await waitFor('code-server /healthz', async () => {
    if (exited) throw new Error(`${exited}:\n${recent.join('\n')}`);
    return (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200;
  }, 30_000, 100).catch((error: unknown) => {
    throw exited ? new Error(`${exited}:\n${recent.join('\n')}`) : error;
  });

  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`,
    port,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    workspaceDir: dirs.workspace,
    pid: child.pid!,
  };
}

/**
 * Installs this platform's VSIX with code-server's own installer (which also checks the VSIX's target platform
 * against the server's), then asks it to list its extensions: the listing proves that it accepted the manifest
 * (engines, id, version) before any workbench is opened.
 */
function installExtension(bin: string, dirs: { extensions: string; userData: string }, env: NodeJS.ProcessEnv): void {
  const { id, version } = extensionIdentity();
  const [vsix] = ensureVsix([`${process.platform}-${process.arch}`]);
  const common = ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData];
  const install = spawnSync(process.execPath, [bin, ...common, '--install-extension', vsix!], { env, encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0) throw new Error(`code-server --install-extension ${path.basename(vsix!)} failed (exit ${install.status ?? install.signal}):\n${install.stdout}\n${install.stderr}`);
  const r = spawnSync(process.execPath, [bin, ...common, '--list-extensions', '--show-versions'], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const listed = r.stdout.split('\n').map((l) => l.trim());
  if (!listed.includes(`${id}@${version}`)) {
    throw new Error(`code-server did not accept the extension ${id}@${version} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(2_000, () => req.destroy(new Error('timeout')));
  });
}

/** SIGTERM to the whole group, SIGKILL to what is left after 3 s; resolves once the group is gone. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid!;
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  if (!alive()) return;
  signal('SIGTERM');
  const end = Date.now() + 3_000;
  while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (alive()) signal('SIGKILL');
  const hard = Date.now() + 2_000;
  while (alive() && Date.now() < hard) await new Promise((r) => setTimeout(r, 50));
}

/**
 * The extension's settings for a PeerServer on 127.0.0.1 at `peerPort` and no ICE servers: both sides are on this
 * machine, loopback host candidates are enough, and nothing leaves it. The editor tests, the demo and the screenshot
 * script all start from these.
 */
export function loopbackSettings(peerPort: number): Record<string, unknown> {
  return {
    'remoteAssist.signaling.host': '127.0.0.1',
    'remoteAssist.signaling.port': peerPort,
    'remoteAssist.signaling.secure': false,
    'remoteAssist.signaling.path': '/',
    'remoteAssist.iceServers': [],
  };
}

/**
 * code-server as the editor tests use it: the extension installed, on loopback (loopbackSettings), its user called
 * Ada, sharing the X display `display`; `settings` adds to or overrides that.
 */
export function startEditorServer(stack: Stack, display: string, peerPort: number, settings: Record<string, unknown> = {}): Promise<CodeServer> {
  return startCodeServer({
    stack,
    installExtension: true,
    env: { DISPLAY: display },
    userSettings: { ...loopbackSettings(peerPort), 'remoteAssist.displayName': 'Ada', ...settings },
  });
}
