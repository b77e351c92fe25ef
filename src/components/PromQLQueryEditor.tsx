import React, { ChangeEvent, useId } from 'react';
import { InlineField, InlineFieldRow, Input, Stack, TextArea } from '@grafana/ui';

import { GoPulseQuery } from '../types';
import { durationError } from '../validation';

export interface PromQLQueryEditorProps {
  query: GoPulseQuery;
  onChange: (query: GoPulseQuery) => void;
  onRunQuery: () => void;
}

const LABEL_WIDTH = 14;

/** Editor of a `promql` query: expression, legend format and min step. Runs the query on blur. */
export function PromQLQueryEditor({ query, onChange, onRunQuery }: PromQLQueryEditorProps) {
  const id = useId();
  const minStepError = durationError(query.minStep);

  const onExprChange = (event: ChangeEvent<HTMLTextAreaElement>) => {
    onChange({ ...query, expr: event.target.value });
  };
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

  return (
    <Stack direction="column" gap={0}>
      <InlineField
        label="Expression"
        labelWidth={LABEL_WIDTH}
        grow
        tooltip="A PromQL expression, evaluated as a range query over the panel's time range."
      >
        <TextArea
          id={`${id}-expr`}
          value={query.expr ?? ''}
          onChange={onExprChange}
          onBlur={onRunQuery}
          rows={3}
          placeholder='e.g. rate(go_gc_duration_seconds_count{job="api"}[5m])'
          spellCheck={false}
          style={{ fontFamily: 'monospace' }}
        />
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
            width={30}
          />
        </InlineField>
        <InlineField
          label="Min step"
          labelWidth={LABEL_WIDTH}
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
            width={16}
          />
        </InlineField>
      </InlineFieldRow>
    </Stack>
  );
}
