import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  LiveChannelScope,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv, getTemplateSrv } from '@grafana/runtime';
import { merge, Observable } from 'rxjs';

import {
  DEFAULT_QUERY,
  ExpvarSuggestion,
  ExpvarTarget,
  GoPulseOptions,
  GoPulseQuery,
  HealthSignal,
  MetricMetadata,
  RuntimeSignal,
  VariableQuery,
} from './types';
import { escapePromQLRegex, escapeRegex } from './validation';

export { escapePromQLRegex };
import { GoPulseVariableSupport } from './variables';

/** How long a resource answer is reused in the browser (the backend caches as long). */
export const RESOURCE_TTL_MS = 30_000;

type Params = Record<string, string>;

export class DataSource extends DataSourceWithBackend<GoPulseQuery, GoPulseOptions> {
  private readonly resourceCache = new Map<string, { at: number; value: Promise<unknown> }>();
  /** The data source's options, for the editors' defaults. */
  readonly jsonData: GoPulseOptions;

  constructor(instanceSettings: DataSourceInstanceSettings<GoPulseOptions>) {
    super(instanceSettings);
    this.jsonData = instanceSettings.jsonData ?? {};
    this.variables = new GoPulseVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<GoPulseQuery> {
    return DEFAULT_QUERY;
  }

  /**
   * Live expvar queries subscribe to the backend's `expvar` stream (the latest values after
   * every poll); every other query goes to the backend as usual.
   */
  query(request: DataQueryRequest<GoPulseQuery>): Observable<DataQueryResponse> {
    const live = request.targets.filter((q) => q.queryType === 'expvar' && q.live && this.filterQuery(q));
    if (live.length === 0) {
      return super.query(request);
    }
    const streams = live.map((q) => {
      const { targets, paths } = this.applyTemplateVariables(q, request.scopedVars);
      return getGrafanaLiveSrv().getDataStream({
        key: `${request.requestId}-${q.refId}`,
        addr: {
          scope: LiveChannelScope.DataSource,
          stream: this.uid,
          path: 'expvar',
          data: { targets, paths, mode: 'latest' },
        },
      });
    });
    const rest = request.targets.filter((q) => !live.includes(q));
    return rest.length > 0 ? merge(...streams, super.query({ ...request, targets: rest })) : merge(...streams);
  }

  /**
   * Hidden queries and queries that lack what their type needs (an expression, a signal, a
   * metric, a label) are not sent to the backend, which would only answer with an error.
   */
  filterQuery(query: GoPulseQuery): boolean {
    if (query.hide) {
      return false;
    }
    switch (query.queryType ?? 'promql') {
      case 'promql':
        return (query.expr ?? '').trim() !== '';
      case 'runtime':
        return (query.signal ?? '') !== '';
      case 'business':
        return (query.metric ?? '').trim() !== '';
      case 'expvar':
        // Targets are optional (all); at least one path is needed.
        return (query.paths ?? []).some((p) => p.trim() !== '');
      case 'alerts':
        // Every field is optional: no filter lists all active alerts.
        return true;
      case 'variable':
        return variableQueryComplete(query.variableQuery);
      default:
        return true;
    }
  }

  /**
   * Replaces dashboard variables in the fields that may hold them. In PromQL text (an
   * expression, a matcher list, a series selector) a multi-value or "include All" variable
   * becomes a regex alternation of its escaped values (`job=~"$job"` → `job=~"api|web"`), as
   * Grafana's Prometheus data source does; in a field that is a regex itself (the instance
   * of a runtime or business query, a variable query's regex) it becomes a plain regex
   * alternation. The job is matched exactly by the backend: a single value. Group-by labels
   * and alert severities from a multi-value variable become several entries, and so do
   * expvar targets and paths.
   */
  applyTemplateVariables(query: GoPulseQuery, scopedVars: ScopedVars): GoPulseQuery {
    const templateSrv = getTemplateSrv();
    const promql = (s: string) => templateSrv.replace(s, scopedVars, interpolatePromQLVariable);
    const regex = (s: string) => templateSrv.replace(s, scopedVars, interpolateRegexVariable);
    const plain = (s: string) => templateSrv.replace(s, scopedVars);

    const out: GoPulseQuery = { ...query, queryType: query.queryType ?? 'promql' };
    if (query.expr) {
      out.expr = promql(query.expr);
    }
    if (query.legendFormat) {
      out.legendFormat = plain(query.legendFormat);
    }
    if (query.job) {
      // The backend matches the job exactly.
      out.job = plain(query.job);
    }
    if (query.instance) {
      out.instance = regex(query.instance);
    }
    if (query.metric) {
      out.metric = plain(query.metric);
    }
    if (query.matchers) {
      out.matchers = promql(query.matchers);
    }
    if (query.alertCritical) {
      out.alertCritical = plain(query.alertCritical);
    }
    // A multi-value variable in a list field expands to several entries.
    const list = (values: string[]) =>
      values
        .flatMap((v) => templateSrv.replace(v, scopedVars, 'csv').split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');
    if (query.groupBy) {
      out.groupBy = list(query.groupBy);
    }
    if (query.severities) {
      out.severities = list(query.severities);
    }
    // An expvar target or path with a multi-value variable becomes one entry per value
    // (`business.$m` → `business.a`, `business.b`); a comma in a path (`requests["a,b"]`) stays.
    const names = (values: string[]) => [
      ...new Set(
        values
          .flatMap((v) => expandVariables(v, (text, format) => templateSrv.replace(text, scopedVars, format)))
          .map((v) => v.trim())
          .filter((v) => v !== '')
      ),
    ];
    if (query.targets) {
      out.targets = names(query.targets);
    }
    if (query.paths) {
      out.paths = names(query.paths);
    }
    if (query.variableQuery) {
      const v: VariableQuery = { ...query.variableQuery };
      if (v.label) {
        v.label = plain(v.label);
      }
      if (v.match) {
        v.match = promql(v.match);
      }
      if (v.expr) {
        v.expr = promql(v.expr);
      }
      if (v.regex) {
        v.regex = regex(v.regex);
      }
      out.variableQuery = v;
    }
    return out;
  }

  // Resources (GET, JSON; CONTRIBUTING.md "Resources"). A series selector may hold dashboard
  // variables: they are replaced before the call.

  /** Values of a label: `label-values?label=NAME[&match[]=SELECTOR]`. */
  fetchLabelValues(label: string, match?: string): Promise<string[]> {
    const params: Params = { label };
    if (match) {
      params['match[]'] = this.interpolateSelector(match);
    }
    return this.cachedResource<string[]>('label-values', params).then(asStringList);
  }

  /** Label names: `labels[?match[]=SELECTOR]`. */
  fetchLabelNames(match?: string): Promise<string[]> {
    const params: Params = {};
    if (match) {
      params['match[]'] = this.interpolateSelector(match);
    }
    return this.cachedResource<string[]>('labels', params).then(asStringList);
  }

  /** Metric names: `metrics[?match=REGEX]` (the regex is anchored by the backend). */
  fetchMetricNames(regex?: string): Promise<string[]> {
    return this.cachedResource<string[]>('metrics', regex ? { match: regex } : {}).then(asStringList);
  }

  /** Metric metadata: `metadata[?metric=NAME]` → `[{metric, type, help, unit}]`. */
  fetchMetadata(metric?: string): Promise<MetricMetadata[]> {
    return this.cachedResource<MetricMetadata[]>('metadata', metric ? { metric } : {}).then((v) =>
      Array.isArray(v) ? v : []
    );
  }

  /** The runtime catalogue: `runtime-catalogue` → `[{id, title, area, unit, kind, description, expvarPath}]`. */
  fetchRuntimeCatalogue(): Promise<RuntimeSignal[]> {
    return this.cachedResource<RuntimeSignal[]>('runtime-catalogue', {}).then((v) => (Array.isArray(v) ? v : []));
  }

  /**
   * The health signals that take thresholds, with the data source's default levels:
   * `health-signals` → `[{id, title, unit, description, warning?, critical?}]`.
   */
  fetchHealthSignals(): Promise<HealthSignal[]> {
    return this.cachedResource<HealthSignal[]>('health-signals', {}).then((v) => (Array.isArray(v) ? v : []));
  }

  /**
   * The expvar targets and their poll status: `expvar-targets` →
   * `[{target, instance, host, up, lastError, lastDurationNs, lastPoll, lastSuccess, vars}]`.
   */
  fetchExpvarTargets(): Promise<ExpvarTarget[]> {
    return this.cachedResource<ExpvarTarget[]>('expvar-targets', {}).then((v) => (Array.isArray(v) ? v : []));
  }

  /**
   * The paths of the targets' documents (of one target when named, else of every target), arrays
   * folded to `[*]`, the services' own variables before memstats and cmdline:
   * `expvar-suggestions[?target=NAME]` → `[{path, group, kind, targets}]`.
   */
  fetchExpvarSuggestions(target?: string): Promise<ExpvarSuggestion[]> {
    return this.cachedResource<ExpvarSuggestion[]>('expvar-suggestions', target ? { target } : {}).then((v) =>
      Array.isArray(v) ? v : []
    );
  }

  /** Calls a resource, reusing an answer younger than RESOURCE_TTL_MS. Failures are not kept. */
  private cachedResource<T>(path: string, params: Params): Promise<T> {
    const key = `${path}?${new URLSearchParams(params).toString()}`;
    const now = Date.now();
    const hit = this.resourceCache.get(key);
    if (hit && now - hit.at < RESOURCE_TTL_MS) {
      return hit.value as Promise<T>;
    }
    const value = this.getResource<T>(path, params);
    this.resourceCache.set(key, { at: now, value });
    value.catch(() => {
      if (this.resourceCache.get(key)?.value === value) {
        this.resourceCache.delete(key);
      }
    });
    return value;
  }

  private interpolateSelector(selector: string): string {
    return selector.includes('$') ? getTemplateSrv().replace(selector, undefined, interpolatePromQLVariable) : selector;
  }
}

/** Whether a variable query names everything its kind needs (the backend rejects the rest). */
export function variableQueryComplete(v: VariableQuery | undefined): boolean {
  switch (v?.kind) {
    case 'label_values':
      return (v.label ?? '').trim() !== '';
    case 'query_result':
      return (v.expr ?? '').trim() !== '';
    case 'label_names':
    case 'metric_names':
    case 'alert_names':
    case 'severities':
    case 'rule_groups':
    case 'expvar_targets':
    case 'expvar_paths':
      // expvar_paths: the target in `label` is optional (empty = all targets).
      return true;
    default:
      return false;
  }
}

/**
 * The entries `text` becomes when its variables are replaced: one per combination of the
 * values of its multi-value variables (a single-value variable gives one).
 */
export function expandVariables(
  text: string,
  replace: (text: string, format: (value: unknown) => string) => string
): string[] {
  const MARK = '\u0000';
  const lists: string[][] = [];
  const marked = replace(text, (value) => {
    lists.push(Array.isArray(value) ? value.map(String) : [value === undefined || value === null ? '' : String(value)]);
    return `${MARK}${lists.length - 1}${MARK}`;
  });
  // Between the marks: literal text at even positions, a variable's values at odd ones.
  let out = [''];
  marked.split(MARK).forEach((part, i) => {
    const values = i % 2 === 1 ? (lists[Number(part)] ?? []) : [part];
    out = out.flatMap((prefix) => values.map((v) => prefix + v));
  });
  return out;
}

function asStringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

interface VariableLike {
  multi?: boolean;
  includeAll?: boolean;
}

/** Format function for getTemplateSrv().replace of PromQL text. */
export function interpolatePromQLVariable(value: unknown, variable?: VariableLike): string {
  const multi = Boolean(variable?.multi || variable?.includeAll);
  if (Array.isArray(value)) {
    const values = value.map(String);
    return multi ? values.map(escapePromQLRegex).join('|') : values.join(',');
  }
  const s = value === undefined || value === null ? '' : String(value);
  return multi ? escapePromQLRegex(s) : s;
}

/** Format function for getTemplateSrv().replace of a field that is a regex (runtime job and instance). */
export function interpolateRegexVariable(value: unknown, variable?: VariableLike): string {
  const multi = Boolean(variable?.multi || variable?.includeAll);
  if (Array.isArray(value)) {
    const values = value.map(String);
    return multi ? values.map(escapeRegex).join('|') : values.join(',');
  }
  const s = value === undefined || value === null ? '' : String(value);
  return multi ? escapeRegex(s) : s;
}
