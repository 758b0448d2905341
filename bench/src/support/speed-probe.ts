/** Iterations of the probe's loop: about 0.4–0.6 s on the 2-core machines the figures come from. */
const PROBE_ITERATIONS = 300_000_000;

/**
 * How fast this machine runs a fixed single-threaded loop right now, in ms (less is faster). A
 * shared or virtual machine's speed drifts by 10–15 % within an hour, and every CPU-per-call and
 * rate figure drifts with it; the probe, taken before and after each scenario, tells a code change
 * from a slower machine when two runs are compared.
 */
export function speedProbeMs(): number {
  const started = performance.now();
  let sum = 0;
  for (let index = 0; index < PROBE_ITERATIONS; index += 1) sum += index % 7;
  // Read, so the loop cannot be optimised away.
  if (sum < 0) throw new Error('unreachable');
  return performance.now() - started;
}
