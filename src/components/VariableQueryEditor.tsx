import React, { ChangeEvent, useId, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, Input, RadioButtonGroup, Stack, TextArea } from '@grafana/ui';

import type { DataSource } from '../datasource';
import {
  ExpvarTarget,
  GoPulseOptions,
  GoPulseQuery,
  VARIABLE_QUERY_KINDS,
  VariableQuery,
  VariableQueryKind,
} from '../types';
import { toVariableQuery } from '../variables';
import { enumOptions, loadError, stringOptions } from './common/options';
import { useResource } from './common/useResource';
import { targetStatus } from './ExpvarQueryEditor';

type Props = QueryEditorProps<DataSource, GoPulseQuery, GoPulseOptions, GoPulseQuery>;

const LABEL_WIDTH = 14;

const KIND_OPTIONS = enumOptions(VARIABLE_QUERY_KINDS, {
  label_values: { label: 'Label values', description: 'The values of a label, optionally of matching series' },
  label_names: { label: 'Label names', description: 'Label names, optionally of matching series' },
  metric_names: { label: 'Metric names', description: 'Metric names, optionally of matching series' },
  query_result: { label: 'Query result', description: 'One line per series of an instant query' },
  alert_names: { label: 'Alert names', description: "The alert names of Prometheus's alerting rules" },
  severities: { label: 'Severities', description: "The severity label values of Prometheus's alerting rules" },
  rule_groups: { label: 'Rule groups', description: "The names of Prometheus's rule groups" },
  expvar_targets: { label: 'Expvar targets', description: 'The names of the expvar targets' },
  expvar_paths: {
    label: 'Expvar paths',
    description: "The paths of an expvar target's variables (of every target when none is chosen)",
  },
});

const REGEX_PLACEHOLDERS: Record<VariableQueryKind, string> = {
  label_values: '^demo.*',
  label_names: '^[a-z].*',
  metric_names: '^go_.*',
  query_result: 'path="([^"]+)"',
  alert_names: '^High.*',
  severities: '^(critical|warning)$',
  rule_groups: '^api.*',
  expvar_targets: '^demo.*',
  expvar_paths: '^memstats\\.',
};

/** The fields each kind uses; the others are left out of the saved query. */
const KIND_FIELDS: Record<VariableQueryKind, Array<keyof Omit<VariableQuery, 'kind'>>> = {
  label_values: ['label', 'match', 'regex'],
  label_names: ['match', 'regex'],
  metric_names: ['match', 'regex'],
  query_result: ['expr', 'regex'],
  alert_names: ['regex'],
  severities: ['regex'],
  rule_groups: ['regex'],
  expvar_targets: ['regex'],
  expvar_paths: ['label', 'regex'],
};

/** The variable query with only the fields of its kind, and no empty ones. */
export function cleanVariableQuery(v: VariableQuery): VariableQuery {
  const out: VariableQuery = { kind: v.kind };
  for (const f of KIND_FIELDS[v.kind] ?? []) {
    const value = v[f];
    if (value !== undefined && value !== '') {
      out[f] = value;
    }
  }
  return out;
}

/**
 * Editor of a template variable's query. It writes a normal backend query:
 * `{refId, queryType: 'variable', variableQuery: {kind, label?, match?, regex?, expr?}}`.
 */
export function VariableQueryEditor({ query: saved, onChange, onRunQuery, datasource }: Props) {
  const id = useId();
  const query = toVariableQuery(saved);
  const v: VariableQuery = query.variableQuery ?? { kind: 'label_values' };
  // Text fields are written when they lose focus: each write refreshes the variable.
  const [draft, setDraft] = useState<VariableQuery>(v);
  const labels = useResource(
    'labels',
    v.kind === 'label_values' ? () => datasource.fetchLabelNames() : undefined,
    [] as string[]
  );
  const targets = useResource(
    'expvar-targets',
    v.kind === 'expvar_paths' ? () => datasource.fetchExpvarTargets() : undefined,
    [] as ExpvarTarget[]
  );
  // A saved target the resource no longer lists is still shown.
  const targetOptions: Array<ComboboxOption<string>> = [
    ...targets.value.map((t) => ({ value: t.target, label: t.target, description: targetStatus(t) })),
    ...(v.label && !targets.value.some((t) => t.target === v.label) ? [{ value: v.label, label: v.label }] : []),
  ];

  const write = (next: VariableQuery) => {
    const clean = cleanVariableQuery(next);
    setDraft(clean);
    onChange({ ...query, queryType: 'variable', variableQuery: clean });
    onRunQuery();
  };
  const text = (field: 'match' | 'regex' | 'expr') => ({
    value: draft[field] ?? '',
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      setDraft({ ...draft, [field]: e.target.value }),
    onBlur: () => {
      if ((draft[field] ?? '') !== (v[field] ?? '')) {
        write({ ...v, [field]: draft[field] });
      }
    },
  });

  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Query" labelWidth={LABEL_WIDTH} tooltip="What the variable lists.">
        <RadioButtonGroup<VariableQueryKind>
          options={KIND_OPTIONS}
          value={v.kind}
          // `label` is a label name to label_values and a target to expvar_paths: not kept across kinds.
          onChange={(kind) => write({ ...draft, kind, label: undefined })}
        />
      </InlineField>
      {v.kind === 'label_values' && (
        <InlineField
          label="Label"
          labelWidth={LABEL_WIDTH}
          tooltip="The label whose values the variable lists, e.g. job or instance."
          error={loadError('label names', labels.error)}
          invalid={Boolean(labels.error)}
        >
          <Combobox<string>
            id={`${id}-label`}
            options={stringOptions(labels.value.filter((l) => l !== '__name__'))}
            value={v.label ?? null}
            loading={labels.loading}
            createCustomValue
            placeholder="Choose a label"
            width={40}
            onChange={(o: ComboboxOption<string>) => write({ ...v, label: o.value })}
          />
        </InlineField>
      )}
      {v.kind === 'expvar_paths' && (
        <InlineField
          label="Target"
          labelWidth={LABEL_WIDTH}
          tooltip="The expvar target whose variables the variable lists. Empty: the variables of every target."
          error={loadError('expvar targets', targets.error)}
          invalid={Boolean(targets.error)}
        >
          <Combobox<string>
            id={`${id}-target`}
            options={targetOptions}
            value={v.label ?? null}
            loading={targets.loading}
            createCustomValue
            isClearable
            placeholder="All targets"
            width={40}
            onChange={(o: ComboboxOption<string> | null) => write({ ...v, label: o?.value })}
          />
        </InlineField>
      )}
      {KIND_FIELDS[v.kind]?.includes('match') && (
        <InlineField
          label="Match"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip='Optional series selector: only series it matches count, e.g. up{job="$job"}.'
        >
          <Input
            id={`${id}-match`}
            placeholder='up{job="$job"}'
            style={{ fontFamily: 'monospace' }}
            {...text('match')}
          />
        </InlineField>
      )}
      {v.kind === 'query_result' && (
        <InlineField
          label="Expression"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip="A PromQL expression, evaluated as an instant query at the end of the time range: one value per series."
        >
          <TextArea
            id={`${id}-expr`}
            rows={2}
            placeholder='topk(5, sum by (path) (rate(http_requests_total{job="$job"}[5m])))'
            spellCheck={false}
            style={{ fontFamily: 'monospace' }}
            {...text('expr')}
          />
        </InlineField>
      )}
      <InlineField
        label="Regex"
        labelWidth={LABEL_WIDTH}
        grow
        tooltip={
          'Optional RE2 regex, bare or as /.../: keeps the values it matches (anywhere in the value); ' +
          'its first capture group, if any, becomes the value. A query result line reads: series value timestamp.'
        }
      >
        <Input
          id={`${id}-regex`}
          placeholder={REGEX_PLACEHOLDERS[v.kind]}
          style={{ fontFamily: 'monospace' }}
          {...text('regex')}
        />
      </InlineField>
    </Stack>
  );
}
