import { DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { of } from 'rxjs';

import { mockDataSource } from './test/utils';
import { DEFAULT_VARIABLE_QUERY, GoPulseQuery } from './types';
import { GoPulseVariableSupport, parseVariableQueryString, toVariableQuery } from './variables';

describe('parseVariableQueryString', () => {
  it.each([
    ['label_values(job)', { kind: 'label_values', label: 'job' }],
    [
      ' label_values( up{job="demo", path=~"/a,b"} , instance ) ',
      { kind: 'label_values', label: 'instance', match: 'up{job="demo", path=~"/a,b"}' },
    ],
    ['label_names()', { kind: 'label_names' }],
    ['label_names(go_info)', { kind: 'label_names', match: 'go_info' }],
    ['metrics(go_.*)', { kind: 'metric_names', regex: 'go_.*' }],
    ['metrics()', { kind: 'metric_names' }],
    [
      'query_result(topk(5, sum by (path) (rate(x[5m]))))',
      { kind: 'query_result', expr: 'topk(5, sum by (path) (rate(x[5m])))' },
    ],
    ['up{job="demo"}', { kind: 'query_result', expr: 'up{job="demo"}' }],
    ['', { kind: 'label_values' }],
  ])('reads %p', (s, want) => {
    expect(parseVariableQueryString(s)).toEqual(want);
  });
});

describe('toVariableQuery', () => {
  it('keeps a saved variable query and its refId', () => {
    const q: GoPulseQuery = { refId: 'X', queryType: 'variable', variableQuery: { kind: 'label_names' } };
    expect(toVariableQuery(q)).toEqual(q);
  });

  it('turns a string or a legacy {query} object into a variable query', () => {
    expect(toVariableQuery('label_values(job)')).toEqual({
      refId: 'variable',
      queryType: 'variable',
      variableQuery: { kind: 'label_values', label: 'job' },
    });
    expect(toVariableQuery({ refId: 'A', query: 'metrics(go_.*)' } as unknown as GoPulseQuery)).toEqual({
      refId: 'A',
      queryType: 'variable',
      variableQuery: { kind: 'metric_names', regex: 'go_.*' },
    });
  });

  it('gives the default query for nothing saved', () => {
    expect(toVariableQuery(undefined)).toEqual(DEFAULT_VARIABLE_QUERY);
  });
});

describe('GoPulseVariableSupport', () => {
  it('is the data source variable support, with the variable editor and default query', () => {
    const { ds } = mockDataSource();
    expect(ds.variables).toBeInstanceOf(GoPulseVariableSupport);
    const support = ds.variables as GoPulseVariableSupport;
    expect(support.getDefaultQuery()).toEqual(DEFAULT_VARIABLE_QUERY);
    expect(support.editor).toBeDefined();
  });

  it('runs the variable query as a normal backend query of type variable', () => {
    const { ds } = mockDataSource();
    const answer: DataQueryResponse = { data: [] };
    const query = jest.spyOn(ds, 'query').mockReturnValue(of(answer));
    const support = ds.variables as GoPulseVariableSupport;
    const request = {
      requestId: 'r',
      targets: ['label_values(up, instance)' as unknown as GoPulseQuery],
    } as DataQueryRequest<GoPulseQuery>;
    let got: DataQueryResponse | undefined;
    support.query(request).subscribe((r) => (got = r));
    expect(got).toBe(answer);
    expect(query).toHaveBeenCalledWith({
      requestId: 'r',
      targets: [
        {
          refId: 'variable',
          queryType: 'variable',
          variableQuery: { kind: 'label_values', label: 'instance', match: 'up' },
        },
      ],
    });
  });
});
