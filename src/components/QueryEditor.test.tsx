import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { DataSource } from '../datasource';
import { DEFAULT_QUERY, GoPulseQuery } from '../types';
import { QueryEditor } from './QueryEditor';

/** Renders the editor the way Grafana does: a controlled query that follows every onChange. */
function setup(initial: GoPulseQuery) {
  const onChange = jest.fn<void, [GoPulseQuery]>();
  const onRunQuery = jest.fn();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        datasource={{} as DataSource}
        query={query}
        onChange={(q) => {
          onChange(q);
          setQuery(q);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  render(<Harness />);
  const lastQuery = () => onChange.mock.calls[onChange.mock.calls.length - 1][0];
  return { user: userEvent.setup(), onChange, onRunQuery, lastQuery };
}

const newQuery = (): GoPulseQuery => ({ refId: 'A', ...DEFAULT_QUERY }) as GoPulseQuery;

describe('QueryEditor (promql)', () => {
  it('writes the typed expression into expr and runs the query on blur', async () => {
    const { user, onRunQuery, lastQuery } = setup(newQuery());
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

  it('writes the legend into legendFormat', async () => {
    const { user, lastQuery } = setup({ ...newQuery(), expr: 'up' });
    // user-event treats { as a key descriptor: {{ types one literal brace.
    await user.type(screen.getByLabelText('Legend'), '{{{{instance}} / {{{{job}}');
    expect(lastQuery().legendFormat).toBe('{{instance}} / {{job}}');
    expect(lastQuery().expr).toBe('up');
  });

  it('writes minStep and shows no error for a valid duration', async () => {
    const { user, onRunQuery, lastQuery } = setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), '1m30s');
    expect(lastQuery().minStep).toBe('1m30s');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('writes minStep "abc", shows an inline error and does not run the query on blur', async () => {
    const { user, onRunQuery, lastQuery } = setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), 'abc');
    expect(lastQuery().minStep).toBe('abc');
    expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('accepts a number of seconds as min step', async () => {
    const { user, lastQuery } = setup({ ...newQuery(), expr: 'up' });
    await user.type(screen.getByLabelText('Min step'), '30');
    expect(lastQuery().minStep).toBe('30');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
  });

  it('adds queryType promql to a saved query that had none', async () => {
    const { user, lastQuery } = setup({ refId: 'B', expr: 'up' } as GoPulseQuery);
    await user.type(screen.getByLabelText('Expression'), ' > 0');
    expect(lastQuery()).toEqual({ refId: 'B', queryType: 'promql', expr: 'up > 0' });
  });
});

describe('QueryEditor (query type picker)', () => {
  it('offers every query type and only PromQL is enabled', () => {
    setup(newQuery());
    expect(screen.getByRole('radio', { name: 'PromQL' })).toBeEnabled();
    expect(screen.getByRole('radio', { name: 'PromQL' })).toBeChecked();
    for (const name of ['Go runtime', 'Business', 'Expvar', 'Alerts', 'Health']) {
      expect(screen.getByRole('radio', { name })).toBeDisabled();
    }
  });

  it('writes queryType promql when switching a query of an unavailable type', async () => {
    const { user, onRunQuery, lastQuery } = setup({ refId: 'A', queryType: 'runtime', expr: '' });
    expect(screen.getByText('Go runtime queries are not available yet')).toBeInTheDocument();
    expect(screen.queryByLabelText('Expression')).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'PromQL' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'promql', expr: '' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText('Expression')).toBeInTheDocument();
  });

  it('does not switch to a type that has no editor yet', async () => {
    const { user, onChange } = setup(newQuery());
    await user.click(screen.getByRole('radio', { name: 'Health' }));
    expect(onChange).not.toHaveBeenCalled();
  });
});
