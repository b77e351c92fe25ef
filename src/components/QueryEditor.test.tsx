import React from 'react';
import { screen, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { mockDataSource, paste, pick, renderEditor } from '../test/utils';
import { DEFAULT_QUERY, GoPulseQuery } from '../types';
import type { PromQLCodeEditorProps } from './promql/PromQLCodeEditor';
import { QueryEditor, switchQueryType } from './QueryEditor';

// The CodeMirror field is tested on its own (promql/PromQLCodeEditor.test.tsx). Here it is
// replaced by a textarea that talks through the same props: what it writes is what the
// editor saves.
jest.mock('./promql/PromQLCodeEditor', () => ({
  __esModule: true,
  default: function PromQLCodeEditorSeam(props: PromQLCodeEditorProps) {
    return (
      <textarea
        data-testid="promql-seam"
        aria-label={props.ariaLabel}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onBlur={props.onBlur}
        onKeyDown={(e) => e.key === 'Enter' && e.shiftKey && props.onRunQuery()}
      />
    );
  },
}));

/** Renders the query editor; for a promql query, waits for the (lazy) expression field. */
async function setup(initial: GoPulseQuery) {
  const { ds, getResource } = mockDataSource();
  const r = await renderEditor(QueryEditor, initial, ds);
  if ((initial.queryType ?? 'promql') === 'promql') {
    await screen.findByTestId('promql-seam');
  }
  return { ...r, ds, getResource };
}

const newQuery = (): GoPulseQuery => ({ refId: 'A', ...DEFAULT_QUERY }) as GoPulseQuery;

describe('QueryEditor (promql)', () => {
  it('writes the typed expression into expr and runs the query on blur', async () => {
    const { user, onRunQuery, lastQuery } = await setup(newQuery());
    await user.type(screen.getByLabelText('Expression'), 'sum(go_goroutines)');
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'promql',
      expr: 'sum(go_goroutines)',
      range: true,
      format: 'time_series',
    });
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('gives the expression field the data source for autocomplete', async () => {
    // The seam's props are what the CodeMirror field gets.
    const { ds } = await setup(newQuery());
    expect(ds).toBeDefined();
    expect(screen.getByTestId('promql-seam')).toHaveAttribute('aria-label', 'Expression');
  });

  it('writes the legend into legendFormat', async () => {
    const { user, lastQuery } = await setup({ ...newQuery(), expr: 'up' });
    // user-event treats { as a key descriptor: {{ types one literal brace.
    await user.type(screen.getByLabelText('Legend'), '{{{{instance}} / {{{{job}}');
    expect(lastQuery().legendFormat).toBe('{{instance}} / {{job}}');
    expect(lastQuery().expr).toBe('up');
  });

  it('writes minStep and shows no error for a valid duration', async () => {
    const { user, onRunQuery, lastQuery } = await setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), '1m30s');
    expect(lastQuery().minStep).toBe('1m30s');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('writes minStep "abc", shows an inline error and does not run the query on blur', async () => {
    const { user, onRunQuery, lastQuery } = await setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), 'abc');
    expect(lastQuery().minStep).toBe('abc');
    expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('accepts a number of seconds as min step', async () => {
    const { user, lastQuery } = await setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), '30');
    expect(lastQuery().minStep).toBe('30');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
  });

  it('adds queryType promql to a saved query that had none', async () => {
    const { user, lastQuery } = await setup({ refId: 'B', expr: 'up' } as GoPulseQuery);
    await user.type(screen.getByLabelText('Expression'), ' > 0');
    expect(lastQuery()).toEqual({ refId: 'B', queryType: 'promql', expr: 'up > 0' });
  });

  it.each([
    ['Table', 'table'],
    ['Heatmap', 'heatmap'],
    ['Time series', 'time_series'],
  ])('writes format %s as %p and runs the query', async (label, format) => {
    const start = format === 'time_series' ? 'table' : 'time_series';
    const { user, lastQuery, onRunQuery } = await setup({ ...newQuery(), expr: 'up', format: start as 'table' });
    await pick(user, 'Format', label);
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'promql', expr: 'up', range: true, format });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('shows a new query as a range query and writes range and instant for each type', async () => {
    const { user, lastQuery, onRunQuery } = await setup({ ...newQuery(), expr: 'up' });
    expect(screen.getByRole('radio', { name: 'Range' })).toBeChecked();

    await user.click(screen.getByRole('radio', { name: 'Instant' }));
    expect(lastQuery()).toMatchObject({ range: false, instant: true });
    await user.click(screen.getByRole('radio', { name: 'Both' }));
    expect(lastQuery()).toMatchObject({ range: true, instant: true });
    await user.click(screen.getByRole('radio', { name: 'Range' }));
    expect(lastQuery()).toMatchObject({ range: true, instant: false });
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('shows a saved instant query as Instant', async () => {
    await setup({ ...newQuery(), expr: 'up', range: false, instant: true });
    expect(screen.getByRole('radio', { name: 'Instant' })).toBeChecked();
  });

  it('writes the promql query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup(newQuery());
    await paste(user, 'Expression', 'sum by (job) (rate(http_requests_total{job="demo"}[$__rate_interval]))');
    await paste(user, 'Legend', '{{job}}');
    await paste(user, 'Min step', '15s');
    await pick(user, 'Format', 'Table');
    await user.click(screen.getByRole('radio', { name: 'Both' }));
    expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'promql'));
  });
});

describe('QueryEditor (query type picker)', () => {
  it('offers every query type, all enabled', async () => {
    await setup(newQuery());
    expect(screen.getByRole('radio', { name: 'PromQL' })).toBeChecked();
    for (const name of ['PromQL', 'Go runtime', 'Business', 'Expvar', 'Alerts', 'Health']) {
      expect(screen.getByRole('radio', { name })).toBeEnabled();
    }
  });

  it('switches a new promql query to runtime: runtime defaults, no untouched promql fields', async () => {
    const { user, onRunQuery, lastQuery } = await setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Go runtime' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'runtime', source: 'auto' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(await screen.findByLabelText('Signal')).toBeInTheDocument();
  });

  it('switches to business with aggregation sum and shows the business editor', async () => {
    const { user, lastQuery } = await setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Business' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'business', aggregation: 'sum' });
    expect(await screen.findByLabelText('Metric')).toBeInTheDocument();
  });

  it('switches to expvar with mode latest and the goroutines path and shows the expvar editor', async () => {
    const { user, lastQuery, onRunQuery } = await setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Expvar' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'expvar', mode: 'latest', paths: ['goroutines'] });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(await screen.findByLabelText('Paths')).toBeInTheDocument();
  });

  it('routes a saved expvar query to the expvar editor, whose changes keep queryType expvar', async () => {
    const { user, lastQuery } = await setup({ refId: 'A', queryType: 'expvar', paths: ['goroutines'] });
    await user.click(await screen.findByRole('radio', { name: 'History' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'expvar', paths: ['goroutines'], mode: 'history' });
  });

  it('switches to alerts with source prometheus and format table and shows the alerts editor', async () => {
    const { user, onRunQuery, lastQuery } = await setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Alerts' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'alerts', source: 'prometheus', format: 'table' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(await screen.findByLabelText('Matchers')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Firing' })).toBeChecked();
    expect(screen.queryByLabelText('Expression')).not.toBeInTheDocument();
  });

  it('routes a saved alerts query to the alerts editor, whose changes keep queryType alerts', async () => {
    const { user, lastQuery } = await setup({ refId: 'A', queryType: 'alerts', source: 'prometheus', format: 'table' });
    expect(screen.getByRole('radio', { name: 'Alerts' })).toBeChecked();
    await user.click(screen.getByRole('checkbox', { name: 'Pending' }));
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'alerts',
      source: 'prometheus',
      format: 'table',
      states: ['firing'],
    });
  });

  it('switches from alerts back to promql without the alerts defaults', async () => {
    const { user, lastQuery } = await setup({ refId: 'A', queryType: 'alerts', source: 'prometheus', format: 'table' });
    await user.click(screen.getByRole('radio', { name: 'PromQL' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'promql', expr: '', range: true, format: 'time_series' });
  });

  it('keeps an expression the user wrote when switching away, and restores it when switching back', async () => {
    const { user, lastQuery } = await setup({ ...newQuery(), expr: 'up' });
    await user.click(screen.getByRole('radio', { name: 'Go runtime' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'runtime', expr: 'up', source: 'auto' });
    await user.click(screen.getByRole('radio', { name: 'PromQL' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'promql', expr: 'up', range: true, format: 'time_series' });
    expect(await screen.findByTestId('promql-seam')).toHaveValue('up');
  });

  it('switches to health with format table and shows the health editor', async () => {
    const { user, onRunQuery, lastQuery } = await setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Health' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', format: 'table' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(await screen.findByLabelText('Critical alerts')).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Numeric (alert rules)' })).toBeInTheDocument();
    expect(screen.queryByLabelText('Expression')).not.toBeInTheDocument();
  });

  it('routes a saved health query to the health editor, whose changes keep queryType health', async () => {
    const { user, lastQuery } = await setup({ refId: 'A', queryType: 'health', job: 'demo' });
    expect(screen.getByRole('radio', { name: 'Health' })).toBeChecked();
    await user.click(await screen.findByRole('radio', { name: 'Numeric (alert rules)' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', job: 'demo', format: 'numeric' });
  });

  it('switches from health back to promql without the health defaults, keeping the scope', async () => {
    const { user, lastQuery } = await setup({ refId: 'A', queryType: 'health', format: 'table', job: 'demo' });
    await user.click(screen.getByRole('radio', { name: 'PromQL' }));
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'promql',
      job: 'demo',
      expr: '',
      range: true,
      format: 'time_series',
    });
  });

  it('tells a variable query apart from the panel query types', async () => {
    await setup({ refId: 'A', queryType: 'variable', variableQuery: { kind: 'label_names' } });
    expect(screen.getByText('This is a template variable query')).toBeInTheDocument();
    const picker = screen.getByRole('radiogroup');
    expect(within(picker).queryByRole('radio', { name: 'Variable' })).not.toBeInTheDocument();
  });

  it('says so for a query type GoPulse does not know, without editing it', async () => {
    const { onChange } = await setup({ refId: 'A', queryType: 'traces' as GoPulseQuery['queryType'] });
    expect(screen.getByText('Unknown query type "traces"')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });
});

describe('switchQueryType', () => {
  it('keeps set fields of every type and drops the defaults of the old one', () => {
    const q: GoPulseQuery = { refId: 'A', queryType: 'runtime', source: 'auto', signal: 'goroutines', job: 'demo' };
    expect(switchQueryType(q, 'business')).toEqual({
      refId: 'A',
      queryType: 'business',
      signal: 'goroutines',
      job: 'demo',
      aggregation: 'sum',
    });
  });

  it('drops the untouched expvar defaults when switching away, and keeps paths the user chose', () => {
    expect(
      switchQueryType({ refId: 'A', queryType: 'expvar', mode: 'latest', paths: ['goroutines'] }, 'promql')
    ).toEqual({ refId: 'A', queryType: 'promql', expr: '', range: true, format: 'time_series' });
    expect(
      switchQueryType(
        { refId: 'A', queryType: 'expvar', mode: 'history', paths: ['memstats.HeapAlloc'], targets: ['demo'] },
        'runtime'
      )
    ).toEqual({
      refId: 'A',
      queryType: 'runtime',
      mode: 'history',
      paths: ['memstats.HeapAlloc'],
      targets: ['demo'],
      source: 'auto',
    });
  });

  it('gives alerts its own source and format when the kept ones are not alerts values', () => {
    expect(switchQueryType({ refId: 'A', queryType: 'runtime', source: 'expvar' }, 'alerts')).toEqual({
      refId: 'A',
      queryType: 'alerts',
      source: 'prometheus',
      format: 'table',
    });
    expect(switchQueryType({ refId: 'A', queryType: 'promql', expr: 'up', format: 'heatmap' }, 'alerts')).toEqual({
      refId: 'A',
      queryType: 'alerts',
      expr: 'up',
      source: 'prometheus',
      format: 'table',
    });
  });

  it('keeps business matchers for alerts, and alerts fields for business', () => {
    const alerts = switchQueryType({ refId: 'A', queryType: 'business', matchers: 'job="demo"' }, 'alerts');
    expect(alerts).toEqual({
      refId: 'A',
      queryType: 'alerts',
      matchers: 'job="demo"',
      source: 'prometheus',
      format: 'table',
    });
    expect(switchQueryType({ ...alerts, states: ['firing'] }, 'business')).toEqual({
      refId: 'A',
      queryType: 'business',
      matchers: 'job="demo"',
      states: ['firing'],
      aggregation: 'sum',
    });
  });

  it('gives health its own format when the kept one is not a health format', () => {
    expect(switchQueryType({ refId: 'A', queryType: 'promql', expr: 'up', format: 'heatmap' }, 'health')).toEqual({
      refId: 'A',
      queryType: 'health',
      expr: 'up',
      format: 'table',
    });
    expect(
      switchQueryType({ refId: 'A', queryType: 'alerts', source: 'prometheus', format: 'counts' }, 'health')
    ).toEqual({ refId: 'A', queryType: 'health', format: 'table' });
  });

  it('keeps a non-default source and format', () => {
    expect(switchQueryType({ refId: 'A', queryType: 'runtime', source: 'expvar' }, 'promql')).toEqual({
      refId: 'A',
      queryType: 'promql',
      source: 'expvar',
      expr: '',
      range: true,
      format: 'time_series',
    });
  });
});
