import type { FieldError, SourceSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { selectQueryProblem } from '@app/sources';

export interface SourceRulesSettings {
  mode: 'simulated' | 'live';
  /** Names of the connections in DATA_SOURCE_CONNECTIONS. */
  connections: ReadonlySet<string>;
}

/**
 * What a source needs to be fetched for real, checked at submission so that a task that cannot run
 * gets a 400 and is never stored. In simulated mode (and for a source with simulation knobs) `url` and
 * `connection` are only labels, so only the sources that will really be fetched are held to this.
 */
export class SourceRules {
  constructor(private readonly settings: SourceRulesSettings) {}

  check(sources: readonly SourceSpec[]): FieldError[] {
    return sources.flatMap((source, index) => this.checkSource(source, `data_sources[${index}]`));
  }

  private checkSource(source: SourceSpec, path: string): FieldError[] {
    const problems: FieldError[] = [];
    const problem = (field: string, reason: string) => problems.push({ field: `${path}.${field}`, reasons: [reason] });
    const queryProblem = source.query === undefined ? undefined : selectQueryProblem(source.query);
    if (queryProblem !== undefined) problem('query', `query ${queryProblem}`);
    const live = this.settings.mode === 'live' && source.simulation === undefined;
    if (!live) return problems;
    switch (source.type) {
      case DataSourceType.API:
        if (!isHttpUrl(source.url)) problem('url', 'url must be an http or https URL');
        break;
      case DataSourceType.DATABASE:
        if (source.connection === undefined || !this.settings.connections.has(source.connection)) {
          const known = [...this.settings.connections].join(', ') || 'none';
          problem('connection', `connection must name a connection configured on the server (configured: ${known})`);
        }
        if (source.query === undefined) problem('query', 'query is required for a database source');
        break;
      case DataSourceType.INLINE:
        break;
    }
    return problems;
  }
}

function isHttpUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
