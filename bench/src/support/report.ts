import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Usage } from './monitor';

/** One measured figure, with what it is read against: a reference measured in the same run, a target. */
export interface Figure {
  name: string;
  value: number | string;
  unit?: string;
  /** A figure measured in the same run to read this one against (bare server, one replica, R). */
  reference?: { label: string; value: number | string; /** when not the figure's own */ unit?: string };
  /** The goal of issue 12, in words (e.g. "≥ 1.0× reference"). */
  target?: string;
  /** Whether the target is met; absent when there is none. */
  met?: boolean;
}

export interface ScenarioResult {
  name: string;
  title: string;
  parameters: Record<string, string | number>;
  figures: Figure[];
  /** Resource use of each measured phase, as read from /proc. */
  usage: Record<string, Usage>;
  notes: string[];
  durationS: number;
  /** The machine's speed (support/speed-probe.ts) just before and just after the scenario. */
  speedProbeMs?: { before: number; after: number };
}

export interface BenchReport {
  startedAt: string;
  quick: boolean;
  /** Run with --profile: every CPU figure includes the profiler's overhead. */
  profiled: boolean;
  /** The apps measured, when not the bench's own checkout (bench/against.sh: a commit). */
  label?: string;
  machine: { cores: number; model: string; node: string; loadAverage: number[] };
  scenarios: ScenarioResult[];
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A figure with a target of "at least" / "at most" kind: `met` follows from the value. */
export function atLeast(figure: Omit<Figure, 'met' | 'target'>, bound: number, target: string): Figure {
  return { ...figure, target, met: typeof figure.value === 'number' && figure.value >= bound };
}

export function atMost(figure: Omit<Figure, 'met' | 'target'>, bound: number, target: string): Figure {
  return { ...figure, target, met: typeof figure.value === 'number' && figure.value <= bound };
}

export function machineInfo(): BenchReport['machine'] {
  return {
    cores: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg().map((value) => round(value)),
  };
}

const cell = (value: number | string | undefined, unit = ''): string =>
  value === undefined
    ? ''
    : `${typeof value === 'number' ? value.toLocaleString('en-US') : value}${unit ? ` ${unit}` : ''}`;

function usageTable(usage: Record<string, Usage>): string[] {
  const lines: string[] = [];
  for (const [phase, figures] of Object.entries(usage)) {
    const seconds = figures.wallMs / 1000;
    const cores = (ms: number): string => `${round(ms / figures.wallMs, 2)}`;
    lines.push(
      '',
      `Resources, ${phase} (${round(seconds, 1)} s; CPU in cores used on average, of ${figures.cores}):`,
      '',
      '| Process | Replicas | CPU (cores) | CPU total (s) | Peak RSS (MB) |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const [app, usage] of Object.entries(figures.apps))
      lines.push(
        `| ${app} | ${usage.replicas} | ${cores(usage.cpuMs)} | ${round(usage.cpuMs / 1000, 1)} | ${Math.round(usage.peakRssMb)} |`,
      );
    lines.push(
      `| Redis (the bench's own) | 1 | ${cores(figures.redisCpuMs)} | ${round(figures.redisCpuMs / 1000, 1)} | ${Math.round(figures.redisPeakMemoryMb)} (used_memory) |`,
      `| Postgres (the system's backends on the bench database) | | ${cores(figures.postgresCpuMs)} | ${round(figures.postgresCpuMs / 1000, 1)} | |`,
      `| the bench itself (with its own Postgres backends) | 1 | ${cores(figures.benchCpuMs)} | ${round(figures.benchCpuMs / 1000, 1)} | |`,
      `| everything else on the machine (noise) | | ${cores(figures.othersCpuMs)} | ${round(figures.othersCpuMs / 1000, 1)} | |`,
    );
  }
  return lines;
}

export function toMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    `# Benchmark ${report.startedAt}${report.quick ? ' (quick sizes)' : ''}${report.label ? ` of the apps at ${report.label}` : ''}`,
    '',
    `${machine.cores} cores (${machine.model}), Node ${machine.node}, load average at the end ${machine.loadAverage.join(' / ')}.`,
    'Each figure stands beside its reference measured in the same run where one exists; on a shared',
    'machine read the ratios, not the absolute rates ("everything else on the machine" shows the noise).',
    ...(report.profiled
      ? ['', "**Profiled run** (--profile): every CPU figure includes the profiler's overhead."]
      : []),
  ];
  for (const scenario of report.scenarios) {
    const parameters = Object.entries(scenario.parameters)
      .map(([key, value]) => `${key} ${cell(value)}`)
      .join(', ');
    lines.push(
      '',
      `## ${scenario.name}: ${scenario.title}`,
      '',
      `${parameters}; ${round(scenario.durationS, 0)} s in all.${speedLine(scenario)}`,
      '',
      '| Figure | Measured | Reference (same run) | Target | Met |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const figure of scenario.figures) {
      const reference = figure.reference
        ? `${cell(figure.reference.value, figure.reference.unit ?? figure.unit)} (${figure.reference.label})`
        : '';
      const met = figure.met === undefined ? '' : figure.met ? 'yes' : '**no**';
      lines.push(
        `| ${figure.name} | ${cell(figure.value, figure.unit)} | ${reference} | ${figure.target ?? ''} | ${met} |`,
      );
    }
    lines.push(...usageTable(scenario.usage));
    if (scenario.notes.length > 0) lines.push('', ...scenario.notes.map((note) => `- ${note}`));
  }
  return `${lines.join('\n')}\n`;
}

function speedLine({ speedProbeMs }: ScenarioResult): string {
  if (!speedProbeMs) return '';
  const { before, after } = speedProbeMs;
  return ` Machine speed probe (a fixed loop; less is faster): ${round(before, 0)} ms before, ${round(after, 0)} ms after.`;
}

/** Writes `<stamp>[-at-<label>][-quick].md` and `.json` into the directory; returns the Markdown file's path. */
export function writeReport(report: BenchReport, directory: string): string {
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const base = join(directory, `${stamp}${report.label ? `-at-${report.label}` : ''}${report.quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, toMarkdown(report));
  return `${base}.md`;
}
