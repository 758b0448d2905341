import type { Figure } from './support/report';
import type { Usage } from './support/monitor';
import type { BenchServices } from './support/system';

export interface ScenarioContext {
  services: BenchServices;
  quick: boolean;
  /** A size: `--<name> N` on the command line, else the quick or the full default. */
  size: (name: string, full: number, quick: number) => number;
  log: (message: string) => void;
}

export interface ScenarioOutcome {
  parameters: Record<string, string | number>;
  figures: Figure[];
  usage: Record<string, Usage>;
  notes: string[];
}

export interface Scenario {
  name: string;
  title: string;
  /** How long it takes here, full and quick (README "Performance"). */
  takes: { full: string; quick: string };
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}
