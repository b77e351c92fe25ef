import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { screen, waitFor, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { CATALOGUE, mockDataSource, openList, pick, RESOURCES, renderEditor } from '../test/utils';
import { GoPulseQuery } from '../types';
import { instancesOf } from './common/ScopeFields';
import { RuntimeQueryEditor, signalOptions } from './RuntimeQueryEditor';

const runtimeQuery = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'runtime',
  source: 'auto',
  ...over,
});

async function setup(initial: GoPulseQuery = runtimeQuery(), resources = RESOURCES) {
  const { ds, getResource } = mockDataSource(resources);
  return { ...(await renderEditor(RuntimeQueryEditor, initial, ds)), getResource };
}

describe('RuntimeQueryEditor', () => {
  it('offers the runtime catalogue grouped by area, with each signal described', async () => {
    const { user, getResource } = await setup();
    const list = await openList(user, 'Signal');
    expect(getResource).toHaveBeenCalledWith('runtime-catalogue', {});
    for (const area of ['Scheduler', 'Memory', 'GC']) {
      expect(within(list).getByText(area)).toBeInTheDocument();
    }
    expect(within(list).getByText('Heap alloc')).toBeInTheDocument();
    expect(within(list).getByText('Bytes of live heap objects · unit: bytes')).toBeInTheDocument();
  });

  it('writes the chosen signal into signal and runs the query', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    await pick(user, 'Signal', 'Heap alloc');
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'runtime', source: 'auto', signal: 'heap_alloc' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByText(/Bytes of live heap objects — expvar: memstats.HeapAlloc/)).toBeInTheDocument();
  });

  it('writes the source', async () => {
    const { user, lastQuery, onRunQuery } = await setup(runtimeQuery({ signal: 'goroutines' }));
    expect(screen.getByRole('radio', { name: 'Auto' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'Prometheus' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'runtime', signal: 'goroutines', source: 'prometheus' });
    await user.click(screen.getByRole('radio', { name: 'Expvar' }));
    expect(lastQuery().source).toBe('expvar');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('reads a saved query without source as auto', async () => {
    await setup({ refId: 'A', queryType: 'runtime', signal: 'rss' });
    expect(screen.getByRole('radio', { name: 'Auto' })).toBeChecked();
  });

  it('says when the chosen signal has no expvar source', async () => {
    await setup(runtimeQuery({ signal: 'rss', source: 'expvar' }));
    expect(await screen.findByText(/Resident memory has no expvar source/)).toBeInTheDocument();
  });

  it('offers the jobs of label-values?label=job and writes the picked one into job', async () => {
    const { user, lastQuery, getResource } = await setup(runtimeQuery({ signal: 'goroutines' }));
    await pick(user, 'Job', 'loadgen');
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'job' });
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'runtime',
      signal: 'goroutines',
      source: 'auto',
      job: 'loadgen',
    });
  });

  it("offers the instances of the job's series and writes the picked one into instance", async () => {
    const { user, lastQuery, getResource } = await setup(runtimeQuery({ signal: 'goroutines', job: 'loadgen' }));
    const list = await openList(user, 'Instance');
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'instance', 'match[]': '{job="loadgen"}' });
    expect(within(list).queryByText('demo:8080')).not.toBeInTheDocument();
    await user.click(within(list).getByText('loadgen:9100'));
    expect(lastQuery()).toMatchObject({ job: 'loadgen', instance: 'loadgen:9100' });
  });

  it("offers the dashboard's variables as job and instance", async () => {
    setTemplateSrv({
      getVariables: () => [{ name: 'job' }, { name: 'instance' }],
      replace: (s: string) => s.replace('$job', 'loadgen'),
    } as unknown as TemplateSrv);
    const { user, lastQuery, getResource } = await setup(runtimeQuery({ signal: 'goroutines' }));
    await pick(user, 'Job', '$job');
    expect(lastQuery().job).toBe('$job');
    const list = await openList(user, 'Instance');
    expect(within(list).getByText('$instance')).toBeInTheDocument();
    // The instances of the variable's job, asked with the variable replaced.
    expect(getResource).toHaveBeenLastCalledWith('label-values', { label: 'instance', 'match[]': '{job=~"loadgen"}' });
    expect(within(list).getByText('loadgen:9100')).toBeInTheDocument();
    setTemplateSrv(undefined as unknown as TemplateSrv);
  });

  it('accepts a typed instance regex', async () => {
    const { user, lastQuery } = await setup(runtimeQuery({ signal: 'goroutines' }));
    await user.type(screen.getByLabelText('Instance'), 'demo-.*{enter}');
    expect(lastQuery().instance).toBe('demo-.*');
  });

  it('drops job and instance from the query when cleared (empty = all)', async () => {
    const { user, lastQuery } = await setup(runtimeQuery({ signal: 'goroutines', job: 'demo', instance: 'demo:8080' }));
    await user.click(screen.getAllByTitle('Clear value')[0]);
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'runtime',
      signal: 'goroutines',
      source: 'auto',
      instance: 'demo:8080',
    });
    expect(lastQuery()).not.toHaveProperty('job');
  });

  it('writes the legend into legendFormat and runs on blur', async () => {
    const { user, lastQuery, onRunQuery } = await setup(runtimeQuery({ signal: 'goroutines' }));
    await user.type(screen.getByLabelText('Legend'), '{{{{instance}}');
    expect(lastQuery().legendFormat).toBe('{{instance}}');
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('shows why the catalogue could not be loaded', async () => {
    await setup(runtimeQuery(), {
      ...RESOURCES,
      'runtime-catalogue': () => {
        throw { status: 502, data: { error: 'Prometheus is unreachable' } };
      },
    });
    expect(
      await screen.findByText('Could not load the runtime catalogue: Prometheus is unreachable')
    ).toBeInTheDocument();
  });

  it('writes the runtime query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup({ refId: 'B', queryType: 'runtime', source: 'auto' });
    await pick(user, 'Signal', 'Goroutines');
    await pick(user, 'Job', 'demo');
    await pick(user, 'Instance', 'demo:8080');
    await user.type(screen.getByLabelText('Legend'), '{{{{instance}}');
    await waitFor(() => expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'runtime')));
  });
});

describe('signalOptions', () => {
  it('groups signals by area in catalogue order', () => {
    expect(signalOptions(CATALOGUE).map((o) => [o.group, o.value])).toEqual([
      ['Scheduler', 'goroutines'],
      ['Scheduler', 'sched_latency_p99'],
      ['Memory', 'heap_alloc'],
      ['Memory', 'rss'],
      ['GC', 'gc_pause_p99'],
    ]);
  });
});

describe('instancesOf', () => {
  it('matches a picked job exactly and a variable as a regex', () => {
    expect(instancesOf(undefined)).toBeUndefined();
    expect(instancesOf('demo')).toBe('{job="demo"}');
    expect(instancesOf('a"b')).toBe('{job="a\\"b"}');
    expect(instancesOf('$job')).toBe('{job=~"$job"}');
  });
});
