import { screen } from '@testing-library/react';

import queries from '../testdata/queries.json';
import { mockDataSource, optionsOf, paste, pick, RESOURCES, renderEditor, settle } from '../test/utils';
import { DEFAULT_VARIABLE_QUERY, GoPulseQuery } from '../types';
import { cleanVariableQuery, VariableQueryEditor } from './VariableQueryEditor';

async function setup(initial: GoPulseQuery = DEFAULT_VARIABLE_QUERY, resources = RESOURCES) {
  const { ds, getResource } = mockDataSource(resources);
  return { ...(await renderEditor(VariableQueryEditor, initial, ds)), getResource };
}

const variable = (variableQuery: GoPulseQuery['variableQuery']): GoPulseQuery => ({
  refId: 'variable',
  queryType: 'variable',
  variableQuery,
});

describe('VariableQueryEditor', () => {
  it('starts as label values of job', async () => {
    await setup();
    expect(screen.getByRole('radio', { name: 'Label values' })).toBeChecked();
    expect(screen.getByLabelText('Label')).toHaveValue('job');
  });

  it('offers the label names of the labels resource and writes the picked label', async () => {
    const { user, lastQuery, onRunQuery, getResource } = await setup(variable({ kind: 'label_values' }));
    const options = await optionsOf(user, 'Label');
    expect(getResource).toHaveBeenCalledWith('labels', {});
    expect(options).toEqual(['code', 'instance', 'job', 'path']);
    await user.click(screen.getByText('instance'));
    await settle();
    expect(lastQuery()).toEqual(variable({ kind: 'label_values', label: 'instance' }));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('writes match when the field loses focus', async () => {
    const { user, onChange, lastQuery } = await setup(variable({ kind: 'label_values', label: 'instance' }));
    await paste(user, 'Match', 'up{job="$job"}');
    expect(onChange).not.toHaveBeenCalled();
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind: 'label_values', label: 'instance', match: 'up{job="$job"}' }));
  });

  it('writes label names with an optional match', async () => {
    const { user, lastQuery } = await setup();
    await user.click(screen.getByRole('radio', { name: 'Label names' }));
    expect(lastQuery()).toEqual(variable({ kind: 'label_names' }));
    expect(screen.queryByLabelText('Label')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Match'), 'go_info');
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind: 'label_names', match: 'go_info' }));
  });

  it('writes metric names with a regex', async () => {
    const { user, lastQuery } = await setup();
    await user.click(screen.getByRole('radio', { name: 'Metric names' }));
    expect(lastQuery()).toEqual(variable({ kind: 'metric_names' }));
    await user.type(screen.getByLabelText('Regex'), '^go_.*');
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind: 'metric_names', regex: '^go_.*' }));
  });

  it('writes a query result expression and regex', async () => {
    const { user, lastQuery } = await setup();
    await user.click(screen.getByRole('radio', { name: 'Query result' }));
    expect(screen.queryByLabelText('Match')).not.toBeInTheDocument();
    await paste(user, 'Expression', 'topk(3, sum by (path) (rate(http_requests_total[5m])))');
    await user.tab();
    await paste(user, 'Regex', 'path="([^"]+)"');
    await user.tab();
    expect(lastQuery()).toEqual(
      variable({
        kind: 'query_result',
        expr: 'topk(3, sum by (path) (rate(http_requests_total[5m])))',
        regex: 'path="([^"]+)"',
      })
    );
  });

  it.each([
    ['Alert names', 'alert_names'],
    ['Severities', 'severities'],
    ['Rule groups', 'rule_groups'],
  ] as const)('writes %s from the alerting rules with no other field but a regex', async (name, kind) => {
    const { user, lastQuery, onRunQuery } = await setup();
    await user.click(screen.getByRole('radio', { name }));
    expect(lastQuery()).toEqual(variable({ kind }));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.queryByLabelText('Label')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Match')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Expression')).not.toBeInTheDocument();
    await paste(user, 'Regex', '^(.+)$');
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind, regex: '^(.+)$' }));
  });

  it('writes expvar targets with no other field but a regex', async () => {
    const { user, lastQuery, getResource } = await setup();
    await user.click(screen.getByRole('radio', { name: 'Expvar targets' }));
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_targets' }));
    expect(screen.queryByLabelText('Label')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Target')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Match')).not.toBeInTheDocument();
    expect(getResource).not.toHaveBeenCalledWith('expvar-targets', expect.anything());
    await paste(user, 'Regex', '^demo');
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_targets', regex: '^demo' }));
  });

  it('writes expvar paths of every target, or of the target picked from the expvar-targets resource', async () => {
    const { user, lastQuery, onRunQuery, getResource } = await setup();
    await user.click(screen.getByRole('radio', { name: 'Expvar paths' }));
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_paths' }));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText('Target')).toHaveValue('');
    expect(screen.queryByLabelText('Match')).not.toBeInTheDocument();

    const options = await optionsOf(user, 'Target');
    expect(getResource).toHaveBeenCalledWith('expvar-targets', {});
    // Each target with the status of its last poll.
    expect(options).toEqual(['demoUp: 42 vars (demo:8080)', 'workerDown: connection refused']);
    await user.click(screen.getByText('worker'));
    await settle();
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_paths', label: 'worker' }));
    await paste(user, 'Regex', '^memstats\\.');
    await user.tab();
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_paths', label: 'worker', regex: '^memstats\\.' }));
  });

  it('shows the saved target of an expvar paths variable and clears it back to every target', async () => {
    const { user, lastQuery } = await setup(variable({ kind: 'expvar_paths', label: 'demo' }));
    expect(screen.getByRole('radio', { name: 'Expvar paths' })).toBeChecked();
    expect(screen.getByLabelText('Target')).toHaveValue('demo');
    await user.click(screen.getByTitle('Clear value'));
    await settle();
    expect(lastQuery()).toEqual(variable({ kind: 'expvar_paths' }));
  });

  it('reads a variable query saved as a Prometheus-style string', async () => {
    await setup('label_values(up{job="demo"}, instance)' as unknown as GoPulseQuery);
    expect(screen.getByRole('radio', { name: 'Label values' })).toBeChecked();
    expect(screen.getByLabelText('Label')).toHaveValue('instance');
    expect(screen.getByLabelText('Match')).toHaveValue('up{job="demo"}');
  });

  it('writes the variable query of src/testdata/queries.json', async () => {
    const { user, lastQuery } = await setup();
    await pick(user, 'Label', 'instance');
    await paste(user, 'Match', 'up{job="demo"}');
    await user.tab();
    expect(lastQuery()).toEqual(queries.find((q) => q.queryType === 'variable'));
  });
});

describe('cleanVariableQuery', () => {
  it('keeps only the fields of the kind, without empty ones', () => {
    expect(cleanVariableQuery({ kind: 'metric_names', label: 'job', match: '', regex: 'go_.*', expr: 'up' })).toEqual({
      kind: 'metric_names',
      regex: 'go_.*',
    });
    expect(cleanVariableQuery({ kind: 'query_result', label: 'job', match: 'up', expr: 'up' })).toEqual({
      kind: 'query_result',
      expr: 'up',
    });
    expect(cleanVariableQuery({ kind: 'rule_groups', label: 'job', match: 'up', regex: '^api' })).toEqual({
      kind: 'rule_groups',
      regex: '^api',
    });
    expect(cleanVariableQuery({ kind: 'expvar_paths', label: 'demo', match: 'up', expr: 'up' })).toEqual({
      kind: 'expvar_paths',
      label: 'demo',
    });
    expect(cleanVariableQuery({ kind: 'expvar_targets', label: 'demo', regex: '^d' })).toEqual({
      kind: 'expvar_targets',
      regex: '^d',
    });
  });
});
