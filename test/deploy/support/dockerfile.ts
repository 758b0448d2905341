import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './rendered-app';

export interface DockerfileStage {
  name: string;
  instructions: { keyword: string; args: string }[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
export function dockerfileStages(path = join(ROOT, 'Dockerfile')): DockerfileStage[] {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: DockerfileStage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

/**
 * The environment a stage's ENV instructions give every container of the image, with `${ARG}`
 * references replaced by the ARG's default (what a build without --build-arg gets).
 */
export function imageEnvironment(stage: DockerfileStage): Record<string, string> {
  const args: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const { keyword, args: text } of stage.instructions) {
    if (keyword !== 'ENV' && keyword !== 'ARG') continue;
    for (const [, name, raw] of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      const value = raw.replace(/^"|"$/g, '').replace(/\$\{(\w+)\}/g, (_, ref: string) => args[ref] ?? env[ref] ?? '');
      if (keyword === 'ARG') args[name] = value;
      else env[name] = value;
    }
  }
  return env;
}
