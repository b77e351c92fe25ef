import React, { ChangeEvent, lazy, Suspense, useId } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, Input, Stack, TextArea } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { GoPulseQuery, PROMQL_FORMATS, PromQLFormat } from '../types';
import { durationError } from '../validation';
import { enumOptions, oneOf } from './common/options';
import { ChoiceField } from './common/ChoiceField';

// CodeMirror and the PromQL grammar are most of the plugin's JavaScript: loaded on first use.
const PromQLCodeEditor = lazy(() => import(/* webpackChunkName: "promql-editor" */ './promql/PromQLCodeEditor'));

export interface PromQLQueryEditorProps {
  query: GoPulseQuery;
  onChange: (query: GoPulseQuery) => void;
  onRunQuery: () => void;
  /** Source of autocomplete; without it the expression field only highlights. */
  datasource?: DataSource;
}

const LABEL_WIDTH = 14;

export const FORMAT_OPTIONS: Array<ComboboxOption<PromQLFormat>> = enumOptions(PROMQL_FORMATS, {
  time_series: { label: 'Time series' },
  table: { label: 'Table' },
  heatmap: { label: 'Heatmap', description: 'Histogram buckets as a heatmap' },
});

type QueryKind = 'range' | 'instant' | 'both';

const KIND_OPTIONS: Array<{ value: QueryKind; label: string; description: string }> = [
  { value: 'range', label: 'Range', description: "Over the panel's time range" },
  { value: 'instant', label: 'Instant', description: "At the end of the panel's time range" },
  { value: 'both', label: 'Both', description: 'A range and an instant query' },
];

/** range (default true) and instant (default false) as one choice; neither counts as range. */
export function queryKind(query: Pick<GoPulseQuery, 'range' | 'instant'>): QueryKind {
  const range = query.range ?? true;
  const instant = query.instant ?? false;
  if (range && instant) {
    return 'both';
  }
  return instant ? 'instant' : 'range';
}

/**
 * Editor of a `promql` query: expression (CodeMirror, PromQL highlighting and autocomplete
 * from the data source's resources), legend format, min step, format and range/instant.
 * Runs the query when a field loses focus or a choice changes.
 */
export function PromQLQueryEditor({ query, onChange, onRunQuery, datasource }: PromQLQueryEditorProps) {
  const id = useId();
  const minStepError = durationError(query.minStep);

  const onExprChange = (expr: string) => onChange({ ...query, expr });
  const onLegendFormatChange = (event: ChangeEvent<HTMLInputElement>) => {
    onChange({ ...query, legendFormat: event.target.value });
  };
  const onMinStepChange = (event: ChangeEvent<HTMLInputElement>) => {
    onChange({ ...query, minStep: event.target.value });
  };
  const onMinStepBlur = () => {
    // An invalid step would only come back as an error: wait until it is fixed.
    if (!minStepError) {
      onRunQuery();
    }
  };
  const onFormatChange = (option: ComboboxOption<PromQLFormat>) => {
    onChange({ ...query, format: option.value });
    onRunQuery();
  };
  const onKindChange = (kind: QueryKind) => {
    onChange({ ...query, range: kind !== 'instant', instant: kind !== 'range' });
    onRunQuery();
  };

  const placeholder = 'e.g. rate(go_gc_duration_seconds_count{job="api"}[$__rate_interval])';

  return (
    <Stack direction="column" gap={0}>
      <InlineField
        label="Expression"
        labelWidth={LABEL_WIDTH}
        grow
        tooltip="A PromQL expression. Shift+Enter runs the query. Macros: $__interval, $__range, $__rate_interval."
      >
        <Suspense
          fallback={
            // Usable while the code editor loads.
            <TextArea
              id={`${id}-expr`}
              aria-label="Expression"
              value={query.expr ?? ''}
              onChange={(e: ChangeEvent<HTMLTextAreaElement>) => onExprChange(e.target.value)}
              onBlur={onRunQuery}
              rows={2}
              placeholder={placeholder}
              spellCheck={false}
              style={{ fontFamily: 'monospace' }}
            />
          }
        >
          <PromQLCodeEditor
            value={query.expr ?? ''}
            onChange={onExprChange}
            onBlur={onRunQuery}
            onRunQuery={onRunQuery}
            resources={datasource}
            placeholder={placeholder}
            ariaLabel="Expression"
          />
        </Suspense>
      </InlineField>
      <InlineFieldRow>
        <InlineField
          label="Legend"
          labelWidth={LABEL_WIDTH}
          tooltip="Series name template: {{label}} is replaced by the value of that label, e.g. {{instance}}. Empty: the series labels."
        >
          <Input
            id={`${id}-legend`}
            value={query.legendFormat ?? ''}
            onChange={onLegendFormatChange}
            onBlur={onRunQuery}
            placeholder="{{instance}}"
            width={24}
          />
        </InlineField>
        <InlineField
          label="Min step"
          labelWidth={12}
          tooltip="Lower bound of the query step: a duration like 15s or 1m30s, or a number of seconds. Empty: no lower bound."
          invalid={Boolean(minStepError)}
          error={minStepError}
        >
          <Input
            id={`${id}-min-step`}
            value={query.minStep ?? ''}
            onChange={onMinStepChange}
            onBlur={onMinStepBlur}
            placeholder="15s"
            width={12}
          />
        </InlineField>
        <InlineField label="Format" labelWidth={10} tooltip="Shape of the returned frames.">
          <Combobox<PromQLFormat>
            id={`${id}-format`}
            options={FORMAT_OPTIONS}
            value={oneOf(query.format, PROMQL_FORMATS, 'time_series')}
            onChange={onFormatChange}
            width={16}
          />
        </InlineField>
        <ChoiceField<QueryKind>
          label="Type"
          labelWidth={8}
          tooltip="Range, instant, or both (two sets of frames)."
          options={KIND_OPTIONS}
          value={queryKind(query)}
          onChange={onKindChange}
        />
      </InlineFieldRow>
    </Stack>
  );
}
