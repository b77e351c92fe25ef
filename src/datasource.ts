import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import { DEFAULT_QUERY, GoPulseOptions, GoPulseQuery } from './types';

export class DataSource extends DataSourceWithBackend<GoPulseQuery, GoPulseOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<GoPulseOptions>) {
    super(instanceSettings);
  }

  getDefaultQuery(_: CoreApp): Partial<GoPulseQuery> {
    return DEFAULT_QUERY;
  }

  /** Hidden queries and promql queries without an expression are not sent to the backend. */
  filterQuery(query: GoPulseQuery): boolean {
    if (query.hide) {
      return false;
    }
    if ((query.queryType ?? 'promql') === 'promql') {
      return (query.expr ?? '').trim() !== '';
    }
    return true;
  }

  /**
   * Replaces dashboard variables in the expression and the legend format. In the expression a
   * multi-value or "include All" variable becomes a regex alternation of its escaped values
   * (`job=~"$job"` → `job=~"api|web"`), as Grafana's Prometheus data source does.
   */
  applyTemplateVariables(query: GoPulseQuery, scopedVars: ScopedVars): GoPulseQuery {
    const templateSrv = getTemplateSrv();
    const out: GoPulseQuery = { ...query, queryType: query.queryType ?? 'promql' };
    if (query.expr) {
      out.expr = templateSrv.replace(query.expr, scopedVars, interpolatePromQLVariable);
    }
    if (query.legendFormat) {
      out.legendFormat = templateSrv.replace(query.legendFormat, scopedVars);
    }
    return out;
  }
}

interface VariableLike {
  multi?: boolean;
  includeAll?: boolean;
}

/**
 * Escapes a value for use inside a double-quoted PromQL regex matcher (`=~"..."`): regex
 * metacharacters get a regex backslash (written `\\` in the PromQL string) and double quotes
 * a string backslash.
 */
export function escapePromQLRegex(value: string): string {
  return value
    .replace(/\\/g, '\\\\\\\\')
    .replace(/[$^*{}[\]+?.()|]/g, '\\\\$&')
    .replace(/"/g, '\\"');
}

/** Format function for getTemplateSrv().replace of a PromQL expression. */
export function interpolatePromQLVariable(value: unknown, variable?: VariableLike): string {
  const multi = Boolean(variable?.multi || variable?.includeAll);
  if (Array.isArray(value)) {
    const values = value.map(String);
    return multi ? values.map(escapePromQLRegex).join('|') : values.join(',');
  }
  const s = value === undefined || value === null ? '' : String(value);
  return multi ? escapePromQLRegex(s) : s;
}
