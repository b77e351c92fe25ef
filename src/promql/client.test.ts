import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import type { Matcher } from '@prometheus-io/codemirror-promql/dist/esm/types';
import { EqlRegex, EqlSingle, Neq, NeqRegex } from '@prometheus-io/lezer-promql';

import { METADATA, mockDataSource, RESOURCES } from '../test/utils';
import { GoPulsePrometheusClient, selector } from './client';

const matcher = (type: number, name: string, value: string) => ({ type, name, value }) as Matcher;

function setup(resources = RESOURCES) {
  const { ds, getResource } = mockDataSource(resources);
  return { client: new GoPulsePrometheusClient(ds), getResource };
}

describe('GoPulsePrometheusClient', () => {
  it('labelNames → labels, with the metric as match[]', async () => {
    const { client, getResource } = setup();
    await expect(client.labelNames()).resolves.toEqual(['__name__', 'code', 'instance', 'job', 'path']);
    await client.labelNames('http_requests_total');
    expect(getResource.mock.calls).toEqual([
      ['labels', {}],
      ['labels', { 'match[]': 'http_requests_total' }],
    ]);
  });

  it('labelValues → label-values, with the metric and the other matchers typed so far as match[]', async () => {
    const { client, getResource } = setup();
    await expect(client.labelValues('job')).resolves.toEqual(['demo', 'loadgen']);
    await client.labelValues('instance', 'up', [
      matcher(EqlSingle, 'job', 'loadgen'),
      matcher(EqlRegex, 'instance', 'x.*'), // the label being completed: left out
      matcher(Neq, 'env', ''), // no value yet: left out
    ]);
    expect(getResource.mock.calls).toEqual([
      ['label-values', { label: 'job' }],
      ['label-values', { label: 'instance', 'match[]': 'up{job="loadgen"}' }],
    ]);
  });

  it('metricMetadata → metadata, grouped by metric, duplicates dropped', async () => {
    const { client, getResource } = setup();
    const md = await client.metricMetadata();
    expect(getResource).toHaveBeenCalledWith('metadata', {});
    expect(md.cart_items).toEqual([{ type: 'gauge', help: 'Items in open carts.' }]);
    expect(md.http_request_duration_seconds).toEqual([{ type: 'histogram', help: 'HTTP request latency.' }]);
    expect(Object.keys(md)).toHaveLength(new Set(METADATA.map((m) => m.metric)).size);
  });

  it('metricNames → metrics, the whole list whatever the prefix', async () => {
    const { client, getResource } = setup();
    await expect(client.metricNames('go_')).resolves.toEqual(['go_goroutines', 'go_threads', 'http_requests_total']);
    await client.metricNames('http');
    expect(getResource.mock.calls).toEqual([['metrics', {}]]);
  });

  it('series → the values of the label asked for, as one-label series', async () => {
    const { client } = setup();
    await expect(client.series('up', [], 'job')).resolves.toEqual([
      new Map([['job', 'demo']]),
      new Map([['job', 'loadgen']]),
    ]);
    await expect(client.series('up')).resolves.toEqual([]);
  });

  it('flags → nothing', async () => {
    await expect(setup().client.flags()).resolves.toEqual({});
  });

  it('reuses answers while the user types, but not a failure', async () => {
    let fail = true;
    const { client, getResource } = setup({
      ...RESOURCES,
      labels: () => {
        if (fail) {
          throw { status: 502, data: { error: 'down' } };
        }
        return ['job'];
      },
    });
    await expect(client.labelNames()).rejects.toEqual({ status: 502, data: { error: 'down' } });
    fail = false;
    await expect(client.labelNames()).resolves.toEqual(['job']);
    await client.labelNames();
    await client.metricNames();
    await client.metricNames();
    expect(getResource).toHaveBeenCalledTimes(3);
  });
});

describe('selector', () => {
  it('writes the metric and matchers as a series selector', () => {
    expect(selector()).toBeUndefined();
    expect(selector('up')).toBe('up');
    expect(
      selector(undefined, [
        matcher(EqlSingle, 'a', '1'),
        matcher(Neq, 'b', '2'),
        matcher(EqlRegex, 'c', '3.*'),
        matcher(NeqRegex, 'd', '4|5'),
      ])
    ).toBe('{a="1",b!="2",c=~"3.*",d!~"4|5"}');
  });

  it('quotes UTF-8 metric and label names, as Prometheus 3 reads them', () => {
    expect(selector('http.server.duration')).toBe('{"http.server.duration"}');
    expect(selector('app.orders_total', [matcher(EqlSingle, 'order.status', 'created')])).toBe(
      '{"app.orders_total","order.status"="created"}'
    );
    expect(selector('up', [matcher(EqlSingle, 'service.name', 'checkout')])).toBe('up{"service.name"="checkout"}');
  });
});

describe('autocomplete through codemirror-promql', () => {
  async function complete(doc: string, pos = doc.length) {
    const { client } = setup();
    const promql = new PromQLExtension().activateLinter(false).setComplete({ remote: client });
    const state = EditorState.create({ doc, extensions: promql.asExtension() });
    const result = await promql.getComplete().promQL(new CompletionContext(state, pos, true));
    return result?.options ?? [];
  }

  it('completes metric names with their type and help from the metadata resource', async () => {
    const options = await complete('http_req');
    const metric = options.find((o) => o.label === 'http_requests_total');
    expect(metric).toMatchObject({ detail: 'counter', info: 'HTTP requests by path and code.' });
    expect(options.map((o) => o.label)).toContain('go_goroutines');
  });

  it('completes label names and label values from the label resources', async () => {
    // The editor closes brackets: the cursor is inside {}.
    expect((await complete('up{}', 3)).map((o) => o.label)).toEqual(['__name__', 'code', 'instance', 'job', 'path']);
    expect((await complete('up{job="')).map((o) => o.label)).toEqual(['demo', 'loadgen']);
  });
});
