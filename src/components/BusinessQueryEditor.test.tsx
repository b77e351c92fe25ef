import { screen, waitFor, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import {
  METADATA,
  mockDataSource,
  openList,
  optionsOf,
  paste,
  pick,
  RESOURCES,
  renderEditor,
  settle,
} from '../test/utils';
import { GoPulseQuery } from '../types';
import { BusinessQueryEditor, groupBySelector, metricOptions, withMetric } from './BusinessQueryEditor';

const businessQuery = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'business',
  aggregation: 'sum',
  ...over,
});

async function setup(initial: GoPulseQuery = businessQuery(), resources = RESOURCES) {
  const { ds, getResource } = mockDataSource(resources);
  return { ...(await renderEditor(BusinessQueryEditor, initial, ds)), getResource };
}

/** Types a value into a multi-value picker and takes it as a custom value. */
async function typeCustom(user: Awaited<ReturnType<typeof setup>>['user'], label: string, text: string) {
  // Start from a closed list (clicking into an open one closes it) and an empty input.
  if (screen.queryByRole('listbox')) {
    await user.keyboard('{Escape}');
  }
  await user.clear(screen.getByLabelText(label));
  await user.type(screen.getByLabelText(label), text);
  await settle();
  await user.click(await screen.findByRole('option', { name: new RegExp(`^${text.replace('.', '\\.')}`) }));
  await settle();
}

describe('BusinessQueryEditor', () => {
  it('offers the metrics of the metadata resource with their type and help, once each', async () => {
    const { user, getResource } = await setup();
    const list = await openList(user, 'Metric');
    expect(getResource).toHaveBeenCalledWith('metadata', {});
    expect(within(list).getAllByText('cart_items')).toHaveLength(1);
    expect(within(list).getByText('histogram: HTTP request latency.')).toBeInTheDocument();
    expect(within(list).getByText('counter: HTTP requests by path and code.')).toBeInTheDocument();
  });

  it('picking a histogram writes metric and the default quantiles 0.5, 0.9, 0.99', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    await pick(user, 'Metric', 'http_request_duration_seconds');
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'business',
      aggregation: 'sum',
      metric: 'http_request_duration_seconds',
      quantiles: [0.5, 0.9, 0.99],
    });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByText(/Histogram: one series per quantile/)).toBeInTheDocument();
    // Buckets are always summed: the aggregation does not apply.
    expect(screen.getByRole('radio', { name: 'avg' })).toBeDisabled();
  });

  it('picking a counter writes metric without quantiles (and drops those of a histogram)', async () => {
    const { user, lastQuery } = await setup(
      businessQuery({ metric: 'http_request_duration_seconds', quantiles: [0.99] })
    );
    await pick(user, 'Metric', 'http_requests_total');
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'business',
      aggregation: 'sum',
      metric: 'http_requests_total',
    });
    expect(screen.queryByLabelText('Quantiles')).not.toBeInTheDocument();
    expect(screen.getByText('Counter: shown as a per-second rate.')).toBeInTheDocument();
  });

  it('picking a summary writes quantiles and max instead of sum (summary quantiles cannot be summed)', async () => {
    const { user, lastQuery } = await setup();
    await pick(user, 'Metric', 'rpc_duration_seconds');
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'business',
      aggregation: 'max',
      metric: 'rpc_duration_seconds',
      quantiles: [0.5, 0.9, 0.99],
    });
    expect(screen.getByRole('radio', { name: 'sum' })).toBeDisabled();
    expect(screen.getByRole('radio', { name: 'max' })).toBeChecked();
  });

  it('keeps quantiles already chosen when picking another histogram', () => {
    const q = businessQuery({ metric: 'a_seconds', quantiles: [0.95] });
    expect(withMetric(q, 'b_seconds', 'histogram').quantiles).toEqual([0.95]);
  });

  it('accepts a metric that has no metadata, typed', async () => {
    const { user, lastQuery } = await setup();
    await user.type(screen.getByLabelText('Metric'), 'demo_orders_total{enter}');
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'business', aggregation: 'sum', metric: 'demo_orders_total' });
  });

  it('writes the aggregation', async () => {
    const { user, lastQuery, onRunQuery } = await setup(businessQuery({ metric: 'cart_items' }));
    await user.click(screen.getByRole('radio', { name: 'avg' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'business', aggregation: 'avg', metric: 'cart_items' });
    await user.click(screen.getByRole('radio', { name: 'min' }));
    expect(lastQuery().aggregation).toBe('min');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it("offers the metric's label names to group by (a histogram's buckets, without le) and writes groupBy", async () => {
    const { user, lastQuery, getResource } = await setup(
      businessQuery({ metric: 'http_request_duration_seconds', quantiles: [0.5, 0.9, 0.99] })
    );
    const options = await optionsOf(user, 'Group by');
    expect(getResource).toHaveBeenCalledWith('labels', {
      'match[]': '{__name__=~"http_request_duration_seconds(_bucket)?"}',
    });
    expect(options).toEqual(['instance', 'job', 'method', 'path']);
    await user.click(screen.getByText('path'));
    await settle();
    await user.click(screen.getByText('method'));
    await settle();
    expect(lastQuery().groupBy).toEqual(['path', 'method']);
  });

  it("asks a counter's labels with or without its _total suffix", async () => {
    const { user, getResource } = await setup(businessQuery({ metric: 'http_requests_total' }));
    await optionsOf(user, 'Group by');
    expect(getResource).toHaveBeenCalledWith('labels', { 'match[]': '{__name__=~"http_requests_total(_total)?"}' });
  });

  it('writes quantiles, sorted, including a typed one, and rejects one outside 0..1', async () => {
    const { user, lastQuery } = await setup(
      businessQuery({ metric: 'http_request_duration_seconds', quantiles: [0.5, 0.9, 0.99] })
    );
    await pick(user, 'Quantiles', '0.75');
    expect(lastQuery().quantiles).toEqual([0.5, 0.75, 0.9, 0.99]);
    await typeCustom(user, 'Quantiles', '0.995');
    expect(lastQuery().quantiles).toEqual([0.5, 0.75, 0.9, 0.99, 0.995]);
    await typeCustom(user, 'Quantiles', '99');
    expect(lastQuery().quantiles).toEqual([0.5, 0.75, 0.9, 0.99, 0.995]);
    expect(screen.getByText(/Not a quantile: 99/)).toBeInTheDocument();
  });

  it('writes topN as a number, 0 allowed, and flags a bad one', async () => {
    const { user, lastQuery, onRunQuery } = await setup(businessQuery({ metric: 'cart_items' }));
    const input = screen.getByLabelText('Top N');
    await user.type(input, '5');
    expect(lastQuery().topN).toBe(5);
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.clear(input);
    expect(lastQuery()).not.toHaveProperty('topN');
    await user.type(input, '0');
    expect(lastQuery().topN).toBe(0);
    await user.clear(input);
    await user.type(input, 'ten');
    expect(lastQuery()).not.toHaveProperty('topN');
    expect(screen.getByText('Must be a whole number from 0 to 10000')).toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('writes matchers and flags a list that is not label matchers', async () => {
    const { user, lastQuery, onRunQuery } = await setup(businessQuery({ metric: 'http_requests_total' }));
    const input = screen.getByLabelText('Matchers');
    await paste(user, 'Matchers', 'path=~"/api/.*",code!="200"');
    expect(lastQuery().matchers).toBe('path=~"/api/.*",code!="200"');
    expect(screen.queryByText(/Not a label matcher/)).not.toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.clear(input);
    await paste(user, 'Matchers', 'path=/api');
    expect(lastQuery().matchers).toBe('path=/api');
    expect(screen.getByText(/Not a label matcher: path=\/api/)).toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('writes job and instance', async () => {
    const { user, lastQuery } = await setup(businessQuery({ metric: 'cart_items' }));
    await pick(user, 'Job', 'demo');
    expect(lastQuery()).toMatchObject({ metric: 'cart_items', job: 'demo' });
    await pick(user, 'Instance', 'demo-2:8080');
    expect(lastQuery()).toMatchObject({ job: 'demo', instance: 'demo-2:8080' });
  });

  it('shows why the metadata could not be loaded', async () => {
    await setup(businessQuery(), {
      ...RESOURCES,
      metadata: () => {
        throw { status: 500, data: { message: 'Internal error' } };
      },
    });
    expect(await screen.findByText('Could not load metric metadata: Internal error')).toBeInTheDocument();
  });

  it('writes the business query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup({ refId: 'C', queryType: 'business', aggregation: 'sum' });
    await pick(user, 'Metric', 'http_request_duration_seconds');
    await pick(user, 'Group by', 'path');
    await paste(user, 'Top N', '5');
    await paste(user, 'Matchers', 'method="GET",path=~"/api/.*"');
    await pick(user, 'Job', 'demo');
    await paste(user, 'Legend', '{{path}}');
    await waitFor(() => expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'business')));
  });
});

describe('metricOptions', () => {
  it('lists each metric once, sorted, described by type and help', () => {
    expect(metricOptions(METADATA).map((o) => [o.value, o.description])).toEqual([
      ['cart_items', 'gauge: Items in open carts.'],
      ['http_request_duration_seconds', 'histogram: HTTP request latency.'],
      ['http_requests_total', 'counter: HTTP requests by path and code.'],
      ['rpc_duration_seconds', 'summary: RPC latency.'],
    ]);
  });
});

describe('groupBySelector', () => {
  it('asks the series that carry the labels of each type', () => {
    expect(groupBySelector('lat_seconds', 'histogram')).toBe('{__name__=~"lat_seconds(_bucket)?"}');
    expect(groupBySelector('a.b_total', 'counter')).toBe('{__name__=~"a\\\\.b_total(_total)?"}');
    expect(groupBySelector('cart_items', 'gauge')).toBe('cart_items');
    expect(groupBySelector('rpc_seconds', 'summary')).toBe('rpc_seconds');
    expect(groupBySelector('x', undefined)).toBe('x');
    // UTF-8 names (Prometheus 3) are quoted.
    expect(groupBySelector('app.sessions', 'gauge')).toBe('{"app.sessions"}');
  });
});
