import React, { ChangeEvent, useId, useState } from 'react';
import {
  Button,
  Checkbox,
  Combobox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  MultiCombobox,
  Stack,
} from '@grafana/ui';

import {
  ALERT_STATES,
  ALERTS_FORMATS,
  ALERTS_SOURCES,
  AlertsFormat,
  AlertsSource,
  AlertState,
  GoPulseQuery,
} from '../types';
import { escapePromQLString } from '../validation';
import { enumOptions, loadError, oneOf, setField, stringOptions, variableOptions } from './common/options';
import { useResource } from './common/useResource';
import type { TypeEditorProps } from './common/editorProps';
import { ChoiceField } from './common/ChoiceField';
import { MatchersField } from './common/MatchersField';

export type AlertsQueryEditorProps = TypeEditorProps;

const LABEL_WIDTH = 14;

const SOURCE_OPTIONS = enumOptions(ALERTS_SOURCES, {
  prometheus: { label: 'Prometheus', description: "Prometheus's active alerts (its alerting rules)" },
  alertmanager: { label: 'Alertmanager', description: "Alertmanager's alerts: silenced, inhibited, receivers" },
  both: { label: 'Both', description: 'Prometheus and Alertmanager merged by label set' },
});

const FORMAT_OPTIONS = enumOptions(ALERTS_FORMATS, {
  table: { label: 'Table', description: 'One row per alert, most urgent first' },
  timeline: { label: 'Timeline', description: 'State per step over the range (for the state timeline panel)' },
  counts: { label: 'Counts', description: 'Firing alerts per P-level (for stat panels and alert rules)' },
  rules: { label: 'Rules', description: "Prometheus's rule groups with health and last error" },
});

const STATES = enumOptions(ALERT_STATES, { firing: { label: 'Firing' }, pending: { label: 'Pending' } });

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

/** The series whose labels the matcher helper offers: Prometheus's active alerts. */
export const ALERTS_SERIES = 'ALERTS';

/** Alert labels the matcher helper always offers, first. */
export const MATCHER_LABELS = ['alertname', 'severity', 'instance', 'job'];

// Labels of the ALERTS series that are not labels of the alerts themselves.
const NOT_ALERT_LABELS = ['__name__', 'alertstate'];

/**
 * The matcher list with `name="value"` appended (the value escaped for a double-quoted
 * PromQL string), after a comma when the list is not empty.
 */
export function withMatcher(matchers: string | undefined, name: string, value: string): string {
  const matcher = `${name}="${escapePromQLString(value)}"`;
  const current = (matchers ?? '').trim().replace(/,\s*$/, '');
  return current === '' ? matcher : `${current},${matcher}`;
}

/**
 * Editor of an `alerts` query: the source (Prometheus; Alertmanager and both come with
 * Alertmanager support), the states, label matchers, severities (P-levels or raw severity
 * values) and the format (table). Writes `source`, `states`, `matchers`, `severities`, `format`.
 * A helper next to the matchers appends `name="value"`, picked from the labels of the
 * `ALERTS` series (`labels?match[]=ALERTS`, `label-values?label=NAME&match[]=ALERTS`).
 */
export function AlertsQueryEditor({ query, onChange, onRunQuery, datasource }: AlertsQueryEditorProps) {
  const id = useId();
  const source = oneOf(query.source, ALERTS_SOURCES, 'prometheus');
  const format = oneOf(query.format, ALERTS_FORMATS, 'table');
  const states = query.states?.length ? query.states : STATES.map((s) => s.value);
  const severities = query.severities ?? [];
  const variables = variableOptions();
  const variableValues = new Set(variables.map((o) => o.value));
  // A picked variable is listed once, among the variables.
  const severityOptions: Array<ComboboxOption<string>> = [
    ...stringOptions([...new Set([...SEVERITY_CHOICES, ...severities])].filter((v) => !variableValues.has(v))),
    ...variables,
  ];

  // The matcher helper: a label of the alerts and one of its values.
  const [matcherLabel, setMatcherLabel] = useState<string | null>(null);
  const [matcherValue, setMatcherValue] = useState<string | null>(null);
  const alertLabels = useResource('alert-labels', () => datasource.fetchLabelNames(ALERTS_SERIES), [] as string[]);
  const alertValues = useResource(
    `alert-label-values:${matcherLabel ?? ''}`,
    matcherLabel ? () => datasource.fetchLabelValues(matcherLabel, ALERTS_SERIES) : undefined,
    [] as string[]
  );
  const labelOptions = stringOptions(
    [...new Set([...MATCHER_LABELS, ...alertLabels.value])].filter((l) => !NOT_ALERT_LABELS.includes(l))
  );
  const valueOptions: Array<ComboboxOption<string>> = [...stringOptions(alertValues.value), ...variableOptions()];

  const addMatcher = () => {
    if (!matcherLabel || matcherValue === null) {
      return;
    }
    change(setField(query, 'matchers', withMatcher(query.matchers, matcherLabel, matcherValue)));
    setMatcherValue(null);
  };

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
        <ChoiceField<AlertsSource>
          label="Source"
          labelWidth={LABEL_WIDTH}
          tooltip="Where the alerts are read."
          options={SOURCE_OPTIONS}
          value={source}
          onChange={(v) => change({ ...query, source: v })}
        />
        <ChoiceField<AlertsFormat>
          label="Format"
          labelWidth={10}
          tooltip="Shape of the returned frame."
          options={FORMAT_OPTIONS}
          value={format}
          onChange={(v) => change({ ...query, format: v })}
        />
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
          labelWidth={12}
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
      <InlineFieldRow>
        <MatchersField
          id={`${id}-matchers`}
          labelWidth={LABEL_WIDTH}
          tooltip='Prometheus label matchers on the labels of the alerts, without braces, e.g. alertname="HighLatency",instance=~"api-.*". Variables are allowed.'
          placeholder='severity="critical",instance=~"api-.*"'
          value={query.matchers}
          onChange={(matchers) => onChange(setField(query, 'matchers', matchers))}
          onRunQuery={onRunQuery}
        />
        <InlineField
          label="Label"
          labelWidth={8}
          tooltip="Build a matcher: a label of the active alerts (the ALERTS series) and one of its values."
          error={loadError('alert labels', alertLabels.error)}
          invalid={Boolean(alertLabels.error)}
        >
          <Combobox<string>
            id={`${id}-matcher-label`}
            options={labelOptions}
            value={matcherLabel}
            loading={alertLabels.loading}
            createCustomValue
            placeholder="Label"
            width={20}
            onChange={(o: ComboboxOption<string>) => {
              setMatcherLabel(o.value);
              setMatcherValue(null);
            }}
          />
        </InlineField>
        <InlineField
          label="Value"
          labelWidth={8}
          error={loadError('label values', alertValues.error)}
          invalid={Boolean(alertValues.error)}
        >
          <Combobox<string>
            id={`${id}-matcher-value`}
            options={valueOptions}
            value={matcherValue}
            loading={alertValues.loading}
            disabled={!matcherLabel}
            createCustomValue
            placeholder="Value"
            width={24}
            onChange={(o: ComboboxOption<string>) => setMatcherValue(o.value)}
          />
        </InlineField>
        <Button
          variant="secondary"
          icon="plus"
          disabled={!matcherLabel || matcherValue === null}
          onClick={addMatcher}
          tooltip='Append label="value" to the matchers and run the query'
        >
          Add
        </Button>
      </InlineFieldRow>
    </Stack>
  );
}
