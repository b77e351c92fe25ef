import { DataQueryRequest, DataSourceInstanceSettings, LiveChannelScope, ScopedVars } from '@grafana/data';
import {
  GrafanaLiveSrv,
  LiveDataStreamOptions,
  setGrafanaLiveSrv,
  setTemplateSrv,
  TemplateSrv,
} from '@grafana/runtime';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { lastValueFrom, of } from 'rxjs';

import {
  DataSource,
  escapePromQLRegex,
  interpolatePromQLVariable,
  interpolateRegexVariable,
  RESOURCE_TTL_MS,
} from './datasource';
import { DEFAULT_QUERY, GoPulseOptions, GoPulseQuery } from './types';
import { toVariableQuery } from './variables';

/** The bundled dashboards (plugin.json `includes`). */
const DASHBOARDS = join(__dirname, '..', 'dashboards');

interface FakeVariable {
  name: string;
  value: string | string[];
  multi?: boolean;
  includeAll?: boolean;
}

/** A stand-in for Grafana's TemplateSrv: `$name` / `${name}`, scoped vars first, format functions and `csv`. */
function fakeTemplateSrv(variables: FakeVariable[]): TemplateSrv {
  return {
    getVariables: () => [],
    containsTemplate: (t?: string) => /\$/.test(t ?? ''),
    updateTimeRange: () => {},
    replace(target?: string, scopedVars?: ScopedVars, format?: string | Function) {
      return (target ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced, plain) => {
        const name = braced ?? plain;
        const scoped = scopedVars?.[name];
        const variable = scoped ? { name, value: scoped.value } : variables.find((v) => v.name === name);
        if (!variable) {
          return match;
        }
        if (typeof format === 'function') {
          return format(variable.value, variable);
        }
        if (format === 'csv') {
          return ([] as string[]).concat(variable.value).join(',');
        }
        return Array.isArray(variable.value) ? `{${variable.value.join(',')}}` : String(variable.value);
      });
    },
  };
}

const settings = {
  id: 1,
  uid: 'gopulse',
  type: 'gopulse-health-datasource',
  name: 'GoPulse',
  jsonData: {},
  meta: {},
  access: 'proxy',
  readOnly: false,
} as unknown as DataSourceInstanceSettings<GoPulseOptions>;

const promql = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'promql',
  expr: 'up',
  ...over,
});

describe('DataSource', () => {
  const ds = new DataSource(settings);

  it('gives a promql range query as the default query', () => {
    expect(ds.getDefaultQuery('panel-editor' as never)).toEqual(DEFAULT_QUERY);
    expect(DEFAULT_QUERY).toEqual({ queryType: 'promql', expr: '', range: true, format: 'time_series' });
  });

  describe('filterQuery', () => {
    it('keeps a promql query with an expression', () => {
      expect(ds.filterQuery(promql())).toBe(true);
    });

    it('skips a promql query with an empty or blank expression', () => {
      expect(ds.filterQuery(promql({ expr: '' }))).toBe(false);
      expect(ds.filterQuery(promql({ expr: '  \n ' }))).toBe(false);
    });

    it('skips a saved query that has no queryType and no expr', () => {
      expect(ds.filterQuery({ refId: 'A' } as GoPulseQuery)).toBe(false);
    });

    it('skips a hidden query', () => {
      expect(ds.filterQuery(promql({ hide: true }))).toBe(false);
    });

    it('skips a runtime query without a signal and a business query without a metric', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'runtime', source: 'auto' })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'runtime', signal: 'goroutines' })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'runtime', signal: 'goroutines', hide: true })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'business', metric: ' ' })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'business', metric: 'http_requests_total' })).toBe(true);
    });

    it('skips a variable query that lacks what its kind needs', () => {
      const v = (variableQuery: GoPulseQuery['variableQuery']): GoPulseQuery => ({
        refId: 'A',
        queryType: 'variable',
        variableQuery,
      });
      expect(ds.filterQuery(v(undefined))).toBe(false);
      expect(ds.filterQuery(v({ kind: 'label_values' }))).toBe(false);
      expect(ds.filterQuery(v({ kind: 'label_values', label: 'job' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'query_result', expr: '' }))).toBe(false);
      expect(ds.filterQuery(v({ kind: 'query_result', expr: 'up' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'label_names' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'metric_names' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'alert_names' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'severities' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'rule_groups' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'expvar_targets' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'expvar_paths' }))).toBe(true);
      expect(ds.filterQuery(v({ kind: 'expvar_paths', label: 'demo', regex: '^memstats' }))).toBe(true);
    });

    it.each(readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')))(
      'sends every GoPulse variable query of the bundled dashboard %s',
      (file) => {
        const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8'));
        const variables: Array<{ name: string; type: string; datasource?: { type?: string }; query?: unknown }> =
          dashboard.templating?.list ?? [];
        const sent = variables
          .filter((v) => v.type === 'query' && v.datasource?.type === 'gopulse-health-datasource')
          .map((v) => [v.name, ds.filterQuery(toVariableQuery(v.query as GoPulseQuery))]);
        expect(sent).toEqual(sent.map(([name]) => [name, true]));
      }
    );

    it('keeps every alerts query that is not hidden (no filter lists all active alerts)', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'alerts' })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'alerts', source: 'prometheus', format: 'table' })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'alerts', hide: true })).toBe(false);
    });

    it('drops an expvar query without paths (the backend needs at least one); targets are optional', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'expvar' })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'expvar', mode: 'latest', paths: [] })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'expvar', paths: [' '], targets: ['demo'] })).toBe(false);
      expect(ds.filterQuery({ refId: 'A', queryType: 'expvar', mode: 'latest', paths: ['goroutines'] })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'expvar', paths: ['goroutines'], hide: true })).toBe(false);
    });

    it('lets the types without an editor yet through to the backend (which says they are unsupported)', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'health' })).toBe(true);
    });
  });

  describe('applyTemplateVariables', () => {
    beforeEach(() => {
      setTemplateSrv(
        fakeTemplateSrv([
          { name: 'job', value: 'api' },
          { name: 'instances', value: ['10.0.0.1:8080', 'web.local:8080'], multi: true },
          { name: 'range', value: '5m' },
        ])
      );
    });

    it('replaces variables in expr and legendFormat and keeps the other fields', () => {
      const out = ds.applyTemplateVariables(
        promql({
          expr: 'rate(http_requests_total{job="$job"}[${range}])',
          legendFormat: '{{instance}} $job',
          minStep: '15s',
          range: true,
        }),
        {}
      );
      expect(out).toEqual({
        refId: 'A',
        queryType: 'promql',
        expr: 'rate(http_requests_total{job="api"}[5m])',
        legendFormat: '{{instance}} api',
        minStep: '15s',
        range: true,
      });
    });

    it('turns a multi-value variable into an escaped regex alternation in expr', () => {
      const out = ds.applyTemplateVariables(promql({ expr: 'up{instance=~"$instances"}' }), {});
      expect(out.expr).toBe('up{instance=~"10\\\\.0\\\\.0\\\\.1:8080|web\\\\.local:8080"}');
    });

    it('prefers scoped vars (repeated panels) over dashboard variables', () => {
      const out = ds.applyTemplateVariables(promql({ expr: 'up{job="$job"}' }), {
        job: { text: 'web', value: 'web' },
      });
      expect(out.expr).toBe('up{job="web"}');
    });

    it('sets queryType promql on a saved query that has none', () => {
      const out = ds.applyTemplateVariables({ refId: 'A', expr: 'up' } as GoPulseQuery, {});
      expect(out.queryType).toBe('promql');
    });
  });
});

describe('DataSource.applyTemplateVariables (runtime, business, variable)', () => {
  const ds = new DataSource(settings);
  beforeEach(() => {
    setTemplateSrv(
      fakeTemplateSrv([
        { name: 'job', value: 'demo' },
        { name: 'instances', value: ['10.0.0.1:8080', 'web.local:8080'], multi: true },
        { name: 'paths', value: ['/api/a', '/api/b'], multi: true },
        { name: 'by', value: ['path', 'code'], multi: true },
        { name: 'metric', value: 'http_requests_total' },
      ])
    );
  });

  it('runtime: job as a single value, instance as a plain regex alternation', () => {
    const out = ds.applyTemplateVariables(
      {
        refId: 'A',
        queryType: 'runtime',
        signal: 'goroutines',
        job: '$job',
        instance: '$instances',
        legendFormat: '$job {{instance}}',
      },
      {}
    );
    expect(out).toEqual({
      refId: 'A',
      queryType: 'runtime',
      signal: 'goroutines',
      job: 'demo',
      instance: '10\\.0\\.0\\.1:8080|web\\.local:8080',
      legendFormat: 'demo {{instance}}',
    });
  });

  it('business: metric, PromQL matchers, and group-by labels from a multi-value variable', () => {
    const out = ds.applyTemplateVariables(
      {
        refId: 'A',
        queryType: 'business',
        metric: '$metric',
        matchers: 'path=~"$paths",job="$job"',
        groupBy: ['$by', 'instance'],
        quantiles: [0.5],
      },
      {}
    );
    expect(out).toEqual({
      refId: 'A',
      queryType: 'business',
      metric: 'http_requests_total',
      matchers: 'path=~"/api/a|/api/b",job="demo"',
      groupBy: ['path', 'code', 'instance'],
      quantiles: [0.5],
    });
  });

  it('alerts: PromQL matchers, severities from a multi-value variable; the rest as is', () => {
    setTemplateSrv(
      fakeTemplateSrv([
        { name: 'job', value: 'demo' },
        { name: 'instances', value: ['10.0.0.1:8080', 'web.local:8080'], multi: true },
        { name: 'severity', value: ['P0', 'critical'], multi: true },
      ])
    );
    const out = ds.applyTemplateVariables(
      {
        refId: 'A',
        queryType: 'alerts',
        source: 'prometheus',
        format: 'table',
        states: ['firing'],
        matchers: 'job="$job",instance=~"$instances"',
        severities: ['$severity', 'P2'],
      },
      {}
    );
    expect(out).toEqual({
      refId: 'A',
      queryType: 'alerts',
      source: 'prometheus',
      format: 'table',
      states: ['firing'],
      matchers: 'job="demo",instance=~"10\\\\.0\\\\.0\\\\.1:8080|web\\\\.local:8080"',
      severities: ['P0', 'critical', 'P2'],
    });
  });

  it('expvar: targets and paths from a multi-value variable become several entries; the rest as is', () => {
    setTemplateSrv(
      fakeTemplateSrv([
        { name: 'target', value: ['demo', 'worker'], multi: true },
        { name: 'area', value: 'memstats' },
        { name: 'metrics', value: ['HeapAlloc', 'Mallocs'], multi: true },
      ])
    );
    const out = ds.applyTemplateVariables(
      {
        refId: 'A',
        queryType: 'expvar',
        mode: 'history',
        targets: ['$target', 'api'],
        paths: ['$area.NumGC', 'business.$metrics', 'requests["a.example.com:443,b"]'],
      },
      {}
    );
    expect(out).toEqual({
      refId: 'A',
      queryType: 'expvar',
      mode: 'history',
      targets: ['demo', 'worker', 'api'],
      // One path per value; a path without a variable is kept whole, commas and all.
      paths: ['memstats.NumGC', 'business.HeapAlloc', 'business.Mallocs', 'requests["a.example.com:443,b"]'],
    });
  });

  it('expvar: a path with two multi-value variables gives every combination', () => {
    setTemplateSrv(
      fakeTemplateSrv([
        { name: 'area', value: ['memstats', 'business'], multi: true },
        { name: 'metrics', value: ['HeapAlloc', 'Mallocs'], multi: true },
      ])
    );
    const out = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'expvar', paths: ['${area}.$metrics', 'memstats.HeapAlloc'] },
      {}
    );
    expect(out.paths).toEqual(['memstats.HeapAlloc', 'memstats.Mallocs', 'business.HeapAlloc', 'business.Mallocs']);
  });

  it('variable: label, PromQL match and expr, plain regex', () => {
    const out = ds.applyTemplateVariables(
      {
        refId: 'variable',
        queryType: 'variable',
        variableQuery: {
          kind: 'label_values',
          label: 'instance',
          match: 'up{instance=~"$instances"}',
          regex: '$instances',
        },
      },
      {}
    );
    expect(out.variableQuery).toEqual({
      kind: 'label_values',
      label: 'instance',
      match: 'up{instance=~"10\\\\.0\\\\.0\\\\.1:8080|web\\\\.local:8080"}',
      regex: '10\\.0\\.0\\.1:8080|web\\.local:8080',
    });
  });
});

describe('DataSource resources', () => {
  function setup(answer: (path: string, params?: unknown) => unknown = () => []) {
    const ds = new DataSource(settings);
    const getResource = jest.spyOn(ds, 'getResource').mockImplementation(async (path, params) => answer(path, params));
    return { ds, getResource };
  }

  beforeEach(() => {
    setTemplateSrv(fakeTemplateSrv([{ name: 'job', value: 'demo' }]));
  });

  it('calls each resource with the documented path and parameters', async () => {
    const { ds, getResource } = setup();
    await ds.fetchLabelValues('job');
    await ds.fetchLabelValues('instance', '{job="demo"}');
    await ds.fetchLabelNames();
    await ds.fetchLabelNames('http_requests_total');
    await ds.fetchMetricNames();
    await ds.fetchMetricNames('go_.*');
    await ds.fetchMetadata();
    await ds.fetchMetadata('http_requests_total');
    await ds.fetchRuntimeCatalogue();
    await ds.fetchExpvarTargets();
    expect(getResource.mock.calls).toEqual([
      ['label-values', { label: 'job' }],
      ['label-values', { label: 'instance', 'match[]': '{job="demo"}' }],
      ['labels', {}],
      ['labels', { 'match[]': 'http_requests_total' }],
      ['metrics', {}],
      ['metrics', { match: 'go_.*' }],
      ['metadata', {}],
      ['metadata', { metric: 'http_requests_total' }],
      ['runtime-catalogue', {}],
      ['expvar-targets', {}],
    ]);
  });

  it('replaces dashboard variables in a series selector', async () => {
    const { ds, getResource } = setup();
    await ds.fetchLabelValues('instance', '{job="$job"}');
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'instance', 'match[]': '{job="demo"}' });
  });

  it('returns the answers, and an empty list for an answer that is not a list', async () => {
    const { ds } = setup((path) =>
      path === 'labels'
        ? ['job', 7, 'instance']
        : path === 'metadata'
          ? [{ metric: 'up', type: 'gauge', help: '', unit: '' }]
          : null
    );
    await expect(ds.fetchLabelNames()).resolves.toEqual(['job', 'instance']);
    await expect(ds.fetchMetadata()).resolves.toEqual([{ metric: 'up', type: 'gauge', help: '', unit: '' }]);
    await expect(ds.fetchRuntimeCatalogue()).resolves.toEqual([]);
    await expect(ds.fetchExpvarTargets()).resolves.toEqual([]);
    await expect(ds.fetchMetricNames()).resolves.toEqual([]);
  });

  it(`reuses an answer for ${RESOURCE_TTL_MS / 1000} s, then asks again`, async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const { ds, getResource } = setup(() => ['demo']);
    await ds.fetchLabelValues('job');
    await ds.fetchLabelValues('job');
    expect(getResource).toHaveBeenCalledTimes(1);
    await ds.fetchLabelValues('instance');
    expect(getResource).toHaveBeenCalledTimes(2);
    now.mockReturnValue(1_000_000 + RESOURCE_TTL_MS);
    await ds.fetchLabelValues('job');
    expect(getResource).toHaveBeenCalledTimes(3);
    now.mockRestore();
  });

  it('does not keep a failed call', async () => {
    let fail = true;
    const { ds, getResource } = setup(() => {
      if (fail) {
        throw new Error('down');
      }
      return ['demo'];
    });
    await expect(ds.fetchLabelValues('job')).rejects.toThrow('down');
    fail = false;
    await expect(ds.fetchLabelValues('job')).resolves.toEqual(['demo']);
    expect(getResource).toHaveBeenCalledTimes(2);
  });
});

describe('interpolateRegexVariable', () => {
  it('leaves a single value as is and makes a plain regex alternation of several', () => {
    expect(interpolateRegexVariable('a.b', { multi: false })).toBe('a.b');
    expect(interpolateRegexVariable(['a.b', 'c|d'], { multi: true })).toBe('a\\.b|c\\|d');
    expect(interpolateRegexVariable('x"y', { includeAll: true })).toBe('x"y');
  });
});

describe('interpolatePromQLVariable', () => {
  it('leaves a single value of a single-value variable as is', () => {
    expect(interpolatePromQLVariable('a.b', { multi: false })).toBe('a.b');
  });

  it('regex-escapes the values of a multi-value or include-All variable', () => {
    expect(interpolatePromQLVariable(['a.b', 'c|d'], { multi: true })).toBe('a\\\\.b|c\\\\|d');
    expect(interpolatePromQLVariable('a+b', { includeAll: true })).toBe('a\\\\+b');
  });

  it('escapes backslashes and double quotes so the PromQL string stays closed', () => {
    expect(escapePromQLRegex('a\\b')).toBe('a\\\\\\\\b');
    expect(escapePromQLRegex('say "hi"')).toBe('say \\"hi\\"');
  });
});

describe('DataSource.query (live expvar)', () => {
  it('subscribes a live expvar query to the expvar channel with its targets and paths', async () => {
    setTemplateSrv(fakeTemplateSrv([]));
    const streams: LiveDataStreamOptions[] = [];
    setGrafanaLiveSrv({
      getDataStream: (options: LiveDataStreamOptions) => {
        streams.push(options);
        return of({ data: [], key: options.key });
      },
    } as unknown as GrafanaLiveSrv);
    const ds = new DataSource(settings);
    const request = {
      requestId: 'Q1',
      scopedVars: {},
      targets: [{ refId: 'A', queryType: 'expvar', targets: ['demo'], paths: ['goroutines'], live: true }],
    } as unknown as DataQueryRequest<GoPulseQuery>;
    await lastValueFrom(ds.query(request));
    expect(streams).toEqual([
      {
        key: 'Q1-A',
        addr: {
          scope: LiveChannelScope.DataSource,
          stream: 'gopulse',
          path: 'expvar',
          data: { targets: ['demo'], paths: ['goroutines'], mode: 'latest' },
        },
      },
    ]);
  });
});
