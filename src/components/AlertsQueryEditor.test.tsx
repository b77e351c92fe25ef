import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { screen, waitFor, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { mockDataSource, openList, optionsOf, paste, pick, RESOURCES, renderEditor, settle } from '../test/utils';
import { GoPulseQuery } from '../types';
import { AlertsQueryEditor, withMatcher, withState } from './AlertsQueryEditor';

const alertsQuery = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'alerts',
  source: 'prometheus',
  format: 'table',
  ...over,
});

/** The resources, with the labels and label values of the ALERTS series. */
const ALERTS_RESOURCES: typeof RESOURCES = {
  ...RESOURCES,
  labels: (p) =>
    p?.['match[]'] === 'ALERTS'
      ? ['__name__', 'alertname', 'alertstate', 'instance', 'job', 'severity', 'team']
      : RESOURCES.labels(p),
  'label-values': (p) => {
    if (p?.['match[]'] !== 'ALERTS') {
      return RESOURCES['label-values'](p);
    }
    switch (p.label) {
      case 'alertname':
        return ['HighLatency', 'Disk "C:\\" full'];
      case 'severity':
        return ['critical', 'warning'];
      default:
        return [];
    }
  },
};

async function setup(initial: GoPulseQuery = alertsQuery()) {
  const { ds, getResource } = mockDataSource(ALERTS_RESOURCES);
  return { ...(await renderEditor(AlertsQueryEditor, initial, ds)), getResource };
}

/** Types a value into a multi-value picker and takes it as a custom value. */
async function typeCustom(user: Awaited<ReturnType<typeof setup>>['user'], label: string, text: string) {
  if (screen.queryByRole('listbox')) {
    await user.keyboard('{Escape}');
  }
  await user.click(screen.getByLabelText(label));
  await user.paste(text);
  await settle();
  await user.click(await screen.findByRole('option', { name: new RegExp(`^${text}`) }));
  await settle();
}

describe('AlertsQueryEditor', () => {
  it('writes the source: Prometheus, Alertmanager or both', async () => {
    const { user, lastQuery } = await setup();
    expect(screen.getByRole('radio', { name: 'Prometheus' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'Alertmanager' }));
    expect(lastQuery()).toEqual({ ...alertsQuery(), source: 'alertmanager' });
    await user.click(screen.getByRole('radio', { name: 'Both' }));
    expect(lastQuery()).toEqual({ ...alertsQuery(), source: 'both' });
  });

  it('reads a saved query without source or format as Prometheus and Table', async () => {
    await setup({ refId: 'A', queryType: 'alerts' });
    expect(screen.getByRole('radio', { name: 'Prometheus' })).toBeChecked();
    expect(screen.getByRole('radio', { name: 'Table' })).toBeChecked();
  });

  it('writes the format: table, timeline, counts or rules', async () => {
    const { user, lastQuery } = await setup();
    expect(screen.getByRole('radio', { name: 'Table' })).toBeChecked();
    for (const [name, format] of [
      ['Timeline', 'timeline'],
      ['Counts', 'counts'],
      ['Rules', 'rules'],
    ] as const) {
      await user.click(screen.getByRole('radio', { name }));
      expect(lastQuery()).toEqual({ ...alertsQuery(), format });
    }
  });

  it('shows both states checked by default and writes the states left checked', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    const firing = screen.getByRole('checkbox', { name: 'Firing' });
    const pending = screen.getByRole('checkbox', { name: 'Pending' });
    expect(firing).toBeChecked();
    expect(pending).toBeChecked();

    await user.click(pending);
    expect(lastQuery()).toEqual({ ...alertsQuery(), states: ['firing'] });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    // At least one state: the last checked one cannot be unchecked.
    expect(screen.getByRole('checkbox', { name: 'Firing' })).toBeDisabled();

    await user.click(screen.getByRole('checkbox', { name: 'Pending' }));
    // Both is the default: states is left out.
    expect(lastQuery()).toEqual(alertsQuery());
    await user.click(screen.getByRole('checkbox', { name: 'Firing' }));
    expect(lastQuery()).toEqual({ ...alertsQuery(), states: ['pending'] });
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('writes the matchers and runs the query on blur', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    await paste(user, 'Matchers', 'severity="P0",instance=~"api-.*"');
    expect(lastQuery()).toEqual({ ...alertsQuery(), matchers: 'severity="P0",instance=~"api-.*"' });
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.queryByText(/Not a label matcher/)).not.toBeInTheDocument();
  });

  it('flags matchers that are not name-operator-value pairs and does not run them', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    await paste(user, 'Matchers', 'severity=P0');
    expect(lastQuery().matchers).toBe('severity=P0');
    expect(screen.getByText(/Not a label matcher: severity=P0/)).toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('drops cleared matchers from the query', async () => {
    const { user, lastQuery } = await setup(alertsQuery({ matchers: 'job="demo"' }));
    await user.clear(screen.getByLabelText('Matchers'));
    expect(lastQuery()).toEqual(alertsQuery());
  });

  it('offers the labels of the ALERTS series to build a matcher, the usual ones first', async () => {
    const { user, getResource } = await setup();
    expect(getResource).toHaveBeenCalledWith('labels', { 'match[]': 'ALERTS' });
    expect(await optionsOf(user, 'Label')).toEqual(['alertname', 'severity', 'instance', 'job', 'team']);
  });

  it("appends the picked label and value as a matcher, with the label's values on ALERTS, and runs the query", async () => {
    const { user, lastQuery, onRunQuery, getResource } = await setup();
    const add = screen.getByRole('button', { name: /Add/ });
    expect(add).toHaveAttribute('aria-disabled', 'true');
    await pick(user, 'Label', 'alertname');
    expect(add).toHaveAttribute('aria-disabled', 'true');
    expect(await optionsOf(user, 'Value')).toEqual(['HighLatency', 'Disk "C:\\" full']);
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'alertname', 'match[]': 'ALERTS' });
    await user.click(screen.getByText('HighLatency'));
    await settle();
    await user.click(screen.getByRole('button', { name: /Add/ }));
    expect(lastQuery()).toEqual({ ...alertsQuery(), matchers: 'alertname="HighLatency"' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('appends a matcher to the matchers written so far with a comma, escaping the value', async () => {
    const { user, lastQuery, onRunQuery } = await setup(alertsQuery({ matchers: 'job="demo"' }));
    await pick(user, 'Label', 'alertname');
    await pick(user, 'Value', 'Disk "C:\\" full');
    await user.click(screen.getByRole('button', { name: /Add/ }));
    expect(lastQuery()).toEqual({ ...alertsQuery(), matchers: 'job="demo",alertname="Disk \\"C:\\\\\\" full"' });
    await pick(user, 'Label', 'severity');
    await pick(user, 'Value', 'critical');
    await user.click(screen.getByRole('button', { name: /Add/ }));
    expect(lastQuery().matchers).toBe('job="demo",alertname="Disk \\"C:\\\\\\" full",severity="critical"');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    expect(screen.queryByText(/Not a label matcher/)).not.toBeInTheDocument();
  });

  it('offers P0 to P3 as severities and writes picked and typed ones', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    const list = await openList(user, 'Severities');
    expect(
      within(list)
        .getAllByRole('option')
        .map((o) => o.textContent)
    ).toEqual(['P0', 'P1', 'P2', 'P3']);
    await user.click(within(list).getByText('P1'));
    expect(lastQuery()).toEqual({ ...alertsQuery(), severities: ['P1'] });
    await typeCustom(user, 'Severities', 'critical');
    expect(lastQuery()).toEqual({ ...alertsQuery(), severities: ['P1', 'critical'] });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it("offers the dashboard's variables as severities", async () => {
    setTemplateSrv({ getVariables: () => [{ name: 'severity' }], replace: (s: string) => s } as unknown as TemplateSrv);
    const { user, lastQuery } = await setup();
    await pick(user, 'Severities', '$severity');
    expect(lastQuery().severities).toEqual(['$severity']);
    setTemplateSrv(undefined as unknown as TemplateSrv);
  });

  it('drops the severities when cleared (empty = all)', async () => {
    const { user, lastQuery } = await setup(alertsQuery({ severities: ['P0', 'P2'] }));
    await user.click(screen.getByTitle('Clear all'));
    await settle();
    expect(lastQuery()).toEqual(alertsQuery());
  });

  it('writes the alerts query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup({ refId: 'D', queryType: 'alerts', source: 'prometheus', format: 'table' });
    await user.click(screen.getByRole('checkbox', { name: 'Pending' }));
    await paste(user, 'Matchers', 'job="demo",instance=~"api-.*"');
    await user.tab();
    // A multi-value list stays open after a pick.
    const list = await openList(user, 'Severities');
    await user.click(within(list).getByText('P0'));
    await user.click(within(list).getByText('P1'));
    await typeCustom(user, 'Severities', 'critical');
    await waitFor(() => expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'alerts')));
  });
});

describe('withMatcher', () => {
  it('appends name="value" after a comma, escaping backslashes and double quotes', () => {
    expect(withMatcher(undefined, 'job', 'demo')).toBe('job="demo"');
    expect(withMatcher('  ', 'job', 'demo')).toBe('job="demo"');
    expect(withMatcher('job="demo"', 'alertname', 'a"b\\c')).toBe('job="demo",alertname="a\\"b\\\\c"');
    expect(withMatcher('job="demo", ', 'severity', 'P0')).toBe('job="demo",severity="P0"');
  });
});

describe('withState', () => {
  it('writes the states in a fixed order and leaves both out', () => {
    const q = alertsQuery();
    expect(withState(q, 'firing', false)).toEqual({ ...q, states: ['pending'] });
    expect(withState({ ...q, states: ['pending'] }, 'firing', true)).toEqual(q);
    expect(withState({ ...q, states: ['firing'] }, 'firing', false)).toEqual(q);
  });
});
