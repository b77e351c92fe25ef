import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { screen, waitFor, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { EXPVAR_TARGETS, mockDataSource, openList, pick, RESOURCES, renderEditor, settle } from '../test/utils';
import { GoPulseQuery } from '../types';
import { ExpvarQueryEditor, NO_PATHS_ERROR, targetStatus } from './ExpvarQueryEditor';

const expvarQuery = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'expvar',
  mode: 'latest',
  paths: ['goroutines'],
  ...over,
});

async function setup(initial: GoPulseQuery = expvarQuery(), resources = RESOURCES) {
  const { ds, getResource } = mockDataSource(resources);
  return { ...(await renderEditor(ExpvarQueryEditor, initial, ds)), getResource };
}

/**
 * Types a value into a multi-value picker and takes it as a custom value. The picker keeps
 * the text typed before: it is cleared first. (An option whose value holds a double quote
 * breaks getByLabelText in jsdom while it is listed: type such a value last.)
 */
async function typeCustom(user: Awaited<ReturnType<typeof setup>>['user'], label: string, text: string) {
  if (screen.queryByRole('listbox')) {
    await user.keyboard('{Escape}');
  }
  const input = screen.getByLabelText(label);
  await user.click(input);
  await user.clear(input);
  await user.paste(text);
  await settle();
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await user.click(await screen.findByRole('option', { name: new RegExp(`^${escaped}`) }));
  await settle();
}

describe('ExpvarQueryEditor', () => {
  it('offers the expvar targets with their status', async () => {
    const { user, getResource } = await setup();
    expect(getResource).toHaveBeenCalledWith('expvar-targets', {});
    const list = await openList(user, 'Targets');
    const options = within(list).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([
      expect.stringContaining('demo'),
      expect.stringContaining('worker'),
    ]);
    expect(options[0]).toHaveTextContent('Up: 42 vars (demo:8080)');
    expect(options[1]).toHaveTextContent('Down: connection refused');
  });

  it('writes the picked targets and runs the query; cleared means all targets', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    expect(screen.getByPlaceholderText('All targets')).toBeInTheDocument();
    const list = await openList(user, 'Targets');
    await user.click(within(list).getByText('worker'));
    expect(lastQuery()).toEqual(expvarQuery({ targets: ['worker'] }));
    await user.click(within(list).getByText('demo'));
    expect(lastQuery()).toEqual(expvarQuery({ targets: ['worker', 'demo'] }));
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    await user.keyboard('{Escape}');
    await user.click(screen.getAllByTitle('Clear all')[0]);
    await settle();
    expect(lastQuery()).toEqual(expvarQuery());
  });

  it("offers the dashboard's variables as targets", async () => {
    setTemplateSrv({ getVariables: () => [{ name: 'target' }], replace: (s: string) => s } as unknown as TemplateSrv);
    const { user, lastQuery } = await setup();
    await pick(user, 'Targets', '$target');
    expect(lastQuery().targets).toEqual(['$target']);
    setTemplateSrv(undefined as unknown as TemplateSrv);
  });

  it("offers every target's paths, the services' own first, then the runtime catalogue's expvar paths, and writes picked and typed paths", async () => {
    const { user, lastQuery, onRunQuery, getResource } = await setup();
    expect(getResource).toHaveBeenCalledWith('expvar-suggestions', {});
    const list = await openList(user, 'Paths');
    const options = within(list).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([
      expect.stringContaining('business.orders'),
      expect.stringContaining('goroutines'),
      expect.stringContaining('cmdline[*]'),
      expect.stringContaining('memstats.HeapAlloc'),
    ]);
    expect(options[2]).toHaveTextContent('string in 2 targets');
    await user.click(within(list).getByText('memstats.HeapAlloc'));
    expect(lastQuery()).toEqual(expvarQuery({ paths: ['goroutines', 'memstats.HeapAlloc'] }));
    await typeCustom(user, 'Paths', 'business.*');
    expect(lastQuery()).toEqual(expvarQuery({ paths: ['goroutines', 'memstats.HeapAlloc', 'business.*'] }));
    await typeCustom(user, 'Paths', 'requests["api.example.com:443"]');
    expect(lastQuery().paths).toEqual([
      'goroutines',
      'memstats.HeapAlloc',
      'business.*',
      'requests["api.example.com:443"]',
    ]);
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('requires a path: cleared paths show an error and do not run', async () => {
    const { user, lastQuery, onRunQuery } = await setup(expvarQuery({ targets: ['demo'] }));
    expect(screen.queryByText(NO_PATHS_ERROR)).not.toBeInTheDocument();
    await user.click(screen.getAllByTitle('Clear all')[1]);
    await settle();
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'expvar', mode: 'latest', targets: ['demo'] });
    expect(screen.getByText(NO_PATHS_ERROR)).toBeInTheDocument();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('writes the mode: latest, history or rate', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    expect(screen.getByRole('radio', { name: 'Latest' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'History' }));
    expect(lastQuery()).toEqual(expvarQuery({ mode: 'history' }));
    await user.click(screen.getByRole('radio', { name: 'Rate' }));
    expect(lastQuery()).toEqual(expvarQuery({ mode: 'rate' }));
    await user.click(screen.getByRole('radio', { name: 'Latest' }));
    expect(lastQuery()).toEqual(expvarQuery());
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('reads a saved query without mode as latest', async () => {
    await setup({ refId: 'A', queryType: 'expvar', paths: ['goroutines'] });
    expect(screen.getByRole('radio', { name: 'Latest' })).toBeChecked();
  });

  it('says why the targets could not be loaded', async () => {
    await setup(expvarQuery(), {
      ...RESOURCES,
      'expvar-targets': () => {
        throw { status: 500, data: { error: 'boom' } };
      },
    });
    expect(await screen.findByText('Could not load expvar targets: boom')).toBeInTheDocument();
  });

  it('writes the expvar query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup(expvarQuery({ refId: 'E' }));
    await pick(user, 'Targets', 'demo');
    await user.keyboard('{Escape}');
    await pick(user, 'Paths', 'memstats.HeapAlloc');
    await typeCustom(user, 'Paths', 'requests["api.example.com:443"]');
    await user.click(screen.getByRole('radio', { name: 'History' }));
    await waitFor(() => expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'expvar')));
  });
});

describe('targetStatus', () => {
  it('tells up, down with the last error, and not polled yet', () => {
    expect(targetStatus(EXPVAR_TARGETS[0])).toBe('Up: 42 vars (demo:8080)');
    expect(targetStatus(EXPVAR_TARGETS[1])).toBe('Down: connection refused');
    expect(targetStatus({ ...EXPVAR_TARGETS[1], lastError: undefined })).toBe('Not polled yet');
  });

  it("suggests only the picked target's own paths when one target is picked", async () => {
    const { user } = await setup(expvarQuery({ targets: ['worker'] }));
    const list = await openList(user, 'Paths');
    const texts = within(list)
      .getAllByRole('option')
      .map((o) => o.textContent ?? '');
    expect(texts.some((t) => t.includes('business.orders'))).toBe(false);
    expect(texts.some((t) => t.includes('memstats.HeapAlloc'))).toBe(true);
  });

  it('writes live when the Live switch is turned on', async () => {
    const { user, lastQuery } = await setup();
    await user.click(screen.getByRole('switch'));
    expect(lastQuery()).toEqual(expvarQuery({ live: true }));
  });
});
