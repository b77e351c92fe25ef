import React, { useId } from 'react';
import { ComboboxOption, InlineField, InlineFieldRow, InlineSwitch, MultiCombobox, Stack } from '@grafana/ui';

import { EXPVAR_MODES, ExpvarMode, ExpvarSuggestion, ExpvarTarget, GoPulseQuery, RuntimeSignal } from '../types';
import { enumOptions, loadError, oneOf, setField, variableOptions } from './common/options';
import { useResource } from './common/useResource';
import type { TypeEditorProps } from './common/editorProps';
import { ChoiceField } from './common/ChoiceField';

export type ExpvarQueryEditorProps = TypeEditorProps;

const LABEL_WIDTH = 14;

const MODE_OPTIONS = enumOptions(EXPVAR_MODES, {
  latest: { label: 'Latest', description: 'One table of the latest values: target, instance, path, value' },
  history: { label: 'History', description: 'Time series from the poll history' },
  rate: { label: 'Rate', description: 'Per-second rate of counters between polls' },
});

/** The error shown under the paths when there are none (the backend needs at least one). */
export const NO_PATHS_ERROR = 'Enter at least one path, e.g. memstats.HeapAlloc or business.*';

/** The status of an expvar target, as the description of its option. */
export function targetStatus(t: ExpvarTarget): string {
  if (t.up) {
    return `Up: ${t.vars} vars (${t.instance})`;
  }
  if (t.lastError) {
    return `Down: ${t.lastError}`;
  }
  return 'Not polled yet';
}

/** Entries picked or typed in a multi-value picker: trimmed, without empties and repeats. */
function picked(selected: Array<ComboboxOption<string>>): string[] {
  return [...new Set(selected.map((o) => String(o.value).trim()).filter((v) => v !== ''))];
}

/**
 * Editor of an `expvar` query: the targets (from `expvar-targets`, each with its status; empty
 * = all), the paths (the runtime catalogue's expvar paths or typed ones, wildcards allowed; at
 * least one) and the mode (latest or history). Writes `targets`, `paths`, `mode`.
 */
export function ExpvarQueryEditor({ query, onChange, onRunQuery, datasource }: ExpvarQueryEditorProps) {
  const id = useId();
  const mode = oneOf(query.mode, EXPVAR_MODES, 'latest');
  const targets = query.targets ?? [];
  const paths = query.paths ?? [];
  const variables = variableOptions();
  const variableValues = new Set(variables.map((o) => o.value));

  const expvarTargets = useResource('expvar-targets', () => datasource.fetchExpvarTargets(), [] as ExpvarTarget[]);
  const catalogue = useResource('runtime-catalogue', () => datasource.fetchRuntimeCatalogue(), [] as RuntimeSignal[]);
  // The paths of every target's document (of the one picked target, when one is), grouped by
  // top-level variable, the services' own before memstats.
  const named = targets.filter((t) => !t.startsWith('$'));
  const one = named.length === 1 ? named[0] : undefined;
  const suggestions = useResource(
    `expvar-suggestions:${one ?? ''}`,
    () => datasource.fetchExpvarSuggestions(one),
    [] as ExpvarSuggestion[]
  );

  // A picked variable is listed once, among the variables; a saved name the resource no
  // longer lists is still shown.
  const known = new Set(expvarTargets.value.map((t) => t.target));
  const targetOptions: Array<ComboboxOption<string>> = [
    ...expvarTargets.value.map((t) => ({ value: t.target, label: t.target, description: targetStatus(t) })),
    ...targets.filter((t) => !known.has(t) && !variableValues.has(t)).map((t) => ({ value: t, label: t })),
    ...variables,
  ];

  const suggested = new Map<string, ComboboxOption<string>>();
  for (const s of suggestions.value) {
    const where = s.targets === 1 ? '1 target' : `${s.targets} targets`;
    suggested.set(s.path, { value: s.path, label: s.path, group: s.group, description: `${s.kind} in ${where}` });
  }
  for (const s of catalogue.value) {
    if (s.expvarPath && !suggested.has(s.expvarPath)) {
      suggested.set(s.expvarPath, {
        value: s.expvarPath,
        label: s.expvarPath,
        group: 'Runtime catalogue',
        description: s.title,
      });
    }
  }
  const pathOptions: Array<ComboboxOption<string>> = [
    ...suggested.values(),
    ...paths.filter((p) => !suggested.has(p) && !variableValues.has(p)).map((p) => ({ value: p, label: p })),
    ...variables,
  ];
  const pathsProblem = paths.length === 0 ? NO_PATHS_ERROR : undefined;

  const change = (q: GoPulseQuery) => {
    onChange(q);
    // A query without paths is not sent (filterQuery): nothing to run.
    if ((q.paths ?? []).length > 0) {
      onRunQuery();
    }
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField
          label="Targets"
          labelWidth={LABEL_WIDTH}
          tooltip="The expvar targets of the data source settings, with the status of their last poll. Empty: all targets."
          error={loadError('expvar targets', expvarTargets.error)}
          invalid={Boolean(expvarTargets.error)}
        >
          <MultiCombobox<string>
            id={`${id}-targets`}
            options={targetOptions}
            value={targets}
            loading={expvarTargets.loading}
            isClearable
            placeholder="All targets"
            width="auto"
            minWidth={20}
            maxWidth={60}
            onChange={(selected) => change(setField(query, 'targets', picked(selected)))}
          />
        </InlineField>
        <ChoiceField<ExpvarMode>
          label="Mode"
          labelWidth={8}
          tooltip="Latest values as a table, or time series from the poll history."
          options={MODE_OPTIONS}
          value={mode}
          onChange={(v) => change({ ...query, mode: v })}
        />
        <InlineField
          label="Live"
          labelWidth={8}
          tooltip="Stream the latest values through Grafana Live after every poll."
        >
          <InlineSwitch
            id={`${id}-live`}
            value={query.live ?? false}
            onChange={(e) => {
              const { live: _, ...rest } = query;
              change(e.currentTarget.checked ? { ...rest, live: true } : rest);
            }}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Paths"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip='Paths in /debug/vars: memstats.HeapAlloc, memstats.PauseNs[0], requests["api.example.com:443"]; * matches one level (business.*), ** any number (**.Mallocs). Type a path and press Enter.'
          invalid={Boolean(pathsProblem || catalogue.error)}
          error={pathsProblem ?? loadError('runtime catalogue', catalogue.error)}
        >
          <MultiCombobox<string>
            id={`${id}-paths`}
            options={pathOptions}
            value={paths}
            loading={catalogue.loading}
            createCustomValue
            isClearable
            placeholder="memstats.HeapAlloc"
            width="auto"
            minWidth={30}
            maxWidth={80}
            onChange={(selected) => change(setField(query, 'paths', picked(selected)))}
          />
        </InlineField>
      </InlineFieldRow>
    </Stack>
  );
}
