// Preloaded (`node --require`, through NODE_OPTIONS) into the host session's process and, by inheritance, its
// agent when the bench runs with --profile (profiles.ts): what `--cpu-prof` does, for the Node versions that refuse
// `--cpu-prof` in NODE_OPTIONS (Node 20 does). V8's sampling profiler through the inspector, started at once and
// written as <dir>/CPU.<time>.<pid>.cpuprofile when the process exits.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // The inspector answers on this thread, synchronously: safe in an exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `CPU.${Date.now()}.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
