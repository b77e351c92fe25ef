import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/**
 * The query types of GoPulse (the `queryType` of a query). The backend (pkg/query) mirrors
 * these names; a query type without a handler gets a "not supported yet" error there.
 */
export type QueryType = 'promql' | 'runtime' | 'business' | 'expvar' | 'alerts' | 'health';

export const QUERY_TYPES: QueryType[] = ['promql', 'runtime', 'business', 'expvar', 'alerts', 'health'];

/** Query types that have an editor (and a backend handler) in this version. */
export const IMPLEMENTED_QUERY_TYPES: QueryType[] = ['promql'];

export const QUERY_TYPE_LABELS: Record<QueryType, string> = {
  promql: 'PromQL',
  runtime: 'Go runtime',
  business: 'Business',
  expvar: 'Expvar',
  alerts: 'Alerts',
  health: 'Health',
};

/** Shape of the frames a promql query returns. Only `time_series` is answered now. */
export type PromQLFormat = 'time_series' | 'table' | 'heatmap';

/**
 * One GoPulse query, as saved in a dashboard or alert rule and sent to the backend.
 * Keys are the JSON keys the backend decodes (pkg/query).
 */
export interface GoPulseQuery extends DataQuery {
  queryType: QueryType;

  // promql
  /** PromQL expression. Saved queries may lack it: read it as `query.expr ?? ''`. */
  expr: string;
  /** Series name template, e.g. `{{instance}}`. */
  legendFormat?: string;
  /** Lower bound of the step: a Go/Prometheus duration (`15s`, `1m30s`) or a number of seconds. */
  minStep?: string;
  /** Run a range query (default true). */
  range?: boolean;
  /** Run an instant query. */
  instant?: boolean;
  format?: PromQLFormat;
}

export const DEFAULT_QUERY: Partial<GoPulseQuery> = {
  queryType: 'promql',
  expr: '',
  range: true,
  format: 'time_series',
};

/** Options of a GoPulse data source instance (`jsonData`). The data source URL is the Prometheus URL. */
export interface GoPulseOptions extends DataSourceJsonData {
  /** Optional Alertmanager base URL (http or https). */
  alertmanagerUrl?: string;
  /** HTTP timeout in seconds (Grafana's standard key, read by the SDK's HTTP client options). */
  timeout?: number;
  /** Evaluation timeout sent to Prometheus as its `timeout` parameter, e.g. `30s`. */
  queryTimeout?: string;
  /** Upper bound of the Prometheus queries the backend runs at once for one request (default 4). */
  maxConcurrentQueries?: number;

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
/** The backend's upper bound of maxConcurrentQueries (the SDK's concurrent query helper caps at 10). */
export const MAX_CONCURRENT_QUERIES_LIMIT = 10;

/** Secrets of a GoPulse data source (`secureJsonData`): sent to the backend only, never read back. */
export interface GoPulseSecureJsonData {
  basicAuthPassword?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  [httpHeaderValue: `httpHeaderValue${number}`]: string | undefined;
}
