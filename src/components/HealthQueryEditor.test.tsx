import { screen, waitFor, within } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { mockDataSource, openList, paste, pick, RESOURCES, renderEditor } from '../test/utils';
import { GoPulseQuery, HEALTH_SIGNALS, HealthSignal } from '../types';
import {
  HealthQueryEditor,
  isWideInstance,
  thresholdsFromTexts,
  TIME_SERIES_HINT,
  unitSuffix,
} from './HealthQueryEditor';

// The data source's effective defaults: latency and goroutines differ from the built-in ones.
const SIGNALS: HealthSignal[] = [
  { id: 'up', title: 'Up', unit: 'none', description: '0 when the instance is down' },
  {
    id: 'goroutines',
    title: 'Goroutines',
    unit: 'short',
    description: 'Live goroutines',
    warning: 2000,
    critical: 9000,
  },
  {
    id: 'goroutine_growth',
    title: 'Goroutine growth',
    unit: 'short',
    description: 'Goroutines added per second',
    warning: 5,
    critical: 50,
  },
  {
    id: 'heap_inuse',
    title: 'Heap in use',
    unit: 'bytes',
    description: 'In-use heap',
    warning: 536870912,
    critical: 1073741824,
  },
  { id: 'gc_pause_p99', title: 'GC pause p99', unit: 's', description: 'GC pauses', warning: 0.01, critical: 0.1 },
  { id: 'request_rate', title: 'Request rate', unit: 'reqps', description: 'Requests per second' },
  {
    id: 'error_ratio',
    title: 'Error ratio',
    unit: 'percentunit',
    description: 'Failed / all',
    warning: 0.01,
    critical: 0.05,
  },
  {
    id: 'latency_p99',
    title: 'Latency p99',
    unit: 's',
    description: 'Request latency p99',
    warning: 0.2,
    critical: 0.4,
  },
];

const WITH_SIGNALS = { ...RESOURCES, 'health-signals': () => SIGNALS };

const healthQuery = (over: Partial<GoPulseQuery> = {}): GoPulseQuery => ({
  refId: 'A',
  queryType: 'health',
  format: 'table',
  ...over,
});

async function setup(initial: GoPulseQuery = healthQuery(), resources = WITH_SIGNALS) {
  const { ds, getResource } = mockDataSource(resources);
  return { ...(await renderEditor(HealthQueryEditor, initial, ds)), getResource, ds };
}

/** Opens the collapsed Thresholds section. */
async function openThresholds(user: Awaited<ReturnType<typeof setup>>['user']) {
  await user.click(screen.getByText(/^Thresholds/));
  return screen.findByLabelText('Goroutines warning');
}

describe('HealthQueryEditor', () => {
  it('shows the scope, the format (Table for a saved query without one) and a collapsed Thresholds section', async () => {
    await setup({ refId: 'A', queryType: 'health' });
    expect(screen.getByLabelText('Job')).toBeInTheDocument();
    expect(screen.getByLabelText('Instance')).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Table' })).toBeChecked();
    expect(screen.getByRole('radio', { name: 'Numeric (alert rules)' })).not.toBeChecked();
    expect(screen.getByLabelText('Critical alerts')).toHaveAttribute('placeholder', 'Default (P1)');
    expect(screen.getByText('Thresholds')).toBeInTheDocument();
    expect(screen.queryByLabelText('Goroutines warning')).not.toBeInTheDocument();
  });

  it('writes the picked job and a typed instance regex and runs the query', async () => {
    const { user, lastQuery, onRunQuery, getResource } = await setup();
    await pick(user, 'Job', 'demo');
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'job' });
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', format: 'table', job: 'demo' });
    await user.type(screen.getByLabelText('Instance'), 'demo-.*{enter}');
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'health',
      format: 'table',
      job: 'demo',
      instance: 'demo-.*',
    });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('writes the format and runs the query', async () => {
    const { user, lastQuery, onRunQuery } = await setup(healthQuery({ instance: 'demo:8080' }));
    await user.click(screen.getByRole('radio', { name: 'Numeric (alert rules)' }));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', instance: 'demo:8080', format: 'numeric' });
    await user.click(screen.getByRole('radio', { name: 'Time series' }));
    expect(lastQuery().format).toBe('time_series');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('asks for one instance when time series would show many', async () => {
    const { user } = await setup(healthQuery({ instance: 'demo:8080' }));
    expect(screen.queryByText(TIME_SERIES_HINT)).not.toBeInTheDocument();
    await user.click(screen.getByRole('radio', { name: 'Time series' }));
    // One instance: no hint.
    expect(screen.queryByText(TIME_SERIES_HINT)).not.toBeInTheDocument();
    // All instances: the hint.
    await user.click(screen.getAllByTitle('Clear value')[0]);
    expect(screen.getByText('Time series shows one frame per instance: pick one instance')).toBeInTheDocument();
  });

  it('shows the time series hint for a wide instance regex', async () => {
    await setup(healthQuery({ format: 'time_series', job: 'demo', instance: 'demo-.*' }));
    expect(screen.getByText(TIME_SERIES_HINT)).toBeInTheDocument();
  });

  it('writes the P-level of critical alerts, and leaves it out when cleared', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    const list = await openList(user, 'Critical alerts');
    const options = within(list)
      .getAllByRole('option')
      .map((o) => o.textContent ?? '');
    expect(options[0]).toMatch(/^P0/);
    expect(options).toHaveLength(10);
    await user.click(within(list).getByText('P2'));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', format: 'table', alertCritical: 'P2' });
    await user.click(screen.getByTitle('Clear value'));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', format: 'table' });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it("shows the data source's defaults from health-signals as placeholders, with units", async () => {
    const { user, getResource } = await setup();
    await openThresholds(user);
    expect(getResource).toHaveBeenCalledWith('health-signals', {});
    // up takes no threshold.
    expect(screen.queryByLabelText('Up warning')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Latency p99 warning')).toHaveAttribute('placeholder', '0.2');
    expect(screen.getByLabelText('Latency p99 critical')).toHaveAttribute('placeholder', '0.4');
    expect(screen.getByLabelText('Goroutines critical')).toHaveAttribute('placeholder', '9000');
    // No default: none.
    expect(screen.getByLabelText('Request rate warning')).toHaveAttribute('placeholder', 'none');
    expect(screen.getAllByText('req/s')).toHaveLength(2);
    expect(screen.getAllByText('bytes')).toHaveLength(2);
    expect(screen.getAllByText('/s')).toHaveLength(2);
  });

  it('writes typed thresholds as numbers into thresholds, and runs the query on blur', async () => {
    const { user, lastQuery, onRunQuery } = await setup();
    await openThresholds(user);
    await user.type(screen.getByLabelText('Latency p99 warning'), '0.3');
    expect(lastQuery().thresholds).toEqual({ latency_p99: { warning: 0.3 } });
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText('Latency p99 critical'), '0.6');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(lastQuery()).toEqual({
      refId: 'A',
      queryType: 'health',
      format: 'table',
      thresholds: { latency_p99: { warning: 0.3, critical: 0.6 } },
    });
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    // Leaving an input that did not change runs nothing.
    await user.click(screen.getByLabelText('Goroutines warning'));
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    await user.type(screen.getByLabelText('Heap in use critical'), '2e9');
    expect(lastQuery().thresholds).toEqual({
      latency_p99: { warning: 0.3, critical: 0.6 },
      heap_inuse: { critical: 2e9 },
    });
    expect(screen.getByText('Thresholds (2 signals overridden)')).toBeInTheDocument();
  });

  it('flags a warning above the critical threshold and does not send it', async () => {
    const { user, lastQuery, onRunQuery } = await setup(
      healthQuery({ thresholds: { latency_p99: { warning: 0.3, critical: 0.6 } } })
    );
    const warning = await screen.findByLabelText('Latency p99 warning');
    expect(warning).toHaveValue('0.3');
    await user.clear(warning);
    await paste(user, 'Latency p99 warning', '0.9');
    expect(screen.getByText('Above the critical threshold (0.6)')).toBeInTheDocument();
    // The last valid overrides stay in the query; an invalid one is not run.
    expect(lastQuery().thresholds).toEqual({ latency_p99: { critical: 0.6 } });
    await user.tab();
    expect(onRunQuery).not.toHaveBeenCalled();
    // Raising the critical threshold makes the pair valid: both are sent.
    await user.clear(screen.getByLabelText('Latency p99 critical'));
    await user.type(screen.getByLabelText('Latency p99 critical'), '1');
    expect(screen.queryByText(/Above the critical threshold/)).not.toBeInTheDocument();
    expect(lastQuery().thresholds).toEqual({ latency_p99: { warning: 0.9, critical: 1 } });
  });

  it("flags a level that crosses the data source's default of the other level", async () => {
    const { user, onChange } = await setup();
    await openThresholds(user);
    await user.type(screen.getByLabelText('Latency p99 warning'), '5');
    expect(screen.getByText('Above the critical threshold (0.4, the default)')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Latency p99 warning'));
    await user.type(screen.getByLabelText('Goroutines critical'), '100');
    expect(screen.getByText('Below the warning threshold (2000, the default)')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('flags text and negative numbers and does not send them', async () => {
    const { user, onChange } = await setup();
    await openThresholds(user);
    await user.type(screen.getByLabelText('Error ratio warning'), 'five');
    expect(screen.getByText('Not a number')).toBeInTheDocument();
    await user.type(screen.getByLabelText('GC pause p99 critical'), '-1');
    expect(screen.getByText('Must not be negative')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('removes a cleared level, then the signal, then thresholds', async () => {
    const { user, lastQuery } = await setup(
      healthQuery({
        thresholds: { latency_p99: { warning: 0.3, critical: 0.6 }, goroutines: { warning: 100 } },
      })
    );
    expect(screen.getByText('Thresholds (2 signals overridden)')).toBeInTheDocument();
    await user.clear(await screen.findByLabelText('Latency p99 warning'));
    expect(lastQuery().thresholds).toEqual({ latency_p99: { critical: 0.6 }, goroutines: { warning: 100 } });
    await user.clear(screen.getByLabelText('Latency p99 critical'));
    expect(lastQuery().thresholds).toEqual({ goroutines: { warning: 100 } });
    await user.clear(screen.getByLabelText('Goroutines warning'));
    expect(lastQuery()).toEqual({ refId: 'A', queryType: 'health', format: 'table' });
    expect(screen.getByText('Thresholds')).toBeInTheDocument();
  });

  it('works with the built-in signals when health-signals fails, and says why', async () => {
    const { user, ds, lastQuery } = await setup(healthQuery(), {
      ...RESOURCES,
      'health-signals': () => {
        throw { status: 500, data: { error: 'boom' } };
      },
    });
    expect(ds).toBeDefined();
    await openThresholds(user);
    expect(
      screen.getByText("Could not load the data source's thresholds: boom. The placeholders are the built-in defaults.")
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Latency p99 warning')).toHaveAttribute('placeholder', '0.25');
    expect(screen.getByLabelText('Heap in use warning')).toHaveAttribute('placeholder', '536870912');
    await user.type(screen.getByLabelText('Error ratio critical'), '0.2');
    expect(lastQuery().thresholds).toEqual({ error_ratio: { critical: 0.2 } });
  });

  it("falls back to the data source's own settings for the defaults it knows", async () => {
    const { ds } = mockDataSource({ ...RESOURCES });
    Object.assign(ds, {
      jsonData: { healthAlertCritical: 'P3', healthThresholds: { latency_p99: { warning: 1 } } },
    });
    const { user } = await renderEditor(HealthQueryEditor, healthQuery(), ds);
    expect(screen.getByLabelText('Critical alerts')).toHaveAttribute('placeholder', 'Default (P3)');
    await openThresholds(user);
    expect(screen.getByLabelText('Latency p99 warning')).toHaveAttribute('placeholder', '1');
    expect(screen.getByLabelText('Latency p99 critical')).toHaveAttribute('placeholder', '0.5');
  });

  it('writes the health query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup({ refId: 'F', queryType: 'health', format: 'table' });
    await pick(user, 'Job', 'demo');
    await pick(user, 'Instance', 'demo:8080');
    await pick(user, 'Critical alerts', 'P2');
    await openThresholds(user);
    await user.type(screen.getByLabelText('Latency p99 warning'), '0.3');
    await user.type(screen.getByLabelText('Latency p99 critical'), '0.6');
    await user.type(screen.getByLabelText('Error ratio critical'), '0.1');
    await waitFor(() => expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'health')));
  });
});

describe('isWideInstance', () => {
  it('takes empty, regex operators and alternations as wide, a plain instance or a variable as one', () => {
    expect(isWideInstance(undefined)).toBe(true);
    expect(isWideInstance('')).toBe(true);
    expect(isWideInstance('.*')).toBe(true);
    expect(isWideInstance('a:1|b:1')).toBe(true);
    expect(isWideInstance('10.0.0.1:8080')).toBe(false);
    expect(isWideInstance('$instance')).toBe(false);
    expect(isWideInstance('${instance}')).toBe(false);
  });
});

describe('thresholdsFromTexts', () => {
  const signals = HEALTH_SIGNALS;
  it('keeps the previous value of an invalid signal and of signals the editor does not list', () => {
    const previous = { latency_p99: { warning: 0.3 }, custom: { critical: 1 } } as never;
    expect(
      thresholdsFromTexts(
        { latency_p99: { warning: 'x', critical: '' }, goroutines: { warning: '10', critical: '' } },
        previous,
        signals
      )
    ).toEqual({ goroutines: { warning: 10 }, latency_p99: { warning: 0.3 }, custom: { critical: 1 } });
  });

  it('gives undefined when nothing is set', () => {
    expect(
      thresholdsFromTexts({ goroutines: { warning: ' ', critical: '' } }, { goroutines: { warning: 1 } }, signals)
    ).toBeUndefined();
  });
});

describe('unitSuffix', () => {
  it('shows the unit of each signal', () => {
    expect(HEALTH_SIGNALS.map((s) => unitSuffix(s))).toEqual(['', '/s', 'bytes', 's', 'req/s', '0–1', 's']);
  });
});
