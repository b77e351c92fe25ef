import React, { useState } from 'react';
import { DataSourceInstanceSettings, DataSourcePluginOptionsEditorProps, DataSourceSettings } from '@grafana/data';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import {
  ExpvarTarget,
  GoPulseOptions,
  GoPulseQuery,
  GoPulseSecureJsonData,
  MetricMetadata,
  RuntimeSignal,
} from '../types';

export const settings = {
  id: 1,
  uid: 'gopulse',
  type: 'gopulse-health-datasource',
  name: 'GoPulse',
  jsonData: {},
  meta: {},
  access: 'proxy',
  readOnly: false,
} as unknown as DataSourceInstanceSettings<GoPulseOptions>;

export const CATALOGUE: RuntimeSignal[] = [
  {
    id: 'goroutines',
    title: 'Goroutines',
    area: 'Scheduler',
    unit: 'short',
    kind: 'gauge',
    description: 'Live goroutines',
    expvarPath: 'goroutines',
  },
  {
    id: 'sched_latency_p99',
    title: 'Scheduler latency p99',
    area: 'Scheduler',
    unit: 's',
    kind: 'quantile',
    description: 'Time runnable goroutines wait',
  },
  {
    id: 'heap_alloc',
    title: 'Heap alloc',
    area: 'Memory',
    unit: 'bytes',
    kind: 'gauge',
    description: 'Bytes of live heap objects',
    expvarPath: 'memstats.HeapAlloc',
  },
  {
    id: 'rss',
    title: 'Resident memory',
    area: 'Memory',
    unit: 'bytes',
    kind: 'gauge',
    description: 'RSS of the process',
  },
  {
    id: 'gc_pause_p99',
    title: 'GC pause p99',
    area: 'GC',
    unit: 's',
    kind: 'quantile',
    description: 'Stop-the-world pause',
  },
];

export const METADATA: MetricMetadata[] = [
  { metric: 'http_requests_total', type: 'counter', help: 'HTTP requests by path and code.', unit: '' },
  { metric: 'http_request_duration_seconds', type: 'histogram', help: 'HTTP request latency.', unit: '' },
  { metric: 'rpc_duration_seconds', type: 'summary', help: 'RPC latency.', unit: '' },
  { metric: 'cart_items', type: 'gauge', help: 'Items in open carts.', unit: '' },
  // Metadata lists a metric once per target: shown once.
  { metric: 'cart_items', type: 'gauge', help: 'Items in open carts.', unit: '' },
];

export const EXPVAR_TARGETS: ExpvarTarget[] = [
  {
    target: 'demo',
    instance: 'demo:8080',
    host: 'demo:8080',
    up: true,
    lastDurationNs: 2_000_000,
    lastPoll: '2026-01-01T00:00:10Z',
    lastSuccess: '2026-01-01T00:00:10Z',
    vars: 42,
  },
  {
    target: 'worker',
    instance: 'worker:9000',
    host: 'worker:9000',
    up: false,
    lastError: 'connection refused',
    lastDurationNs: 1_000_000,
    lastPoll: '2026-01-01T00:00:10Z',
    lastSuccess: '0001-01-01T00:00:00Z',
    vars: 0,
  },
];

type Params = Record<string, string> | undefined;
export type ResourceAnswer = (params: Params) => unknown;

/** The default answers of the mocked resources (CONTRIBUTING.md "Resources"). */
export const RESOURCES: Record<string, ResourceAnswer> = {
  'runtime-catalogue': () => CATALOGUE,
  'expvar-targets': () => EXPVAR_TARGETS,
  'expvar-suggestions': (p) =>
    p?.target === 'worker'
      ? []
      : [
          { path: 'business.orders', group: 'business', kind: 'number', targets: 1 },
          { path: 'goroutines', group: 'goroutines', kind: 'number', targets: 1 },
          { path: 'cmdline[*]', group: 'cmdline', kind: 'string', targets: 2 },
        ],
  metadata: () => METADATA,
  metrics: () => ['go_goroutines', 'go_threads', 'http_requests_total'],
  labels: (p) => {
    const match = p?.['match[]'] ?? '';
    if (match.includes('http_request_duration_seconds')) {
      return ['__name__', 'instance', 'job', 'le', 'method', 'path'];
    }
    if (match.includes('http_requests_total')) {
      return ['__name__', 'code', 'instance', 'job', 'path'];
    }
    return ['__name__', 'code', 'instance', 'job', 'path'];
  },
  'label-values': (p) => {
    if (p?.label === 'job') {
      return ['demo', 'loadgen'];
    }
    if (p?.label === 'instance') {
      return p['match[]'] === '{job="loadgen"}' ? ['loadgen:9100'] : ['demo:8080', 'demo-2:8080', 'loadgen:9100'];
    }
    return [];
  },
};

/**
 * A real DataSource whose resource calls (the boundary to the backend) answer from
 * `resources`. A resource answer that throws becomes a rejected call.
 */
export function mockDataSource(resources: Record<string, ResourceAnswer> = RESOURCES) {
  const ds = new DataSource(settings);
  const getResource = jest.spyOn(ds, 'getResource').mockImplementation(async (path: string, params?: unknown) => {
    const answer = resources[path];
    if (!answer) {
      throw { status: 404, data: { error: `no resource ${path}` } };
    }
    return answer(params as Params);
  });
  return { ds, getResource };
}

type EditorProps = {
  query: GoPulseQuery;
  onChange: (q: GoPulseQuery) => void;
  onRunQuery: () => void;
  datasource: DataSource;
};

/**
 * Renders an editor the way Grafana does: a controlled query that follows every onChange.
 * Resolves once the resource calls made on mount have answered.
 */
export async function renderEditor(Editor: React.ComponentType<EditorProps>, initial: GoPulseQuery, ds: DataSource) {
  const onChange = jest.fn<void, [GoPulseQuery]>();
  const onRunQuery = jest.fn();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <Editor
        datasource={ds}
        query={query}
        onChange={(q) => {
          onChange(q);
          setQuery(q);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  const result = render(<Harness />);
  await settle();
  const lastQuery = () => {
    expect(onChange).toHaveBeenCalled();
    return onChange.mock.calls[onChange.mock.calls.length - 1][0];
  };
  return { ...result, user: userEvent.setup({ delay: null }), onChange, onRunQuery, lastQuery };
}

/** Lets pending async UI work settle (the option list's floating position is computed asynchronously). */
export async function settle() {
  await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

/** Puts `text` into the field labelled `label` in one input event (a paste: quicker than typing it). */
export async function paste(user: ReturnType<typeof userEvent.setup>, label: string | RegExp, text: string) {
  await user.click(screen.getByLabelText(label));
  await user.paste(text);
}

/** Opens the combobox labelled `label` and returns its option list. */
export async function openList(user: ReturnType<typeof userEvent.setup>, label: string | RegExp) {
  await user.click(screen.getByLabelText(label));
  const list = await screen.findByRole('listbox');
  await settle();
  return list;
}

/** Opens the combobox labelled `label` and clicks the option called `option`. */
export async function pick(user: ReturnType<typeof userEvent.setup>, label: string | RegExp, option: string | RegExp) {
  const list = await openList(user, label);
  await user.click(await within(list).findByText(option));
  await settle();
}

/** The option labels of the combobox labelled `label` (opens its list). */
export async function optionsOf(user: ReturnType<typeof userEvent.setup>, label: string | RegExp): Promise<string[]> {
  const list = await openList(user, label);
  const options = await within(list).findAllByRole('option');
  return options.map((o) => o.textContent ?? '');
}

export type EditorSettings = DataSourceSettings<GoPulseOptions, GoPulseSecureJsonData>;

/**
 * Renders a data source settings editor the way Grafana does: controlled options that follow
 * every onOptionsChange. `last` is the latest options the editor wrote.
 */
export function renderSettingsEditor(
  Editor: React.ComponentType<DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>>,
  initial: EditorSettings
) {
  const onOptionsChange = jest.fn<void, [EditorSettings]>();
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <Editor
        options={options}
        onOptionsChange={(o) => {
          onOptionsChange(o);
          setOptions(o);
        }}
      />
    );
  }
  render(<Harness />);
  const last = () => onOptionsChange.mock.calls[onOptionsChange.mock.calls.length - 1][0];
  return { user: userEvent.setup({ delay: null }), onOptionsChange, last };
}
