import React, { ChangeEvent, useId, useMemo } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, Input, Stack } from '@grafana/ui';

import { GoPulseQuery, RUNTIME_SOURCES, RuntimeSignal, RuntimeSource } from '../types';
import { FieldHint } from './common/FieldHint';
import { enumOptions, loadError, oneOf, setField } from './common/options';
import { Scope, ScopeFields } from './common/ScopeFields';
import { useResource } from './common/useResource';
import type { TypeEditorProps } from './common/editorProps';
import { ChoiceField } from './common/ChoiceField';

export type RuntimeQueryEditorProps = TypeEditorProps;

const LABEL_WIDTH = 14;

const SOURCE_OPTIONS = enumOptions(RUNTIME_SOURCES, {
  auto: { label: 'Auto', description: 'Prometheus, falling back to expvar' },
  prometheus: { label: 'Prometheus', description: 'The scraped client_golang metrics' },
  expvar: { label: 'Expvar', description: "The services' /debug/vars" },
});

/** Catalogue entries as picker options, grouped by area in the catalogue's order. */
export function signalOptions(catalogue: RuntimeSignal[]): Array<ComboboxOption<string>> {
  const areas: string[] = [];
  for (const s of catalogue) {
    if (!areas.includes(s.area)) {
      areas.push(s.area);
    }
  }
  return areas.flatMap((area) =>
    catalogue
      .filter((s) => s.area === area)
      .map((s) => ({
        value: s.id,
        label: s.title || s.id,
        group: area || 'Other',
        description: [s.description, s.unit ? `unit: ${s.unit}` : ''].filter(Boolean).join(' · '),
      }))
  );
}

/**
 * Editor of a `runtime` query: a signal of the runtime catalogue (grouped by area), the
 * source (auto, Prometheus, expvar), the job and instance, and a legend. Writes `signal`,
 * `source`, `job`, `instance`, `legendFormat`.
 */
export function RuntimeQueryEditor({ query, onChange, onRunQuery, datasource }: RuntimeQueryEditorProps) {
  const id = useId();
  const catalogue = useResource('runtime-catalogue', () => datasource.fetchRuntimeCatalogue(), [] as RuntimeSignal[]);
  const options = useMemo(() => signalOptions(catalogue.value), [catalogue.value]);
  const signal = catalogue.value.find((s) => s.id === query.signal);
  const source = oneOf(query.source, RUNTIME_SOURCES, 'auto');

  const change = (q: GoPulseQuery) => {
    onChange(q);
    onRunQuery();
  };
  const onScopeChange = ({ job, instance }: Scope) => {
    change(setField(setField(query, 'job', job), 'instance', instance));
  };

  let sourceNote: string | undefined;
  if (signal && source === 'expvar' && !signal.expvarPath) {
    sourceNote = `${signal.title} has no expvar source: use Auto or Prometheus.`;
  } else if (signal?.expvarPath && source !== 'prometheus') {
    const also = signal.expvarAlso?.length ? ` (or ${signal.expvarAlso.join(', ')})` : '';
    sourceNote = `expvar: ${signal.expvarPath}${also}, unless the data source maps the signal to another path`;
  }

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField
          label="Signal"
          labelWidth={LABEL_WIDTH}
          tooltip="A Go runtime signal from GoPulse's catalogue: the same frames and units whichever source answers."
          error={loadError('the runtime catalogue', catalogue.error)}
          invalid={Boolean(catalogue.error)}
        >
          <Combobox<string>
            id={`${id}-signal`}
            options={options}
            value={query.signal ?? null}
            loading={catalogue.loading}
            placeholder="Choose a signal"
            width={40}
            onChange={(o: ComboboxOption<string>) => change({ ...query, signal: o.value })}
          />
        </InlineField>
        <ChoiceField<RuntimeSource>
          label="Source"
          labelWidth={10}
          tooltip="Where the signal is read."
          options={SOURCE_OPTIONS}
          value={source}
          onChange={(v) => change({ ...query, source: v })}
        />
      </InlineFieldRow>
      {signal && (
        <FieldHint labelWidth={LABEL_WIDTH}>{[signal.description, sourceNote].filter(Boolean).join(' — ')}</FieldHint>
      )}
      <ScopeFields
        datasource={datasource}
        job={query.job}
        instance={query.instance}
        labelWidth={LABEL_WIDTH}
        onChange={onScopeChange}
      />
      <InlineField
        label="Legend"
        labelWidth={LABEL_WIDTH}
        tooltip="Series name template: {{label}} is replaced by the value of that label, e.g. {{instance}}."
      >
        <Input
          id={`${id}-legend`}
          value={query.legendFormat ?? ''}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(setField(query, 'legendFormat', e.target.value))}
          onBlur={onRunQuery}
          placeholder="{{instance}}"
          width={30}
        />
      </InlineField>
    </Stack>
  );
}
