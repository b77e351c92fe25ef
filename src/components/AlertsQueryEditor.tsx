import React, { ChangeEvent, useId } from 'react';
import {
  Checkbox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  Input,
  MultiCombobox,
  RadioButtonGroup,
  Stack,
} from '@grafana/ui';

import type { DataSource } from '../datasource';
import { ALERTS_FORMATS, ALERTS_SOURCES, AlertsFormat, AlertsSource, AlertState, GoPulseQuery } from '../types';
import { matchersError } from '../validation';
import { oneOf, setField, stringOptions, variableOptions } from './common/options';

export interface AlertsQueryEditorProps {
  query: GoPulseQuery;
  onChange: (query: GoPulseQuery) => void;
  onRunQuery: () => void;
  datasource: DataSource;
}

const LABEL_WIDTH = 14;

const SOURCE_OPTIONS: Array<{ value: AlertsSource; label: string; description: string }> = [
  { value: 'prometheus', label: 'Prometheus', description: "Prometheus's active alerts (its alerting rules)" },
  {
    value: 'alertmanager',
    label: 'Alertmanager',
    description: "Alertmanager's alerts: silenced, inhibited, receivers",
  },
  { value: 'both', label: 'Both', description: 'Prometheus and Alertmanager merged by label set' },
];

const FORMAT_OPTIONS: Array<{ value: AlertsFormat; label: string; description: string }> = [
  { value: 'table', label: 'Table', description: 'One row per alert, most urgent first' },
  { value: 'timeline', label: 'Timeline', description: 'State per step over the range (for the state timeline panel)' },
  { value: 'counts', label: 'Counts', description: 'Firing alerts per P-level (for stat panels and alert rules)' },
  { value: 'rules', label: 'Rules', description: "Prometheus's rule groups with health and last error" },
];

const STATES: Array<{ value: AlertState; label: string }> = [
  { value: 'firing', label: 'Firing' },
  { value: 'pending', label: 'Pending' },
];

/** The P-levels offered as severities; raw severity label values can be typed. */
export const SEVERITY_CHOICES = ['P0', 'P1', 'P2', 'P3'];

/**
 * The query with `state` checked or not. The states are written in a fixed order; both
 * checked is the default (firing and pending), which leaves `states` out.
 */
export function withState(query: GoPulseQuery, state: AlertState, checked: boolean): GoPulseQuery {
  const current = query.states?.length ? query.states : STATES.map((s) => s.value);
  const next = STATES.map((s) => s.value).filter((s) => (s === state ? checked : current.includes(s)));
  return setField(query, 'states', next.length === STATES.length ? undefined : next);
}

/**
 * Editor of an `alerts` query: the source (Prometheus; Alertmanager and both come with
 * Alertmanager support), the states, label matchers, severities (P-levels or raw severity
 * values) and the format (table). Writes `source`, `states`, `matchers`, `severities`, `format`.
 */
export function AlertsQueryEditor({ query, onChange, onRunQuery }: AlertsQueryEditorProps) {
  const id = useId();
  const source = oneOf(query.source, ALERTS_SOURCES, 'prometheus');
  const format = oneOf(query.format, ALERTS_FORMATS, 'table');
  const states = query.states?.length ? query.states : STATES.map((s) => s.value);
  const severities = query.severities ?? [];
  const severityOptions: Array<ComboboxOption<string>> = [
    ...stringOptions([...new Set([...SEVERITY_CHOICES, ...severities])]),
    ...variableOptions(),
  ];
  const matchersProblem = matchersError(query.matchers);

  const change = (q: GoPulseQuery) => {
    onChange(q);
    onRunQuery();
  };

  const onSeveritiesChange = (selected: Array<ComboboxOption<string>>) => {
    const picked = selected.map((o) => String(o.value).trim()).filter((v) => v !== '');
    change(setField(query, 'severities', [...new Set(picked)]));
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField label="Source" labelWidth={LABEL_WIDTH} tooltip="Where the alerts are read.">
          <RadioButtonGroup<AlertsSource>
            options={SOURCE_OPTIONS}
            value={source}
            onChange={(v) => change({ ...query, source: v })}
            size="sm"
          />
        </InlineField>
        <InlineField label="Format" labelWidth={10} tooltip="Shape of the returned frame.">
          <RadioButtonGroup<AlertsFormat>
            options={FORMAT_OPTIONS}
            value={format}
            onChange={(v) => change({ ...query, format: v })}
            size="sm"
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="States"
          labelWidth={LABEL_WIDTH}
          tooltip="The alert states to show: firing, pending (the condition holds, not yet for long enough), or both."
        >
          <Stack direction="row" gap={2} alignItems="center">
            {STATES.map(({ value, label }) => {
              const checked = states.includes(value);
              return (
                <Checkbox
                  key={value}
                  id={`${id}-state-${value}`}
                  label={label}
                  value={checked}
                  // At least one state: the last one checked stays.
                  disabled={checked && states.length === 1}
                  onChange={(e: ChangeEvent<HTMLInputElement>) =>
                    change(withState(query, value, e.currentTarget.checked))
                  }
                />
              );
            })}
          </Stack>
        </InlineField>
        <InlineField
          label="Severities"
          labelWidth={10}
          tooltip="P-levels (critical is P0, error P1, warning P2, info P3) or severity label values as written. Empty: all."
        >
          <MultiCombobox<string>
            id={`${id}-severities`}
            options={severityOptions}
            value={severities}
            createCustomValue
            isClearable
            placeholder="All severities"
            width="auto"
            minWidth={20}
            maxWidth={50}
            onChange={onSeveritiesChange}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineField
        label="Matchers"
        labelWidth={LABEL_WIDTH}
        grow
        tooltip='Prometheus label matchers on the labels of the alerts, without braces, e.g. alertname="HighLatency",instance=~"api-.*". Variables are allowed.'
        invalid={Boolean(matchersProblem)}
        error={matchersProblem}
      >
        <Input
          id={`${id}-matchers`}
          value={query.matchers ?? ''}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(setField(query, 'matchers', e.target.value))}
          onBlur={() => !matchersProblem && onRunQuery()}
          placeholder='severity="critical",instance=~"api-.*"'
          style={{ fontFamily: 'monospace' }}
        />
      </InlineField>
    </Stack>
  );
}
