/**
 * Preloaded (NODE_OPTIONS=--require) into every process the bench starts when it runs with --profile:
 * profiles the process from its start through the inspector and writes, into BENCH_PROFILE_DIR when it
 * ends, a .cpuprofile (Chrome DevTools, speedscope) and a .heapprofile of where it allocated (sampled:
 * what makes the garbage the collector spends its time on). `node --cpu-prof` cannot do this:
 * NODE_OPTIONS does not take it, and it writes only on a normal exit, while Nest ends on SIGTERM by
 * raising the signal again once it has closed (which would kill the process before the profile is
 * written).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join } from 'node:path';

const directory = process.env.BENCH_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // Counting what the collector already freed too: the garbage is the point.
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 64 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // dist/apps/<app>/src/main.js → <app>; any other script by its file name.
  const script = process.argv[1] ?? 'node';
  const name = basename(script) === 'main.js' ? basename(dirname(dirname(script))) : basename(script, '.js');
  // The inspector answers synchronously within the session, so this works inside an 'exit' listener.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(directory, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(join(directory, `${name}-${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
  // A SIGTERM that nothing else listens to any more (Nest raising it again after closing) would kill
  // the process without an 'exit' event: end normally instead.
  process.on('SIGTERM', () => {
    if (process.listenerCount('SIGTERM') === 1) process.exit(0);
  });
}
