import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/**
 * The query types of GoPulse (the `queryType` of a query). The backend (pkg/query) mirrors
 * these names; a query type without a handler gets a "not supported yet" error there.
 * `variable` is for template variables only and is not offered in the query type picker.
 */
export type QueryType = 'promql' | 'runtime' | 'business' | 'expvar' | 'alerts' | 'health' | 'variable';

/** The query types of the query type picker, in order. */
export const QUERY_TYPES: QueryType[] = ['promql', 'runtime', 'business', 'expvar', 'alerts', 'health'];

export const QUERY_TYPE_LABELS: Record<QueryType, string> = {
  promql: 'PromQL',
  runtime: 'Go runtime',
  business: 'Business',
  expvar: 'Expvar',
  alerts: 'Alerts',
  health: 'Health',
  variable: 'Variable',
};

// The enumerations of the query models below are those of the JSON schema generated from the
// Go models (src/schema, pkg/query); src/schema.test.ts holds these lists to it.

/** Shape of the frames a promql query returns. */
export const PROMQL_FORMATS = ['time_series', 'table', 'heatmap'] as const;
export type PromQLFormat = (typeof PROMQL_FORMATS)[number];

/** Where a runtime query reads its signal: `auto` uses Prometheus and falls back to expvar. */
export const RUNTIME_SOURCES = ['auto', 'prometheus', 'expvar'] as const;
export type RuntimeSource = (typeof RUNTIME_SOURCES)[number];

/** Where an alerts query reads alerts. */
export const ALERTS_SOURCES = ['prometheus', 'alertmanager', 'both'] as const;
export type AlertsSource = (typeof ALERTS_SOURCES)[number];

/** The states of an alert an alerts query can ask for. */
export const ALERT_STATES = ['firing', 'pending'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Shape of the frame an alerts query returns. */
export const ALERTS_FORMATS = ['table', 'timeline', 'counts', 'rules'] as const;
export type AlertsFormat = (typeof ALERTS_FORMATS)[number];

/**
 * Shape of the frames a health query returns: `table` (one row per instance), `numeric` (one
 * numeric frame per instance, status 0 ok, 1 warning, 2 critical, 3 down: for alert rules) or
 * `time_series` (a wide frame per instance over the range: status and signals).
 */
export const HEALTH_FORMATS = ['table', 'numeric', 'time_series'] as const;
export type HealthFormat = (typeof HEALTH_FORMATS)[number];

/**
 * The health signals that take thresholds. A value at or above a threshold crosses it. The
 * health frames also carry `up` (0 = down), which takes none.
 */
export type HealthThresholdSignal =
  'goroutines' | 'goroutine_growth' | 'heap_inuse' | 'gc_pause_p99' | 'request_rate' | 'error_ratio' | 'latency_p99';

/** The levels of a health threshold. */
export const THRESHOLD_LEVELS = ['warning', 'critical'] as const;

/** Warning and critical levels of one signal; a level left out is the data source's (or none). */
export type HealthThreshold = Partial<Record<(typeof THRESHOLD_LEVELS)[number], number>>;

/** Thresholds by signal id: per-query overrides, or the data source's defaults (`healthThresholds`). */
export type HealthThresholds = Partial<Record<HealthThresholdSignal, HealthThreshold>>;

/**
 * One entry of the `health-signals` resource: a signal that takes thresholds, with the data
 * source's effective default levels (absent when not set).
 */
export interface HealthSignal extends HealthThreshold {
  id: string;
  title: string;
  /** Grafana unit id, e.g. `s`, `bytes`, `reqps`, `percentunit`, `short`. */
  unit: string;
  description: string;
}

/**
 * The built-in health signals with the backend's built-in default thresholds: titles and
 * units when the `health-signals` resource cannot be read, and the defaults of the data
 * source settings.
 */
export const HEALTH_SIGNALS: ReadonlyArray<HealthSignal & { id: HealthThresholdSignal }> = [
  {
    id: 'goroutines',
    title: 'Goroutines',
    unit: 'short',
    description: 'Live goroutines',
    warning: 10000,
    critical: 50000,
  },
  {
    id: 'goroutine_growth',
    title: 'Goroutine growth',
    unit: 'short',
    description: 'Goroutines added per second over the growth window (a leak)',
    warning: 5,
    critical: 50,
  },
  {
    id: 'heap_inuse',
    title: 'Heap in use',
    unit: 'bytes',
    description: 'Bytes in in-use heap spans',
    warning: 536870912,
    critical: 1073741824,
  },
  {
    id: 'gc_pause_p99',
    title: 'GC pause p99',
    unit: 's',
    description: '99th percentile of the stop-the-world GC pauses',
    warning: 0.025,
    critical: 0.1,
  },
  { id: 'request_rate', title: 'Request rate', unit: 'reqps', description: 'Requests per second' },
  {
    id: 'error_ratio',
    title: 'Error ratio',
    unit: 'percentunit',
    description: 'Failed requests / all requests, from 0 to 1',
    warning: 0.01,
    critical: 0.05,
  },
  {
    id: 'latency_p99',
    title: 'Latency p99',
    unit: 's',
    description: '99th percentile of the request latency',
    warning: 0.25,
    critical: 0.5,
  },
];

/** The P-levels, most urgent first. */
export const P_LEVELS: readonly string[] = ['P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9'];

/**
 * What an expvar query returns: `latest` (one table of the latest values), `history` (time
 * series from the poll history) or `rate` (per-second rate of counters between polls).
 */
export const EXPVAR_MODES = ['latest', 'history', 'rate'] as const;
export type ExpvarMode = (typeof EXPVAR_MODES)[number];

/** How a business query aggregates across series (before grouping by `groupBy`). */
export const AGGREGATIONS = ['sum', 'avg', 'min', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * What a template-variable query lists. `alert_names`, `severities` and `rule_groups` are read
 * from Prometheus's alerting rules and take no field but `regex`; `expvar_targets` lists the
 * expvar targets' names, `expvar_paths` the paths of the variables of one target (`label`) or
 * of all targets.
 */
export const VARIABLE_QUERY_KINDS = [
  'label_values',
  'label_names',
  'metric_names',
  'query_result',
  'alert_names',
  'severities',
  'rule_groups',
  'expvar_targets',
  'expvar_paths',
] as const;
export type VariableQueryKind = (typeof VARIABLE_QUERY_KINDS)[number];

/**
 * A template-variable query (`queryType: 'variable'`). The backend answers one frame with a
 * `text` string field (and `value` when different).
 */
export interface VariableQuery {
  kind: VariableQueryKind;
  /** label_values: the label whose values to list; expvar_paths: the target (empty = all targets). */
  label?: string;
  /** label_values, label_names, metric_names: an optional series selector, e.g. `up{job="api"}`. */
  match?: string;
  /**
   * Any kind: keep only the values this RE2 regex (bare or `/.../`) matches anywhere; its
   * first capture group, when it has one, becomes the value. A query_result value reads
   * `series value timestamp`.
   */
  regex?: string;
  /** query_result: a PromQL expression evaluated as an instant query. */
  expr?: string;
}

/**
 * One GoPulse query, as saved in a dashboard or alert rule and sent to the backend.
 * Keys are the JSON keys the backend decodes (pkg/query); the fields of other query types
 * than `queryType` are ignored there.
 */
export interface GoPulseQuery extends DataQuery {
  queryType: QueryType;

  // common
  /** Series name template, e.g. `{{instance}}`. */
  legendFormat?: string;

  // promql
  /** PromQL expression. Saved queries may lack it: read it as `query.expr ?? ''`. */
  expr?: string;
  /** Lower bound of the step: a Go/Prometheus duration (`15s`, `1m30s`) or a number of seconds. */
  minStep?: string;
  /** Run a range query (default true). */
  range?: boolean;
  /** Run an instant query. Range and instant may both be true (two sets of frames). */
  instant?: boolean;
  /** promql: a PromQLFormat; alerts: an AlertsFormat; health: a HealthFormat. */
  format?: PromQLFormat | AlertsFormat | HealthFormat;

  // runtime, and the scope of business
  /** Runtime catalogue id, e.g. `goroutines`, `heap_alloc`, `gc_pause_p99`. */
  signal?: string;
  /** Job label value, matched exactly; empty = all. */
  job?: string;
  /** Instance label regex; empty = all. */
  instance?: string;
  /** runtime: where the signal is read (empty = auto); alerts: where alerts are read (empty = prometheus). */
  source?: RuntimeSource | AlertsSource;

  // business
  /** Metric name (as in Prometheus metadata: a histogram's or summary's base name). */
  metric?: string;
  /** Default sum (max for a summary, whose quantiles cannot be summed); histograms ignore it. */
  aggregation?: Aggregation;
  /** Label names to group by. */
  groupBy?: string[];
  /** Quantiles of a histogram or summary, each in [0, 1], e.g. `[0.5, 0.9, 0.99]` (the backend's default when empty). */
  quantiles?: number[];
  /** Keep the N largest series; 0 or absent = all. */
  topN?: number;
  /**
   * business and alerts: a PromQL label-matcher list without braces, e.g.
   * `job="demo",path=~"/api/.*"` (alerts: matched against the alerts' labels).
   */
  matchers?: string;

  // alerts (source, format and matchers above)
  /** Alert states to show; empty = firing and pending. */
  states?: AlertState[];
  /** P-levels (`P0`, `P1`, ...) or raw severity label values; empty = all. */
  severities?: string[];

  // expvar
  /** Expvar target names (`jsonData.expvarTargets[].name`); empty = all targets. */
  targets?: string[];
  /**
   * Expvar paths, at least one: `memstats.HeapAlloc`, `memstats.PauseNs[0]`,
   * `requests["api.example.com:443"]`, wildcards `business.*` and `**.Mallocs`.
   */
  paths?: string[];
  /** Default latest. */
  mode?: ExpvarMode;
  /** Stream the latest values through Grafana Live after every poll (channel `expvar`). */
  live?: boolean;

  // health (job, instance and format above)
  /** Per-query overrides of the data source's thresholds (`healthThresholds`); absent = none. */
  thresholds?: HealthThresholds;
  /**
   * Firing alerts at this P-level (`P0`..`P9`) or more urgent make an instance critical, less
   * urgent ones warning. Empty = the data source's `healthAlertCritical`.
   */
  alertCritical?: string;

  // variable
  variableQuery?: VariableQuery;
}

/** The fields of each query type's model (pkg/query), besides refId and queryType. */
export const QUERY_MODEL_FIELDS = {
  promql: ['expr', 'legendFormat', 'minStep', 'range', 'instant', 'format'],
  runtime: ['signal', 'job', 'instance', 'source', 'legendFormat'],
  business: ['metric', 'aggregation', 'groupBy', 'quantiles', 'topN', 'matchers', 'job', 'instance', 'legendFormat'],
  expvar: ['targets', 'paths', 'mode', 'live'],
  alerts: ['source', 'states', 'matchers', 'severities', 'format'],
  health: ['job', 'instance', 'format', 'thresholds', 'alertCritical'],
  variable: ['variableQuery'],
} as const satisfies Record<QueryType, ReadonlyArray<keyof GoPulseQuery>>;

/** The fields of a template-variable query. */
export const VARIABLE_QUERY_FIELDS = ['kind', 'label', 'match', 'regex', 'expr'] as const satisfies ReadonlyArray<
  keyof VariableQuery
>;

export const DEFAULT_QUERY: Partial<GoPulseQuery> = {
  queryType: 'promql',
  expr: '',
  range: true,
  format: 'time_series',
};

/** Fields a query gets when the picker switches it to a type (fields already set are kept). */
export const QUERY_TYPE_DEFAULTS: Partial<Record<QueryType, Partial<GoPulseQuery>>> = {
  promql: { expr: '', range: true, format: 'time_series' },
  runtime: { source: 'auto' },
  business: { aggregation: 'sum' },
  expvar: { mode: 'latest', paths: ['goroutines'] },
  alerts: { source: 'prometheus', format: 'table' },
  health: { format: 'table' },
};

/**
 * Values a field shared by several query types may take in a type. When the picker switches a
 * query to a type, a kept value outside these is replaced by the type's default.
 */
export const QUERY_TYPE_VALUES: Partial<Record<QueryType, Partial<Record<keyof GoPulseQuery, readonly unknown[]>>>> = {
  promql: { format: PROMQL_FORMATS },
  runtime: { source: RUNTIME_SOURCES },
  expvar: { mode: EXPVAR_MODES },
  alerts: { source: ALERTS_SOURCES, format: ALERTS_FORMATS },
  health: { format: HEALTH_FORMATS },
};

/** Quantiles a business query of a histogram or summary starts with. */
export const DEFAULT_QUANTILES = [0.5, 0.9, 0.99];

/** The query a new template variable starts with. */
export const DEFAULT_VARIABLE_QUERY: GoPulseQuery = {
  refId: 'variable',
  queryType: 'variable',
  variableQuery: { kind: 'label_values', label: 'job' },
};

/** One entry of the `runtime-catalogue` resource. */
export interface RuntimeSignal {
  id: string;
  title: string;
  /** Grouping in the signal picker, e.g. `Memory`, `GC`, `Scheduler`. */
  area: string;
  /** Grafana unit id, e.g. `bytes`, `s`, `short`. */
  unit: string;
  /** e.g. `gauge`, `counter`, `quantile`. */
  kind: string;
  description: string;
  /** Path in /debug/vars when the signal has an expvar source, e.g. `memstats.HeapAlloc`. */
  expvarPath?: string;
  /** Other usual paths of the signal, tried when expvarPath is absent (goroutines: `Goroutines`, `NumGoroutine`). */
  expvarAlso?: string[];
}

/** One entry of the `expvar-suggestions` resource: a path of the targets' documents, arrays as `[*]`. */
export interface ExpvarSuggestion {
  path: string;
  /** The top-level variable it belongs to (`memstats`, `raft.status`). */
  group: string;
  /** number, bool, string or null. */
  kind: string;
  /** How many targets publish it. */
  targets: number;
}

/** One entry of the `expvar-targets` resource: a configured expvar target and its poll status. */
export interface ExpvarTarget {
  /** The target's name, as an expvar query's `targets` names it. */
  target: string;
  instance: string;
  /** The job it answers for (discovered: its Prometheus job), when it has one. */
  job?: string;
  host: string;
  /** Whether the last poll succeeded. */
  up: boolean;
  /** Why the last poll failed (absent when up). */
  lastError?: string;
  lastDurationNs: number;
  /** RFC 3339 times of the last poll and the last successful one (Go's zero time, year 1, before the first). */
  lastPoll: string;
  lastSuccess: string;
  /** Number of variables the last successful poll read. */
  vars: number;
}

/** One entry of the `metadata` resource (Prometheus `/api/v1/metadata`). */
export interface MetricMetadata {
  metric: string;
  /** `counter`, `gauge`, `histogram`, `summary`, `gaugehistogram`, `info`, `stateset` or `unknown`. */
  type: string;
  help: string;
  unit: string;
}

/** Options of a GoPulse data source instance (`jsonData`). The data source URL is the Prometheus URL. */
export interface GoPulseOptions extends DataSourceJsonData {
  /** Optional Alertmanager base URL (http or https). */
  alertmanagerUrl?: string;
  /** Send Prometheus's credentials, headers and TLS client certificate to the Alertmanager too (default off). */
  alertmanagerUsePrometheusAuth?: boolean;
  /** The Alertmanager's own connection settings: Grafana's standard HTTP keys with the `alertmanager` prefix. */
  alertmanagerBasicAuth?: boolean;
  alertmanagerBasicAuthUser?: string;
  /** Seconds (default 30). */
  alertmanagerTimeout?: number;
  alertmanagerTlsSkipVerify?: boolean;
  alertmanagerTlsAuth?: boolean;
  alertmanagerTlsAuthWithCACert?: boolean;
  alertmanagerServerName?: string;
  [alertmanagerHttpHeaderName: `alertmanagerHttpHeaderName${number}`]: string | undefined;
  /** HTTP timeout in seconds (Grafana's standard key, read by the SDK's HTTP client options). */
  timeout?: number;
  /** Evaluation timeout sent to Prometheus as its `timeout` parameter, e.g. `30s`. */
  queryTimeout?: string;
  /** Upper bound of the Prometheus queries the backend runs at once for one request (default 4). */
  maxConcurrentQueries?: number;
  /** Prometheus scrape interval, e.g. `15s` (default): the floor of `$__rate_interval` in the backend. */
  scrapeInterval?: string;
  /**
   * Expvar targets polled by the backend: `url` is the full expvar URL, `instance` an optional
   * label, `job` the job it answers for, `basicAuthUser` and `headers` (names) its credentials
   * (the secrets are in secureJsonData, see ExpvarSecureKey), `paths` its own runtime signal paths.
   */
  expvarTargets?: ExpvarTargetSettings[];
  /** Job, credentials and signal paths of the targets, by target name (the settings editor keeps them here). */
  expvarTargetOptions?: Record<string, ExpvarTargetOptions>;
  /** Runtime signal id → expvar path, for every target (e.g. `{goroutines: "app.NumGoroutine"}`). */
  expvarSignalPaths?: Record<string, string>;
  /** Host patterns (`*.internal:6060`, `10.0.0.*`) a discovered target must match; empty = every host. */
  expvarDiscoverHosts?: string[];
  /** Prometheus jobs whose active targets are polled for expvar as well (named `job/instance`). */
  expvarDiscoverJobs?: string[];
  /** Port of the discovered targets' expvar endpoint (default: the scrape URL's port). */
  expvarDiscoverPort?: number;
  /** Path of the discovered targets' expvar endpoint (default `/debug/vars`). */
  expvarPath?: string;
  /** How often the targets are polled, a duration (default `10s`). */
  expvarPollInterval?: string;
  /** How long the poll history is kept, a duration (default `1h`). */
  expvarRetention?: string;
  /** Health: the request counter (default `http_requests_total`). */
  healthRequestMetric?: string;
  /** Health: label matchers that pick the failed requests (default `code=~"5.."`). */
  healthErrorSelector?: string;
  /** Health: a classic histogram of the request latency, without `_bucket` (default `http_request_duration_seconds`). */
  healthLatencyMetric?: string;
  /** Health: the window of the goroutine growth, a duration (default `1m`). */
  healthGrowthWindow?: string;
  /** Health: firing alerts at this P-level or more urgent make an instance critical (default `P1`). */
  healthAlertCritical?: string;
  /** Health: the default thresholds, by signal (the built-in ones where a level is left out). */
  healthThresholds?: HealthThresholds;

  // Grafana's standard HTTP settings, written by DataSourceHttpSettings.
  tlsAuth?: boolean;
  tlsAuthWithCACert?: boolean;
  tlsSkipVerify?: boolean;
  serverName?: string;
  oauthPassThru?: boolean;
  keepCookies?: string[];
  [httpHeaderName: `httpHeaderName${number}`]: string | undefined;
}

export const DEFAULT_MAX_CONCURRENT_QUERIES = 4;
export const DEFAULT_SCRAPE_INTERVAL = '15s';
export const DEFAULT_HEALTH_REQUEST_METRIC = 'http_requests_total';
export const DEFAULT_HEALTH_ERROR_SELECTOR = 'code=~"5.."';
export const DEFAULT_HEALTH_LATENCY_METRIC = 'http_request_duration_seconds';
export const DEFAULT_HEALTH_GROWTH_WINDOW = '1m';
export const DEFAULT_HEALTH_ALERT_CRITICAL = 'P1';
/** The backend's upper bound of maxConcurrentQueries (the SDK's concurrent query helper caps at 10). */
export const MAX_CONCURRENT_QUERIES_LIMIT = 10;

/** Secrets of a GoPulse data source (`secureJsonData`): sent to the backend only, never read back. */
/** An expvar target of the data source settings (`jsonData.expvarTargets[]`). */
export interface ExpvarTargetSettings {
  name: string;
  url: string;
  instance?: string;
  job?: string;
  basicAuthUser?: string;
  /** Names of the headers sent to the target; their values are secrets. */
  headers?: string[];
  paths?: Record<string, string>;
}

/** What an expvar target has beyond its name, URL and instance (`jsonData.expvarTargetOptions[name]`). */
export interface ExpvarTargetOptions {
  job?: string;
  basicAuthUser?: string;
  headers?: string[];
  paths?: Record<string, string>;
}

/** The secureJsonData keys of an expvar target's secrets, after its name (and header). */
export const EXPVAR_PASSWORD_KEY = 'expvarTargetPassword.';
export const EXPVAR_TOKEN_KEY = 'expvarTargetToken.';
export const EXPVAR_HEADER_KEY = 'expvarTargetHeader.';

export type ExpvarSecureKey =
  `expvarTargetPassword.${string}` | `expvarTargetToken.${string}` | `expvarTargetHeader.${string}`;

export interface GoPulseSecureJsonData {
  [expvarSecret: ExpvarSecureKey]: string | undefined;
  basicAuthPassword?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  [httpHeaderValue: `httpHeaderValue${number}`]: string | undefined;
  alertmanagerBasicAuthPassword?: string;
  alertmanagerTlsCACert?: string;
  alertmanagerTlsClientCert?: string;
  alertmanagerTlsClientKey?: string;
  [alertmanagerHttpHeaderValue: `alertmanagerHttpHeaderValue${number}`]: string | undefined;
}

/** The secureJsonData keys of the Alertmanager's own connection. */
export type AlertmanagerSecureKey =
  | 'alertmanagerBasicAuthPassword'
  | 'alertmanagerTlsCACert'
  | 'alertmanagerTlsClientCert'
  | 'alertmanagerTlsClientKey'
  | `alertmanagerHttpHeaderValue${number}`;
