import React, { ChangeEvent, useId, useMemo, useState } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, Input, MultiCombobox, Stack } from '@grafana/ui';

import { AGGREGATIONS, Aggregation, DEFAULT_QUANTILES, GoPulseQuery, MetricMetadata } from '../types';
import { escapePromQLRegex, integerRangeError, promQLSelector, quantileError } from '../validation';
import { FieldHint } from './common/FieldHint';
import { loadError, setField, stringOptions } from './common/options';
import { Scope, ScopeFields } from './common/ScopeFields';
import { useResource } from './common/useResource';
import type { TypeEditorProps } from './common/editorProps';
import { ChoiceField } from './common/ChoiceField';
import { MatchersField } from './common/MatchersField';

export type BusinessQueryEditorProps = TypeEditorProps;

const LABEL_WIDTH = 14;
export const MAX_TOP_N = 10000;

const AGGREGATION_OPTIONS = AGGREGATIONS.map((value) => ({ value, label: value }));

const QUANTILE_CHOICES = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

/** Labels that grouping by makes no sense for: reserved ones, and what histograms and summaries use internally. */
const groupable = (label: string) => !label.startsWith('__') && label !== 'le' && label !== 'quantile';

/** Metric types whose query takes quantiles. */
export const hasQuantiles = (type: string | undefined) => type === 'histogram' || type === 'summary';

/** One option per metric (metadata may list a metric once per target), with its type and help. */
export function metricOptions(metadata: MetricMetadata[]): Array<ComboboxOption<string>> {
  const seen = new Set<string>();
  const out: Array<ComboboxOption<string>> = [];
  for (const m of metadata) {
    if (!m?.metric || seen.has(m.metric)) {
      continue;
    }
    seen.add(m.metric);
    out.push({ value: m.metric, label: m.metric, description: [m.type, m.help].filter(Boolean).join(': ') });
  }
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

/**
 * The series selector whose label names the group-by picker offers: a histogram's buckets
 * or its native series, a counter with or without its `_total` suffix (metadata names it
 * either way), else the metric itself (quoted when its name is not classic).
 */
export function groupBySelector(metric: string, type: string | undefined): string {
  // A variable ($metric) is replaced later, by the data source.
  const name = metric.includes('$') ? metric : escapePromQLRegex(metric);
  switch (type) {
    case 'histogram':
      return `{__name__=~"${name}(_bucket)?"}`;
    case 'counter':
      return `{__name__=~"${name}(_total)?"}`;
    default:
      return promQLSelector(metric);
  }
}

/**
 * The query after picking a metric of a type: histograms and summaries get quantiles (the
 * ones already chosen, else 0.5, 0.9, 0.99); other types have none. The aggregation stays,
 * sum when unset, except that summary quantiles cannot be summed: max for a summary.
 */
export function withMetric(query: GoPulseQuery, metric: string, type: string | undefined): GoPulseQuery {
  let aggregation = query.aggregation ?? 'sum';
  if (type === 'summary' && aggregation === 'sum') {
    aggregation = 'max';
  }
  let q: GoPulseQuery = { ...query, metric, aggregation };
  if (hasQuantiles(type)) {
    q.quantiles = query.quantiles?.length ? query.quantiles : [...DEFAULT_QUANTILES];
  } else {
    q = setField(q, 'quantiles', undefined);
  }
  return q;
}

const TYPE_HINTS: Record<string, string> = {
  counter: 'Counter: shown as a per-second rate.',
  gauge: 'Gauge: shown as is.',
  histogram: 'Histogram: one series per quantile, computed from the summed buckets (the aggregation does not apply).',
  summary: 'Summary: one series per quantile it exports; quantiles cannot be summed, so max, min or avg.',
  unknown: 'Untyped: GoPulse cannot tell a rate from a value; use a PromQL query.',
};

/**
 * Editor of a `business` query: a metric from Prometheus metadata (type and help shown),
 * aggregation, group by (label names of the metric), quantiles for histograms and summaries,
 * top N, label matchers, job and instance, legend. Writes `metric`, `aggregation`,
 * `groupBy`, `quantiles`, `topN`, `matchers`, `job`, `instance`, `legendFormat`.
 */
export function BusinessQueryEditor({ query, onChange, onRunQuery, datasource }: BusinessQueryEditorProps) {
  const id = useId();
  const metadata = useResource('metadata', () => datasource.fetchMetadata(), [] as MetricMetadata[]);
  const options = useMemo(() => metricOptions(metadata.value), [metadata.value]);
  const metric = query.metric ?? '';
  const type = metadata.value.find((m) => m.metric === metric)?.type;

  const selector = metric ? groupBySelector(metric, type) : undefined;
  const labels = useResource(
    `labels:${selector ?? ''}`,
    selector ? () => datasource.fetchLabelNames(selector) : undefined,
    [] as string[]
  );
  const labelOptions = useMemo(() => stringOptions(labels.value.filter(groupable)), [labels.value]);

  const [topN, setTopN] = useState(query.topN === undefined ? '' : String(query.topN));
  const topNError = integerRangeError(topN, 0, MAX_TOP_N);
  const [badQuantile, setBadQuantile] = useState<string | undefined>();

  const change = (q: GoPulseQuery) => {
    onChange(q);
    onRunQuery();
  };

  const onMetricChange = (o: ComboboxOption<string>) => {
    const picked = metadata.value.find((m) => m.metric === o.value)?.type;
    change(withMetric(query, o.value, picked));
  };

  const onQuantilesChange = (selected: Array<ComboboxOption<string>>) => {
    const bad = selected.map((o) => String(o.value)).find((v) => quantileError(v));
    setBadQuantile(bad === undefined ? undefined : quantileError(bad));
    const values = selected.map((o) => Number(o.value)).filter((n) => quantileError(String(n)) === undefined);
    const quantiles = [...new Set(values)].sort((a, b) => a - b);
    change(setField(query, 'quantiles', quantiles));
  };

  const onTopNChange = (e: ChangeEvent<HTMLInputElement>) => {
    const text = e.target.value;
    setTopN(text);
    const v = text.trim();
    // A whole number is stored even when out of range (the inline error shows it); anything else leaves it unset.
    onChange(setField(query, 'topN', /^\d+$/.test(v) ? parseInt(v, 10) : undefined));
  };

  const showQuantiles = hasQuantiles(type) || (query.quantiles?.length ?? 0) > 0;
  const quantileOptions = stringOptions(
    [...new Set([...QUANTILE_CHOICES, ...(query.quantiles ?? [])])].sort((a, b) => a - b).map(String)
  );

  return (
    <Stack direction="column" gap={0}>
      <InlineField
        label="Metric"
        labelWidth={LABEL_WIDTH}
        tooltip="One of the service's own metrics, from Prometheus metadata. Its type decides how it is shown."
        error={loadError('metric metadata', metadata.error)}
        invalid={Boolean(metadata.error)}
      >
        <Combobox<string>
          id={`${id}-metric`}
          options={options}
          value={query.metric ?? null}
          loading={metadata.loading}
          createCustomValue
          placeholder="Choose a metric"
          width={50}
          onChange={onMetricChange}
        />
      </InlineField>
      {type && TYPE_HINTS[type] && <FieldHint labelWidth={LABEL_WIDTH}>{TYPE_HINTS[type]}</FieldHint>}
      <InlineFieldRow>
        <ChoiceField<Aggregation>
          label="Aggregation"
          labelWidth={LABEL_WIDTH}
          tooltip="How series are combined within each group."
          disabled={type === 'histogram'}
          options={AGGREGATION_OPTIONS}
          value={query.aggregation ?? (type === 'summary' ? 'max' : 'sum')}
          disabledOptions={type === 'summary' ? ['sum'] : undefined}
          onChange={(v) => change({ ...query, aggregation: v })}
        />
        <InlineField
          label="Group by"
          labelWidth={10}
          tooltip="Label names to keep: one series per combination of their values. Empty: one series."
          error={loadError('label names', labels.error)}
          invalid={Boolean(labels.error)}
        >
          <MultiCombobox<string>
            id={`${id}-group-by`}
            options={labelOptions}
            value={query.groupBy ?? []}
            loading={labels.loading}
            createCustomValue
            isClearable
            placeholder="No grouping"
            width="auto"
            minWidth={20}
            maxWidth={60}
            onChange={(selected) =>
              change(
                setField(
                  query,
                  'groupBy',
                  selected.map((o) => String(o.value))
                )
              )
            }
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        {showQuantiles && (
          <InlineField
            label="Quantiles"
            labelWidth={LABEL_WIDTH}
            tooltip="Quantiles of a histogram or summary, each from 0 to 1, e.g. 0.99. Empty: 0.5, 0.9 and 0.99."
            invalid={Boolean(badQuantile)}
            error={badQuantile}
          >
            <MultiCombobox<string>
              id={`${id}-quantiles`}
              options={quantileOptions}
              value={(query.quantiles ?? []).map(String)}
              createCustomValue
              width="auto"
              minWidth={20}
              maxWidth={50}
              onChange={onQuantilesChange}
            />
          </InlineField>
        )}
        <InlineField
          label="Top N"
          labelWidth={showQuantiles ? 10 : LABEL_WIDTH}
          tooltip="Keep the N largest series. Empty or 0: all."
          invalid={Boolean(topNError)}
          error={topNError}
        >
          <Input
            id={`${id}-top-n`}
            inputMode="numeric"
            value={topN}
            onChange={onTopNChange}
            onBlur={() => !topNError && onRunQuery()}
            placeholder="all"
            width={10}
          />
        </InlineField>
      </InlineFieldRow>
      <MatchersField
        id={`${id}-matchers`}
        labelWidth={LABEL_WIDTH}
        tooltip='PromQL label matchers without braces, e.g. path=~"/api/.*",method="POST". Variables are allowed.'
        placeholder='path=~"/api/.*",method="POST"'
        value={query.matchers}
        onChange={(matchers) => onChange(setField(query, 'matchers', matchers))}
        onRunQuery={onRunQuery}
      />
      <ScopeFields
        datasource={datasource}
        job={query.job}
        instance={query.instance}
        labelWidth={LABEL_WIDTH}
        onChange={({ job, instance }: Scope) => change(setField(setField(query, 'job', job), 'instance', instance))}
      />
      <InlineField
        label="Legend"
        labelWidth={LABEL_WIDTH}
        tooltip="Series name template: {{label}} is replaced by the value of that label, e.g. {{path}}."
      >
        <Input
          id={`${id}-legend`}
          value={query.legendFormat ?? ''}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(setField(query, 'legendFormat', e.target.value))}
          onBlur={onRunQuery}
          placeholder="{{path}}"
          width={30}
        />
      </InlineField>
    </Stack>
  );
}
