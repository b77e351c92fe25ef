import { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';

import { DataSource, escapePromQLRegex, interpolatePromQLVariable } from './datasource';
import { DEFAULT_QUERY, GoPulseOptions, GoPulseQuery } from './types';

interface FakeVariable {
  name: string;
  value: string | string[];
  multi?: boolean;
  includeAll?: boolean;
}

/** A stand-in for Grafana's TemplateSrv: `$name` / `${name}`, scoped vars first, format functions. */
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

    it('lets other query types through to the backend (which answers them or says they are unsupported)', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'runtime', expr: '' })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'runtime', expr: '', hide: true })).toBe(false);
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
