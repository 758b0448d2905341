/**
 * `npm run bench [-- <scenario> ... ] [--quick] [--profile] [--<size> N ...] [--out DIR]`: runs the named scenarios
 * (all six by default) against the built apps, started as processes on a Redis of the bench's own and
 * the database BENCH_DATABASE_NAME (default dataproc_bench), and writes a Markdown table and the JSON
 * of every figure to bench/results/. bench/run.sh builds everything first. --profile writes a CPU
 * profile of every process it starts into <out>/profiles (support/profile-hook.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario, ScenarioContext } from './scenario';
import { bigTask } from './scenarios/big-task';
import { ingest } from './scenarios/ingest';
import { manyTasks } from './scenarios/many-tasks';
import { pipeline } from './scenarios/pipeline';
import { quota } from './scenarios/quota';
import { scaling } from './scenarios/scaling';
import type { BenchReport, ScenarioResult } from './support/report';
import { machineInfo, toMarkdown, writeReport } from './support/report';
import { BenchDatabase, BenchRedis } from './support/services';
import { speedProbeMs } from './support/speed-probe';

const SCENARIOS: Scenario[] = [ingest, pipeline, quota, scaling, bigTask, manyTasks];

interface Arguments {
  names: string[];
  quick: boolean;
  profile: boolean;
  out: string;
  /** What the measured apps are when they are not this checkout's (bench/against.sh): the results' name says it. */
  label?: string;
  sizes: Map<string, number>;
}

function parseArguments(argv: string[]): Arguments {
  const parsed: Arguments = {
    names: [],
    quick: false,
    profile: false,
    out: join(process.cwd(), 'bench', 'results'),
    sizes: new Map(),
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--quick') parsed.quick = true;
    else if (argument === '--profile') parsed.profile = true;
    else if (argument === '--out') parsed.out = argv[++index];
    else if (argument === '--label') parsed.label = argv[++index];
    else if (argument.startsWith('--')) {
      const value = Number(argv[++index]);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${argument} needs a positive number`);
      parsed.sizes.set(argument.slice(2), value);
    } else if (SCENARIOS.some((scenario) => scenario.name === argument)) parsed.names.push(argument);
    else throw new Error(`unknown scenario "${argument}"; one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return parsed;
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  const chosen = args.names.length > 0 ? SCENARIOS.filter((s) => args.names.includes(s.name)) : SCENARIOS;
  if (args.profile) {
    // Every process started from here on (the apps, the simulator, the reference) loads the hook.
    process.env.BENCH_PROFILE_DIR = join(args.out, 'profiles');
    mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
    const hook = `--require ${join(__dirname, 'support', 'profile-hook.js')}`;
    process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, hook].filter(Boolean).join(' ');
  }
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    quick: args.quick,
    profiled: args.profile,
    ...(args.label ? { label: args.label } : {}),
    machine: machineInfo(),
    scenarios: [],
  };
  const redis = await BenchRedis.start();
  const database = await BenchDatabase.open();
  let failures = 0;
  try {
    for (const scenario of chosen) {
      log(`${scenario.name}: ${scenario.title} (${args.quick ? scenario.takes.quick : scenario.takes.full})`);
      await database.reset();
      await redis.flush();
      const context: ScenarioContext = {
        services: { redis, database },
        quick: args.quick,
        size: (name, full, quick) => args.sizes.get(name) ?? (args.quick ? quick : full),
        log,
      };
      const speedBefore = speedProbeMs();
      const started = performance.now();
      let result: ScenarioResult;
      try {
        const outcome = await scenario.run(context);
        result = {
          name: scenario.name,
          title: scenario.title,
          ...outcome,
          durationS: (performance.now() - started) / 1000,
        };
      } catch (error) {
        failures += 1;
        log(`${scenario.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        result = {
          name: scenario.name,
          title: scenario.title,
          parameters: {},
          figures: [
            { name: 'scenario failed', value: error instanceof Error ? error.message.split('\n')[0] : String(error) },
          ],
          usage: {},
          notes: [],
          durationS: (performance.now() - started) / 1000,
        };
      }
      result.speedProbeMs = { before: speedBefore, after: speedProbeMs() };
      report.scenarios.push(result);
      // Written after every scenario, so a long run that is stopped keeps what it measured.
      writeReport(report, args.out);
      log(`${scenario.name} done in ${Math.round(result.durationS)} s`);
    }
  } finally {
    await database.close();
    await redis.stop();
  }
  // The load average as the run ends says how busy the machine was with it and with others.
  report.machine = machineInfo();
  const file = writeReport(report, args.out);
  console.log(`\n${toMarkdown(report)}\nwritten to ${file} (and .json)`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
