import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import type { Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { DEFAULT_VARIABLE_QUERY, GoPulseOptions, GoPulseQuery, VariableQuery } from './types';

/**
 * Template variables of a GoPulse data source. A variable's query is a normal backend query,
 * `{refId, queryType: 'variable', variableQuery: {kind, label, match, regex, expr}}`, answered
 * with one frame whose `text` field (and `value` field, when different) Grafana turns into
 * the variable's options.
 */
export class GoPulseVariableSupport extends CustomVariableSupport<
  DataSource,
  GoPulseQuery,
  GoPulseQuery,
  GoPulseOptions
> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  getDefaultQuery(): Partial<GoPulseQuery> {
    return DEFAULT_VARIABLE_QUERY;
  }

  query(request: DataQueryRequest<GoPulseQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.map((t) => toVariableQuery(t));
    return this.datasource.query({ ...request, targets });
  }
}

/**
 * Reads a saved variable query as a GoPulse variable query: an object saved by the
 * VariableQueryEditor, or a string in the Prometheus data source's syntax (as typed in a
 * provisioned dashboard): `label_values(job)`, `label_values(up{env="prod"}, instance)`,
 * `label_names()`, `label_names(up)`, `metrics(go_.*)`, `query_result(topk(5, up))`.
 */
export function toVariableQuery(saved: GoPulseQuery | string | undefined | null): GoPulseQuery {
  if (typeof saved === 'string') {
    return { ...DEFAULT_VARIABLE_QUERY, variableQuery: parseVariableQueryString(saved) };
  }
  if (!saved || typeof saved !== 'object') {
    return { ...DEFAULT_VARIABLE_QUERY };
  }
  // An older Grafana hands a custom variable query over as {query: "label_values(job)"}.
  const legacy = (saved as { query?: unknown }).query;
  if (!saved.variableQuery && typeof legacy === 'string') {
    return {
      refId: saved.refId || DEFAULT_VARIABLE_QUERY.refId,
      queryType: 'variable',
      variableQuery: parseVariableQueryString(legacy),
    };
  }
  return {
    ...saved,
    refId: saved.refId || DEFAULT_VARIABLE_QUERY.refId,
    queryType: 'variable',
    variableQuery: saved.variableQuery ?? { kind: 'label_values' },
  };
}

const FUNCTION_CALL = /^\s*(label_values|label_names|metrics|query_result)\s*\(([\s\S]*)\)\s*$/;

/** Parses the Prometheus data source's variable query syntax. Anything else is an expression. */
export function parseVariableQueryString(s: string): VariableQuery {
  const call = FUNCTION_CALL.exec(s);
  if (!call) {
    const expr = s.trim();
    return expr === '' ? { kind: 'label_values' } : { kind: 'query_result', expr };
  }
  const [, fn, rawArgs] = call;
  const args = rawArgs.trim();
  switch (fn) {
    case 'label_values': {
      // The label is the last argument; a series selector may come before it (and may contain commas).
      const comma = lastTopLevelComma(args);
      if (comma < 0) {
        return { kind: 'label_values', label: args };
      }
      const match = args.slice(0, comma).trim();
      const label = args.slice(comma + 1).trim();
      return match === '' ? { kind: 'label_values', label } : { kind: 'label_values', label, match };
    }
    case 'label_names':
      return args === '' ? { kind: 'label_names' } : { kind: 'label_names', match: args };
    case 'metrics':
      return args === '' ? { kind: 'metric_names' } : { kind: 'metric_names', regex: args };
    default:
      return { kind: 'query_result', expr: args };
  }
}

/** Index of the last comma outside braces, parentheses and quotes, or -1. */
function lastTopLevelComma(s: string): number {
  let depth = 0;
  let quote: string | undefined;
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') {
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '{' || c === '(' || c === '[') {
      depth++;
    } else if (c === '}' || c === ')' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 0) {
      last = i;
    }
  }
  return last;
}
