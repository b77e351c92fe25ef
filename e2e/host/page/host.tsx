// The host page: loads the built plugin (dist/module.js) the way Grafana loads a plugin (an
// AMD module whose dependencies are Grafana's shared packages), boots @grafana/runtime's
// services around it and renders one of its editors with @grafana/ui's theme:
//
//   /?view=config                     the ConfigEditor, with Save & test
//   /?view=query                      the QueryEditor on a new query, with Run query
//   /?view=variable                   the VariableQueryEditor, with Run
//
// window.gopulseHost exposes the plugin and the dashboards runner to the browser tests.
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import {
  CoreApp,
  DataFrame,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePlugin,
  DataSourcePluginMeta,
  DataSourceSettings,
  LoadingState,
  PanelData,
  ThemeContext,
  createTheme,
  getDefaultTimeRange,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUI from '@grafana/ui';
import { Alert, Button, GlobalStyles, Stack } from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import { lastValueFrom } from 'rxjs';

import { DashboardReport, runDashboard } from './dashboards';
import { panelRequest } from './request';
import { HostTemplateSrv, installServices } from './services';

const PLUGIN_ID = 'gopulse-health-datasource';
const PLUGIN_BASE = `/public/plugins/${PLUGIN_ID}/`;

type AnyQuery = grafanaData.DataQuery & Record<string, unknown>;
type Plugin = DataSourcePlugin<DataSourceApi<AnyQuery>, AnyQuery>;

/** The shared modules Grafana gives a plugin's AMD module (the plugin's webpack externals). */
const SHARED: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUI,
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  rxjs,
};

/** Loads module.js as Grafana's SystemJS-AMD loader does and returns its `plugin` export. */
function loadPlugin(): Promise<Plugin> {
  return new Promise((resolve, reject) => {
    const w = window as unknown as { define?: ((deps: string[], factory: Function) => void) & { amd?: object } };
    const define = (deps: string[], factory: Function) => {
      try {
        const missing = deps.filter((d) => d !== 'module' && !(d in SHARED));
        if (missing.length > 0) {
          throw new Error(`module.js needs modules the host does not share: ${missing.join(', ')}`);
        }
        const args = deps.map((d) => (d === 'module' ? { uri: `${PLUGIN_BASE}module.js` } : SHARED[d]));
        const exports = factory(...args) as { plugin?: Plugin };
        if (!exports?.plugin) {
          throw new Error('module.js exports no plugin');
        }
        resolve(exports.plugin);
      } catch (e) {
        reject(e);
      }
    };
    define.amd = {};
    w.define = define;
    const script = document.createElement('script');
    script.src = `${PLUGIN_BASE}module.js`;
    script.onerror = () => reject(new Error('module.js did not load'));
    document.head.appendChild(script);
  });
}

async function getJSON<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return res.json();
}

/** The data source's settings and the plugin's meta, as Grafana's boot data holds them. */
async function loadSettings(uid: string): Promise<{ settings: DataSourceSettings; meta: DataSourcePluginMeta }> {
  const [settings, meta] = await Promise.all([
    getJSON<DataSourceSettings>(`/api/datasources/uid/${encodeURIComponent(uid)}`),
    getJSON<DataSourcePluginMeta>(`${PLUGIN_BASE}plugin.json`),
  ]);
  meta.baseUrl = PLUGIN_BASE.replace(/\/$/, '');
  meta.module = `${PLUGIN_BASE}module.js`;
  return { settings, meta };
}

function instanceSettings(s: DataSourceSettings, meta: DataSourcePluginMeta): DataSourceInstanceSettings {
  return {
    id: s.id,
    uid: s.uid,
    type: s.type,
    name: s.name,
    meta,
    url: s.url,
    jsonData: s.jsonData,
    access: 'proxy',
    readOnly: false,
    isDefault: true,
  };
}

/** A query's answer as the page shows it and the browser tests read it. */
export interface RunSummary {
  state: 'Done' | 'Error';
  errors: string[];
  frames: Array<{ name?: string; refId?: string; rows: number; fields: Array<{ name: string; type: string }> }>;
  /** The values of `text` fields (a variable query's options). */
  values: string[];
}

export function summarize(res: DataQueryResponse): RunSummary {
  const frames = (res.data as DataFrame[]).map((f) => ({
    name: f.name,
    refId: f.refId,
    rows: f.length,
    fields: f.fields.map((x) => ({ name: x.name, type: x.type })),
  }));
  const errors = [...(res.errors ?? []), ...(res.error ? [res.error] : [])]
    .map((e) => e.message ?? '')
    .filter((m, i, all) => m !== '' && all.indexOf(m) === i);
  const values = (res.data as DataFrame[]).flatMap((f) =>
    f.fields.filter((x) => x.name === 'text').flatMap((x) => x.values.map(String))
  );
  return { state: errors.length > 0 ? 'Error' : 'Done', errors, frames, values };
}

/** Runs queries as Grafana's query runner does: hidden or incomplete ones are dropped (filterQuery). */
export async function runQueries(ds: DataSourceApi<AnyQuery>, targets: AnyQuery[]): Promise<DataQueryResponse> {
  const kept = targets.filter((t) => (ds.filterQuery ? ds.filterQuery(t) : !t.hide));
  if (kept.length === 0) {
    return { data: [] };
  }
  return lastValueFrom(ds.query(panelRequest(kept, ds)) as rxjs.Observable<DataQueryResponse>);
}

function ResultView({ summary }: { summary?: RunSummary }) {
  if (!summary) {
    return null;
  }
  return (
    <div data-testid="host-result" data-state={summary.state}>
      {summary.errors.map((e) => (
        <Alert key={e} severity="error" title="Query error">
          {e}
        </Alert>
      ))}
      <pre data-testid="host-result-json">{JSON.stringify(summary, null, 1)}</pre>
    </div>
  );
}

function panelData(res: DataQueryResponse | undefined): PanelData | undefined {
  if (!res) {
    return undefined;
  }
  return {
    state: res.errors?.length || res.error ? LoadingState.Error : LoadingState.Done,
    series: res.data as DataFrame[],
    errors: res.errors ?? (res.error ? [res.error] : undefined),
    timeRange: getDefaultTimeRange(),
  };
}

/**
 * An editor on one query, with a Run button, as a query row of Grafana's panel editor: a run
 * right after a change runs the changed query; an answer to an older run than the last one
 * started is dropped (Grafana cancels it). `data-started`/`data-shown` on host-result say
 * which run is shown.
 */
function EditorRow({
  initial,
  execute,
  editor,
}: {
  initial: AnyQuery;
  execute: (q: AnyQuery) => Promise<DataQueryResponse>;
  editor: (props: {
    query: AnyQuery;
    onChange: (q: AnyQuery) => void;
    onRunQuery: () => void;
    data?: PanelData;
  }) => React.ReactNode;
}) {
  const [query, setQuery] = React.useState<AnyQuery>(initial);
  const [started, setStarted] = React.useState(0);
  const [shown, setShown] = React.useState<{ n: number; res: DataQueryResponse }>();
  const latest = React.useRef(query);
  const runs = React.useRef(0);
  const run = React.useCallback(() => {
    const n = ++runs.current;
    setStarted(n);
    const show = (res: DataQueryResponse) => n === runs.current && setShown({ n, res });
    execute(latest.current).then(show, (e) => show({ data: [], errors: [{ message: String(e?.message ?? e) }] }));
  }, [execute]);
  const onChange = (q: AnyQuery) => {
    latest.current = q;
    setQuery(q);
  };
  // Run leaves the editor first: fields written on blur reach the query before it runs.
  const runClicked = () => {
    (document.activeElement as HTMLElement | null)?.blur();
    setTimeout(run, 50);
  };
  return (
    <Stack direction="column" gap={2}>
      <div data-testid="host-editor">{editor({ query, onChange, onRunQuery: run, data: panelData(shown?.res) })}</div>
      <Stack>
        <Button data-testid="host-run" onClick={runClicked}>
          Run query
        </Button>
      </Stack>
      <pre data-testid="host-query">{JSON.stringify(query)}</pre>
      <div data-testid="host-status" data-started={started} data-shown={shown?.n ?? 0}>
        <ResultView summary={shown ? summarize(shown.res) : undefined} />
      </div>
    </Stack>
  );
}

/** A new query, as Grafana starts one: the data source's default query. */
function QueryView({ plugin, ds }: { plugin: Plugin; ds: DataSourceApi<AnyQuery> }) {
  const Editor = plugin.components.QueryEditor!;
  const execute = React.useCallback((q: AnyQuery) => runQueries(ds, [q]), [ds]);
  return (
    <EditorRow
      initial={{ refId: 'A', ...(ds.getDefaultQuery?.(CoreApp.PanelEditor) ?? {}) }}
      execute={execute}
      editor={(props) => <Editor datasource={ds} app={CoreApp.PanelEditor} range={getDefaultTimeRange()} {...props} />}
    />
  );
}

/** The variable editor of the data source's custom variable support, run as Grafana runs a query variable. */
function VariableView({ ds }: { ds: DataSourceApi<AnyQuery> }) {
  const support = ds.variables as grafanaData.CustomVariableSupport<DataSourceApi<AnyQuery>, AnyQuery> | undefined;
  const execute = React.useCallback(
    (q: AnyQuery) => lastValueFrom(support!.query(panelRequest([q], ds)) as rxjs.Observable<DataQueryResponse>),
    [support, ds]
  );
  if (!support?.editor) {
    return <Alert title="The data source has no custom variable support" />;
  }
  const Editor = support.editor as React.ComponentType<grafanaData.QueryEditorProps<DataSourceApi<AnyQuery>, AnyQuery>>;
  return (
    <EditorRow
      initial={{ refId: 'variable', ...(support.getDefaultQuery?.() ?? {}) } as AnyQuery}
      execute={execute}
      editor={({ query, onChange, onRunQuery }) => (
        <Editor datasource={ds} query={query} onChange={onChange} onRunQuery={onRunQuery} />
      )}
    />
  );
}

function ConfigView({
  plugin,
  initial,
  meta,
}: {
  plugin: Plugin;
  initial: DataSourceSettings;
  meta: DataSourcePluginMeta;
}) {
  const Editor = plugin.components.ConfigEditor!;
  const [options, setOptions] = React.useState<DataSourceSettings>(initial);
  const [result, setResult] = React.useState<{ status: string; message: string }>();
  const saveAndTest = async () => {
    setResult(undefined);
    try {
      const saved = await grafanaRuntime
        .getBackendSrv()
        .put<{ datasource: DataSourceSettings }>(`/api/datasources/uid/${options.uid}`, options);
      setOptions({ ...saved.datasource, secureJsonData: {} });
      // As Grafana does after saving: a data source instance of the saved settings runs the test.
      const ds = new plugin.DataSourceClass(instanceSettings(saved.datasource, meta));
      const r = await ds.testDatasource();
      setResult({ status: r.status, message: r.message });
    } catch (e) {
      const err = e as { message?: string; data?: { message?: string } };
      setResult({ status: 'error', message: err.data?.message ?? err.message ?? String(e) });
    }
  };
  return (
    <Stack direction="column" gap={2}>
      <div data-testid="host-editor">
        <Editor options={options} onOptionsChange={setOptions} />
      </div>
      <Stack>
        <Button data-testid="data-testid Data source settings page Save and Test button" onClick={saveAndTest}>
          Save &amp; test
        </Button>
      </Stack>
      {result && (
        <div data-testid="host-test-result" data-status={result.status}>
          <Alert severity={result.status === 'success' ? 'success' : 'error'} title={result.message} />
        </div>
      )}
    </Stack>
  );
}

export interface HostApi {
  plugin: Plugin;
  datasource: DataSourceApi<AnyQuery>;
  templateSrv: HostTemplateSrv;
  runDashboard: (dashboard: unknown) => Promise<DashboardReport>;
}

async function boot() {
  const params = new URLSearchParams(window.location.search);
  const uid = params.get('uid') ?? '';
  const view = params.get('view') ?? 'query';
  const root = createRoot(document.getElementById('root')!);
  const theme = createTheme({ colors: { mode: params.get('theme') === 'light' ? 'light' : 'dark' } });
  const render = (node: React.ReactNode) =>
    root.render(
      <ThemeContext.Provider value={theme}>
        <GlobalStyles />
        <div style={{ padding: 16, maxWidth: 1100 }}>{node}</div>
      </ThemeContext.Provider>
    );
  try {
    // The registry Grafana builds at boot from @grafana/data's standard transformers
    // (some are exported under two names: one entry per id).
    const transformers = new Map(Object.values(grafanaData.standardTransformers).map((t) => [t.id, t]));
    grafanaData.standardTransformersRegistry.setInit(() =>
      [...transformers.values()].map((t) => ({
        id: t.id,
        name: t.name,
        description: t.description,
        transformation: () => Promise.resolve(t),
        defaultOptions: t.defaultOptions,
        editor: () => null,
        imageDark: '',
        imageLight: '',
      }))
    );
    const [{ settings, meta }, plugin] = await Promise.all([loadSettings(uid), loadPlugin()]);
    plugin.meta = meta;
    const ds = new plugin.DataSourceClass(instanceSettings(settings, meta));
    const templateSrv = installServices(instanceSettings(settings, meta), () => ds as unknown as DataSourceApi);
    const api: HostApi = { plugin, datasource: ds, templateSrv, runDashboard: (d) => runDashboard(d, ds, templateSrv) };
    (window as unknown as { gopulseHost: HostApi }).gopulseHost = api;
    switch (view) {
      case 'config':
        render(<ConfigView plugin={plugin} initial={{ ...settings, secureJsonData: {} }} meta={meta} />);
        break;
      case 'variable':
        render(<VariableView ds={ds} />);
        break;
      case 'none':
        render(<div data-testid="host-ready" />);
        break;
      default:
        render(<QueryView plugin={plugin} ds={ds} />);
    }
    document.body.dataset.hostReady = 'true';
  } catch (e) {
    render(
      <Alert severity="error" title="The host could not load the plugin">
        {String((e as Error)?.stack ?? e)}
      </Alert>
    );
    document.body.dataset.hostError = String((e as Error)?.message ?? e);
  }
}

boot();
