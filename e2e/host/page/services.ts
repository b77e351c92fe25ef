// The @grafana/runtime services the host page provides, as Grafana's own frontend does at
// boot: a fetch-based BackendSrv, a TemplateSrv over the dashboard variables the page sets,
// and a DataSourceSrv that knows the one GoPulse data source.
import {
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourceRef,
  LiveChannelScope,
  LoadingState,
  ScopedVars,
  TimeRange,
  dataFrameFromJSON,
  TypedVariableModel,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  DataSourceSrv,
  FetchResponse,
  GrafanaLiveSrv,
  LiveDataStreamOptions,
  TemplateSrv,
  setBackendSrv,
  setDataSourceSrv,
  setGrafanaLiveSrv,
  setTemplateSrv,
} from '@grafana/runtime';
import { Observable } from 'rxjs';

/** A fetch-based BackendSrv: what the plugin's DataSourceWithBackend calls. */
export function fetchBackendSrv(): BackendSrv {
  const fetchObservable = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      request<T>(options, controller.signal).then(
        (r) => {
          subscriber.next(r);
          subscriber.complete();
        },
        (err) => subscriber.error(err)
      );
      return () => controller.abort();
    });
  const promise = <T>(options: BackendSrvRequest): Promise<T> => request<T>(options).then((r) => r.data);
  const srv = {
    fetch: fetchObservable,
    request: promise,
    datasourceRequest: (options: BackendSrvRequest) => request(options),
    get: <T>(url: string, params?: BackendSrvRequest['params'], requestId?: string) =>
      promise<T>({ url, params, requestId, method: 'GET' }),
    delete: <T>(url: string, data?: unknown) => promise<T>({ url, data, method: 'DELETE' }),
    post: <T>(url: string, data?: unknown) => promise<T>({ url, data, method: 'POST' }),
    patch: <T>(url: string, data?: unknown) => promise<T>({ url, data, method: 'PATCH' }),
    put: <T>(url: string, data?: unknown) => promise<T>({ url, data, method: 'PUT' }),
    resolveCancelerIfExists: () => undefined,
  };
  return srv as unknown as BackendSrv;
}

/** One HTTP call as BackendSrv makes it: JSON in and out; a non-2xx answer rejects with {status, data}. */
async function request<T>(options: BackendSrvRequest, signal?: AbortSignal): Promise<FetchResponse<T>> {
  const url = withParams(options.url, options.params);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.data !== undefined) {
    body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
    headers['Content-Type'] = headers['Content-Type'] ?? 'application/json';
  }
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body, signal });
  const text = await res.text();
  let data: unknown = text;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: the text.
  }
  const response = {
    data: data as T,
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    headers: res.headers,
    redirected: res.redirected,
    type: res.type,
    url: res.url,
    config: options,
  };
  if (!res.ok) {
    throw { ...response, message: (data as { message?: string } | undefined)?.message ?? res.statusText };
  }
  return response;
}

function withParams(url: string, params: BackendSrvRequest['params']): string {
  if (!params || typeof params !== 'object') {
    return url;
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null) {
        search.append(key, String(v));
      }
    }
  }
  const q = search.toString();
  return q === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${q}`;
}

/** A dashboard variable as the host's TemplateSrv holds it. */
export interface HostVariable {
  name: string;
  /** The selected values ($__all already expanded to every option). */
  values: string[];
  multi: boolean;
  includeAll: boolean;
  /** The selection is All. */
  all: boolean;
  /** What All stands for, when the variable sets it (e.g. `.*`). */
  allValue?: string;
}

const VARIABLE = /\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

type FormatFn = (value: unknown, variable?: unknown, fallback?: unknown) => string;

/**
 * Grafana's TemplateSrv.replace for the formats plugins use: a format function (called with
 * the value, a string or an array of strings, and the variable), `csv`, `pipe`, `regex`,
 * `raw`, `text`, `json`, `glob` (the default for several values), `queryparam`; scoped
 * variables first (`__interval` and the like), then the dashboard's.
 */
export class HostTemplateSrv implements TemplateSrv {
  private vars = new Map<string, HostVariable>();

  setVariables(vars: HostVariable[]): void {
    this.vars = new Map(vars.map((v) => [v.name, v]));
  }

  getVariables(): TypedVariableModel[] {
    return [...this.vars.values()].map(
      (v) =>
        ({
          name: v.name,
          type: 'query',
          multi: v.multi,
          includeAll: v.includeAll,
          current: { value: v.all ? ['$__all'] : v.values, text: v.values },
          options: v.values.map((value) => ({ value, text: value, selected: true })),
        }) as unknown as TypedVariableModel
    );
  }

  containsTemplate(target?: string): boolean {
    if (!target) {
      return false;
    }
    VARIABLE.lastIndex = 0;
    for (const m of target.matchAll(VARIABLE)) {
      const name = m[1] ?? m[2] ?? m[4];
      if (this.vars.has(name)) {
        return true;
      }
    }
    return false;
  }

  updateTimeRange(_: TimeRange): void {}

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE, (match, n1, n2, fmt2, n3, fieldPath, fmt3) => {
      const name: string = n1 ?? n2 ?? n3;
      const scoped = scopedVars?.[name];
      if (scoped) {
        const value = fieldPath ? (scoped.value as Record<string, unknown>)?.[fieldPath] : scoped.value;
        return formatValue(value, fmt2 ?? fmt3 ?? format, undefined);
      }
      const v = this.vars.get(name);
      if (!v) {
        return match;
      }
      const fmt = fmt2 ?? fmt3 ?? format;
      // As Grafana: a custom All value is not formatted (but for the text and percentencode formats).
      if (v.all && v.allValue && fmt !== 'text' && fmt !== 'percentencode') {
        return this.replace(v.allValue, scopedVars);
      }
      const value: string | string[] = v.multi || v.includeAll ? v.values : (v.values[0] ?? '');
      return formatValue(value, fmt, v);
    });
  }
}

function formatValue(
  value: unknown,
  format: string | Function | undefined,
  variable: HostVariable | undefined
): string {
  if (typeof format === 'function') {
    return (format as FormatFn)(value, variable ? { ...variable, name: variable.name } : undefined);
  }
  const list = Array.isArray(value) ? value.map(String) : [value === undefined || value === null ? '' : String(value)];
  switch (format) {
    case 'csv':
      return list.join(',');
    case 'pipe':
      return list.join('|');
    case 'regex':
      return list.length === 1 ? escapeRegex(list[0]) : `(${list.map(escapeRegex).join('|')})`;
    case 'json':
      return JSON.stringify(Array.isArray(value) ? list : list[0]);
    case 'queryparam':
      return list.map((v) => `var-${variable?.name ?? ''}=${encodeURIComponent(v)}`).join('&');
    case 'raw':
    case 'text':
      return list.join(',');
    default:
      return list.length === 1 ? list[0] : `{${list.join(',')}}`;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}\/]/g, '\\$&');
}

/** A DataSourceSrv of one data source (GoPulse), also under the name `-- Grafana --`-free refs and variables. */
export class HostDataSourceSrv implements DataSourceSrv {
  constructor(
    private settings: DataSourceInstanceSettings,
    private instance: () => DataSourceApi
  ) {}

  private matches(ref?: DataSourceRef | string | null): boolean {
    if (ref === undefined || ref === null) {
      return true;
    }
    const key = typeof ref === 'string' ? ref : (ref.uid ?? ref.type);
    return (
      key === undefined ||
      key === this.settings.uid ||
      key === this.settings.name ||
      key === this.settings.type ||
      key === 'default' ||
      (typeof key === 'string' && key.startsWith('$'))
    );
  }

  get(ref?: DataSourceRef | string | null): Promise<DataSourceApi> {
    return this.matches(ref)
      ? Promise.resolve(this.instance())
      : Promise.reject(new Error(`Unknown data source ${JSON.stringify(ref)}`));
  }

  getList(): DataSourceInstanceSettings[] {
    return [this.settings];
  }

  getInstanceSettings(ref?: DataSourceRef | string | null): DataSourceInstanceSettings | undefined {
    return this.matches(ref) ? this.settings : undefined;
  }

  reload(): Promise<void> {
    return Promise.resolve();
  }

  registerRuntimeDataSource(): void {
    throw new Error('the host has one data source');
  }
}

/**
 * Grafana Live for data source streams, over the host's server-sent events route instead of
 * Grafana's websocket: every frame the plugin's RunStream sends is one response (the latest
 * values; Grafana's StreamingDataFrame buffering is not reproduced).
 */
export function hostLiveSrv(): GrafanaLiveSrv {
  const unsupported = () => {
    throw new Error('the host serves data source streams only (getDataStream)');
  };
  return {
    getConnectionState: unsupported,
    getStream: unsupported,
    getPresence: unsupported,
    publish: unsupported,
    getDataStream: (options: LiveDataStreamOptions) =>
      new Observable<DataQueryResponse>((subscriber) => {
        const { addr } = options;
        if (addr.scope !== LiveChannelScope.DataSource) {
          subscriber.error(new Error(`the host streams data sources only, not ${addr.scope}`));
          return;
        }
        const data = addr.data === undefined ? '' : `?data=${encodeURIComponent(JSON.stringify(addr.data))}`;
        const source = new EventSource(`/api/host/live/${addr.stream}/${addr.path}${data}`);
        source.onmessage = (e) =>
          subscriber.next({
            key: options.key,
            state: LoadingState.Streaming,
            data: [dataFrameFromJSON(JSON.parse(e.data))],
          });
        source.onerror = () => {
          if (source.readyState === EventSource.CLOSED) {
            subscriber.next({
              key: options.key,
              state: LoadingState.Error,
              data: [],
              error: { message: 'stream closed' },
            });
            subscriber.complete();
          }
        };
        return () => source.close();
      }),
  };
}

/** Installs the services; returns the TemplateSrv (the dashboards runner sets its variables). */
export function installServices(settings: DataSourceInstanceSettings, instance: () => DataSourceApi): HostTemplateSrv {
  const templateSrv = new HostTemplateSrv();
  setBackendSrv(fetchBackendSrv());
  setTemplateSrv(templateSrv);
  setDataSourceSrv(new HostDataSourceSrv(settings, instance));
  setGrafanaLiveSrv(hostLiveSrv());
  return templateSrv;
}
