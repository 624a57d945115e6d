// The agent's one native binary of its own: src/agent/native/*.c -> <outdir>/xshm.node (Linux only), screen
// grabs through MIT-SHM (xshm.c, see src/agent/nativeScreen.ts) and the encoder's passes over the pixels (kernels.c:
// row prints, changed tiles, anchors; see src/agent/nativeKernels.ts). Plain C against Node-API, whose headers come from the
// `node-api-headers` package, so it needs no download and loads in Node and Electron alike. Needs a C compiler and
// the headers of libX11 and libXext (scripts/install-system-deps.sh installs gcc, libx11-dev, libxext-dev).
//
// Rebuilt only when the source is newer than the binary. Without a compiler or the headers the build goes on and
// says so: the agent then grabs through libnut's XGetImage, slower but the same pixels.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCES = ['xshm.c', 'kernels.c'].map((name) => path.join(ROOT, 'src', 'agent', 'native', name));

/** Builds `<outdir>/xshm.node`; returns its path, or undefined (with the reason written to stderr) when it cannot. */
function buildXshm(outdir, { required = false } = {}) {
  if (process.platform !== 'linux') return undefined;
  const out = path.join(outdir, 'xshm.node');
  if (fs.existsSync(out) && SOURCES.every((source) => fs.statSync(out).mtimeMs >= fs.statSync(source).mtimeMs)) return out;
  fs.mkdirSync(outdir, { recursive: true });
  const include = require('node-api-headers').include_dir;
  const args = ['-O2', '-shared', '-fPIC', '-Wall', '-Wextra', '-Werror', '-DNODE_GYP_MODULE_NAME=xshm', `-I${include}`, ...SOURCES, '-o', `${out}.tmp`, '-lX11', '-lXext'];
  const r = spawnSync('cc', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `${r.stderr}`.trim();
    const message = `xshm.node was not built (the agent will grab through XGetImage): ${why}`;
    if (required) throw new Error(message);
    process.stderr.write(`warning: ${message}\n  (bash scripts/install-system-deps.sh installs the compiler and the X headers)\n`);
    return undefined;
  }
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

module.exports = { buildXshm };

if (require.main === module) buildXshm(process.argv[2] ?? path.join(ROOT, 'dist'), { required: true });
