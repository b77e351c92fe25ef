// A bundled dashboard opened through the plugin's own frontend code, as Grafana's dashboard
// would run it: template variables through the plugin's variable support, each panel's
// targets interpolated (applyTemplateVariables, inside DataSource.query) and dropped
// (filterQuery) as Grafana's query runner does, the backend through the host, the panel's
// transformations with @grafana/data's transformDataFrame and standard transformers, and
// `-- Dashboard --` panels answered from the referenced panel's results.
import {
  DataFrame,
  DataQuery,
  DataQueryResponse,
  DataSourceApi,
  DataTransformerConfig,
  FieldType,
  getFieldDisplayName,
  transformDataFrame,
} from '@grafana/data';
import { lastValueFrom, Observable, takeWhile, timeout } from 'rxjs';

import { panelRequest } from './request';
import { HostTemplateSrv, HostVariable } from './services';

type AnyQuery = DataQuery & Record<string, unknown>;

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: AnyQuery[];
  transformations?: DataTransformerConfig[];
  maxDataPoints?: number;
  fieldConfig?: {
    defaults?: { mappings?: unknown[] };
    overrides?: Array<{ matcher?: { id?: string; options?: unknown } }>;
  };
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  query?: unknown;
  current?: { value?: string | string[] } | null;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  options?: Array<{ value: string }>;
}

interface Dashboard {
  title: string;
  uid?: string;
  time?: { from?: string };
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

export type Verdict = 'pass' | 'fail' | 'not checkable';

export interface PanelReport {
  id: number;
  title: string;
  type: string;
  verdict: Verdict;
  reason: string;
  /** Rows and fields (display names with types) after the transformations. */
  frames: Array<{ rows: number; fields: string[] }>;
}

export interface DashboardReport {
  title: string;
  variables: Array<{ name: string; values: string[]; error?: string }>;
  panels: PanelReport[];
}

const DASHBOARD_DS = '-- Dashboard --';

/** Runs every panel of dashboard d; the report says per panel pass, fail (why) or not checkable (why). */
export async function runDashboard(
  d: unknown,
  ds: DataSourceApi<AnyQuery>,
  templateSrv: HostTemplateSrv
): Promise<DashboardReport> {
  const dash = d as Dashboard;
  const from = dash.time?.from ?? 'now-15m';
  const report: DashboardReport = { title: dash.title, variables: [], panels: [] };

  // Variables, in order: a later variable's query may use an earlier one.
  const vars: HostVariable[] = [];
  for (const v of dash.templating?.list ?? []) {
    const resolved = await resolveVariable(v, ds, from);
    report.variables.push({ name: v.name, values: resolved.values, error: resolved.error });
    vars.push({
      name: v.name,
      values: resolved.values,
      multi: Boolean(v.multi),
      includeAll: Boolean(v.includeAll),
      all: resolved.all,
      allValue: v.allValue,
    });
    templateSrv.setVariables(vars);
  }

  const panels = (dash.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  const raw = new Map<number, Promise<DataQueryResponse>>();
  const rawOf = (p: Panel): Promise<DataQueryResponse> => {
    let r = raw.get(p.id);
    if (!r) {
      r = queryPanel(p, ds, from, templateSrv);
      raw.set(p.id, r);
    }
    return r;
  };
  const byId = new Map(panels.map((p) => [p.id, p]));

  for (const p of panels) {
    if (p.type === 'row') {
      continue;
    }
    report.panels.push(await checkPanel(p, byId, rawOf, templateSrv));
  }
  return report;
}

async function checkPanel(
  p: Panel,
  byId: Map<number, Panel>,
  rawOf: (p: Panel) => Promise<DataQueryResponse>,
  templateSrv: HostTemplateSrv
): Promise<PanelReport> {
  const out: PanelReport = { id: p.id, title: p.title, type: p.type, verdict: 'fail', reason: '', frames: [] };
  const fit = FITS[p.type];
  if (!fit) {
    out.verdict = 'not checkable';
    out.reason = `panel type ${p.type} has no data check`;
    return out;
  }
  let res: DataQueryResponse;
  if (dsUid(p.datasource) === DASHBOARD_DS) {
    const source = byId.get(Number(p.targets?.[0]?.panelId));
    if (!source) {
      out.reason = `-- Dashboard -- refers to panel ${p.targets?.[0]?.panelId}, which the dashboard does not have`;
      return out;
    }
    res = await rawOf(source);
  } else {
    res = await rawOf(p);
  }
  const errors = [...(res.errors ?? []), ...(res.error ? [res.error] : [])].map((e) => e.message).filter(Boolean);
  if (errors.length > 0) {
    out.reason = `query error: ${errors.join('; ')}`;
    return out;
  }
  let frames: DataFrame[];
  try {
    frames = await lastValueFrom(
      transformDataFrame(p.transformations ?? [], res.data as DataFrame[], {
        interpolate: (v: string) => templateSrv.replace(v),
      })
    );
  } catch (e) {
    out.reason = `transformations failed: ${String((e as Error)?.message ?? e)}`;
    return out;
  }
  out.frames = frames.map((f) => ({
    rows: f.length,
    fields: f.fields.map((x) => `${getFieldDisplayName(x, f, frames)}:${x.type}`),
  }));
  const rows = frames.reduce((n, f) => n + f.length, 0);
  if (rows === 0) {
    const before = (res.data as DataFrame[]).reduce((n, f) => n + f.length, 0);
    out.reason =
      (p.transformations?.length ?? 0) > 0 && before > 0
        ? `no rows after the transformations (${before} before: ${p.transformations!.map((t) => t.id).join(', ')})`
        : 'no rows';
    return out;
  }
  const misfit = fit(frames, p);
  if (misfit) {
    out.reason = misfit;
    return out;
  }
  out.verdict = 'pass';
  out.reason = `${rows} rows`;
  // Overrides match a field by its display name, as Grafana's do; one that matches nothing
  // here is named (a series the demo state does not have, or a name that is wrong).
  const names = new Set(frames.flatMap((f) => f.fields.map((x) => getFieldDisplayName(x, f, frames))));
  const unmatched = (p.fieldConfig?.overrides ?? []).flatMap((o) =>
    o.matcher?.id === 'byName' && typeof o.matcher.options === 'string' && !names.has(o.matcher.options)
      ? [o.matcher.options]
      : []
  );
  if (unmatched.length > 0) {
    out.reason += `; overrides matching no field: ${unmatched.join(', ')}`;
  }
  return out;
}

/** What a panel type needs of its frames: undefined when they fit, else why not. */
const FITS: Record<string, (frames: DataFrame[], p: Panel) => string | undefined> = {
  stat: needs('a number', (f) => hasValue(f, FieldType.number)),
  gauge: needs('a number', (f) => hasValue(f, FieldType.number)),
  bargauge: needs('a number', (f) => hasValue(f, FieldType.number)),
  timeseries: needs('time and a number', (f) => hasValue(f, FieldType.time) && hasValue(f, FieldType.number)),
  // A number is a state too when value mappings name its values (the panel's or the field's).
  'state-timeline': needs(
    'time and a string, an enum or a number with value mappings',
    (f, p) =>
      hasValue(f, FieldType.time) &&
      (hasValue(f, FieldType.string) ||
        hasValue(f, FieldType.enum) ||
        f.fields.some(
          (x) =>
            x.type === FieldType.number &&
            ((x.config.mappings?.length ?? 0) > 0 || (p.fieldConfig?.defaults?.mappings?.length ?? 0) > 0)
        ))
  ),
  table: needs('fields', (f) => f.fields.length > 0),
};

function needs(what: string, ok: (f: DataFrame, p: Panel) => boolean) {
  return (frames: DataFrame[], p: Panel) =>
    frames.some((f) => f.length > 0 && ok(f, p))
      ? undefined
      : `no frame with rows has ${what} (${frames.map((f) => f.fields.map((x) => x.type).join('+')).join(', ')})`;
}

function hasValue(f: DataFrame, type: FieldType): boolean {
  return f.fields.some((x) => x.type === type && x.values.some((v) => v !== null && v !== undefined));
}

function dsUid(ref: Panel['datasource']): string | undefined {
  return typeof ref === 'string' ? ref : (ref?.uid ?? undefined);
}

/** A panel's targets through the data source, as Grafana's query runner sends them. */
async function queryPanel(
  p: Panel,
  ds: DataSourceApi<AnyQuery>,
  from: string,
  templateSrv: HostTemplateSrv
): Promise<DataQueryResponse> {
  const targets = (p.targets ?? []).filter((t) => (ds.filterQuery ? ds.filterQuery(t) : !t.hide));
  if (targets.length === 0) {
    return { data: [], errors: [{ message: 'every target was dropped by filterQuery (hidden or incomplete)' }] };
  }
  const request = panelRequest(targets, ds, { from, maxDataPoints: p.maxDataPoints });
  request.panelId = p.id;
  request.panelName = templateSrv.replace(p.title);
  return settle(ds.query(request) as Observable<DataQueryResponse>);
}

/**
 * The answer a panel shows: the last response of a query, or for a stream (Live) the first
 * one with rows or an error (at most 20 s).
 */
function settle(answers: Observable<DataQueryResponse>): Promise<DataQueryResponse> {
  const done = (r: DataQueryResponse) =>
    (r.errors?.length ?? 0) > 0 || Boolean(r.error) || (r.data as DataFrame[]).some((f) => f.length > 0);
  return lastValueFrom(
    answers.pipe(
      takeWhile((r) => !done(r), true),
      timeout(20_000)
    )
  );
}

/** A variable's values and whether All is selected, through the plugin's variable support. */
async function resolveVariable(
  v: Variable,
  ds: DataSourceApi<AnyQuery>,
  from: string
): Promise<{ values: string[]; all: boolean; error?: string }> {
  const saved = v.current?.value;
  const savedList = saved === undefined ? [] : Array.isArray(saved) ? saved : [saved];
  switch (v.type) {
    case 'datasource':
      return { values: [ds.uid], all: false };
    case 'constant':
    case 'textbox':
      return { values: [String(v.query ?? '')], all: false };
    case 'custom': {
      const values = String(v.query ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return select(values, savedList, v);
    }
    case 'query': {
      const support = ds.variables as { query?: (r: unknown) => Observable<DataQueryResponse> } | undefined;
      if (!support?.query) {
        return { values: [], all: false, error: 'the data source has no variable support' };
      }
      // Scenes hands a string query to the variable support as {refId, query}.
      const target = typeof v.query === 'string' ? { refId: 'variable-query', query: v.query } : (v.query as AnyQuery);
      const res = await lastValueFrom(support.query(panelRequest([target as AnyQuery], ds, { from })));
      const errors = [...(res.errors ?? []), ...(res.error ? [res.error] : [])].map((e) => e.message);
      if (errors.length > 0) {
        return { values: [], all: false, error: errors.join('; ') };
      }
      const values = (res.data as DataFrame[]).flatMap((f) => {
        const field =
          f.fields.find((x) => x.name === 'value') ?? f.fields.find((x) => x.name === 'text') ?? f.fields[0];
        return field ? field.values.map(String) : [];
      });
      return select([...new Set(values)], savedList, v);
    }
    default:
      return { values: savedList, all: false, error: `variable type ${v.type} is not resolved by the host` };
  }
}

/** The saved selection when still offered, All when saved as All, else the first value. */
function select(values: string[], saved: string[], v: Variable): { values: string[]; all: boolean; error?: string } {
  if (values.length === 0) {
    return { values: [], all: false, error: 'no values' };
  }
  if (v.includeAll && saved.includes('$__all')) {
    return { values, all: true };
  }
  const kept = saved.filter((s) => values.includes(s));
  if (kept.length > 0) {
    return { values: v.multi ? kept : [kept[0]], all: false };
  }
  return { values: [values[0]], all: false };
}
