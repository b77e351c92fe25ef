import React from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { Alert, Stack } from '@grafana/ui';

import type { DataSource } from '../datasource';
import {
  GoPulseOptions,
  GoPulseQuery,
  QUERY_TYPE_DEFAULTS,
  QUERY_TYPE_LABELS,
  QUERY_TYPE_VALUES,
  QUERY_TYPES,
  QueryType,
} from '../types';
import { AlertsQueryEditor } from './AlertsQueryEditor';
import { BusinessQueryEditor } from './BusinessQueryEditor';
import { ExpvarQueryEditor } from './ExpvarQueryEditor';
import { HealthQueryEditor } from './HealthQueryEditor';
import { PromQLQueryEditor } from './PromQLQueryEditor';
import { RuntimeQueryEditor } from './RuntimeQueryEditor';
import { ChoiceField } from './common/ChoiceField';

type Props = QueryEditorProps<DataSource, GoPulseQuery, GoPulseOptions>;

const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = QUERY_TYPES.map((value) => ({
  value,
  label: QUERY_TYPE_LABELS[value],
}));

/**
 * The query switched to another type: the old type's fields that still hold their defaults
 * are dropped, the ones the user set are kept (switching back restores them), and the new
 * type's defaults are added where unset. A kept field that several types share (`source`,
 * `format`) and whose value the new type does not know gets the new type's default.
 */
export function switchQueryType(query: GoPulseQuery, to: QueryType): GoPulseQuery {
  const out: Record<string, unknown> = { ...query };
  const from = query.queryType ?? 'promql';
  for (const [key, value] of Object.entries(QUERY_TYPE_DEFAULTS[from] ?? {})) {
    // A list default (expvar paths) is compared by its entries: a saved query holds a copy.
    if (JSON.stringify(out[key]) === JSON.stringify(value)) {
      delete out[key];
    }
  }
  const known: Partial<Record<string, readonly unknown[]>> = QUERY_TYPE_VALUES[to] ?? {};
  for (const [key, value] of Object.entries(QUERY_TYPE_DEFAULTS[to] ?? {})) {
    if (out[key] === undefined || !(known[key]?.includes(out[key]) ?? true)) {
      out[key] = Array.isArray(value) ? [...value] : value;
    }
  }
  return { ...(out as unknown as GoPulseQuery), queryType: to };
}

/** The query type picker and the editor of the chosen type. */
export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  // A query saved without a queryType is a promql query.
  const queryType: QueryType = query.queryType ?? 'promql';

  // Every change the editors make carries the query type, so the saved model always has one.
  const onQueryChange = (q: GoPulseQuery) => {
    onChange({ ...q, queryType: q.queryType ?? queryType });
  };

  const onQueryTypeChange = (value: QueryType) => {
    onChange(switchQueryType(query, value));
    onRunQuery();
  };

  const editorProps = { query, onChange: onQueryChange, onRunQuery, datasource };
  let editor: React.ReactNode;
  switch (queryType) {
    case 'promql':
      editor = <PromQLQueryEditor {...editorProps} />;
      break;
    case 'runtime':
      editor = <RuntimeQueryEditor {...editorProps} />;
      break;
    case 'business':
      editor = <BusinessQueryEditor {...editorProps} />;
      break;
    case 'expvar':
      editor = <ExpvarQueryEditor {...editorProps} />;
      break;
    case 'alerts':
      editor = <AlertsQueryEditor {...editorProps} />;
      break;
    case 'health':
      editor = <HealthQueryEditor {...editorProps} />;
      break;
    case 'variable':
      editor = (
        <Alert severity="info" title="This is a template variable query">
          It lists the values of a dashboard variable. Switch the query type to edit it as a panel query.
        </Alert>
      );
      break;
    default:
      editor = (
        <Alert severity="info" title={`Unknown query type "${queryType}"`}>
          GoPulse answers PromQL, Go runtime, business, expvar, alerts and health queries. Switch the query type to edit
          this query.
        </Alert>
      );
  }

  return (
    <Stack direction="column" gap={1}>
      <ChoiceField<QueryType>
        label="Query type"
        labelWidth={14}
        options={QUERY_TYPE_OPTIONS}
        value={queryType}
        onChange={onQueryTypeChange}
      />
      {editor}
    </Stack>
  );
}
