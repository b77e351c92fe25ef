import React from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { Alert, InlineField, RadioButtonGroup, Stack } from '@grafana/ui';

import type { DataSource } from '../datasource';
import {
  GoPulseOptions,
  GoPulseQuery,
  IMPLEMENTED_QUERY_TYPES,
  QUERY_TYPE_LABELS,
  QUERY_TYPES,
  QueryType,
} from '../types';
import { PromQLQueryEditor } from './PromQLQueryEditor';

type Props = QueryEditorProps<DataSource, GoPulseQuery, GoPulseOptions>;

const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = QUERY_TYPES.map((value) => ({
  value,
  label: QUERY_TYPE_LABELS[value],
  description: IMPLEMENTED_QUERY_TYPES.includes(value) ? undefined : 'Not available yet',
}));

const UNAVAILABLE_QUERY_TYPES = QUERY_TYPES.filter((t) => !IMPLEMENTED_QUERY_TYPES.includes(t));

export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  // A query saved without a queryType is a promql query.
  const queryType: QueryType = query.queryType ?? 'promql';

  // Every change the editors make carries the query type, so the saved model always has one.
  const onQueryChange = (q: GoPulseQuery) => {
    onChange({ ...q, queryType: q.queryType ?? queryType });
  };

  const onQueryTypeChange = (value: QueryType) => {
    onChange({ ...query, queryType: value });
    onRunQuery();
  };

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query type" labelWidth={14}>
        <RadioButtonGroup<QueryType>
          options={QUERY_TYPE_OPTIONS}
          disabledOptions={UNAVAILABLE_QUERY_TYPES}
          value={queryType}
          onChange={onQueryTypeChange}
          size="sm"
        />
      </InlineField>
      {queryType === 'promql' ? (
        <PromQLQueryEditor query={query} onChange={onQueryChange} onRunQuery={onRunQuery} />
      ) : (
        <Alert severity="info" title={`${QUERY_TYPE_LABELS[queryType] ?? queryType} queries are not available yet`}>
          This version of GoPulse answers PromQL queries only. Switch the query type to PromQL to edit this query.
        </Alert>
      )}
    </Stack>
  );
}
