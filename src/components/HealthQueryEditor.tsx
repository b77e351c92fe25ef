import React, { ChangeEvent, useId, useMemo, useRef, useState } from 'react';
import {
  Collapse,
  Combobox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  InlineLabel,
  Input,
  Stack,
} from '@grafana/ui';

import {
  DEFAULT_HEALTH_ALERT_CRITICAL,
  GoPulseQuery,
  HEALTH_FORMATS,
  HEALTH_SIGNALS,
  HealthFormat,
  HealthSignal,
  HealthThreshold,
  HealthThresholds,
  P_LEVELS,
  THRESHOLD_LEVELS,
} from '../types';
import { parseThreshold, thresholdPairErrors } from '../validation';
import { FieldHint } from './common/FieldHint';
import { enumOptions, loadError, oneOf, setField, stringOptions, variableOptions } from './common/options';
import { Scope, ScopeFields } from './common/ScopeFields';
import { useResource } from './common/useResource';
import type { TypeEditorProps } from './common/editorProps';
import { ChoiceField } from './common/ChoiceField';

export type HealthQueryEditorProps = TypeEditorProps;

const LABEL_WIDTH = 14;
const THRESHOLD_LABEL_WIDTH = 20;
const THRESHOLD_INPUT_WIDTH = 20;

const FORMAT_OPTIONS = enumOptions(HEALTH_FORMATS, {
  table: { label: 'Table', description: 'One row per instance: status, reason and each signal' },
  numeric: {
    label: 'Numeric (alert rules)',
    description: 'One number per instance: 0 ok, 1 warning, 2 critical, 3 down',
  },
  time_series: { label: 'Time series', description: 'Status and signals over the range, per instance' },
});

/** The hint shown when a time series query would answer a frame for many instances. */
export const TIME_SERIES_HINT = 'Time series shows one frame per instance: pick one instance';

/**
 * Whether an instance regex may match several instances: empty, or with regex operators
 * outside the dashboard variables (a dot alone, as in `10.0.0.1:8080`, is taken as literal).
 */
export function isWideInstance(instance: string | undefined): boolean {
  const v = (instance ?? '').replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, '').trim();
  if ((instance ?? '').trim() === '') {
    return true;
  }
  return /[*+?|[\]{}()]/.test(v);
}

// How a unit is shown next to a threshold input.
const UNIT_SUFFIXES: Record<string, string> = {
  s: 's',
  ms: 'ms',
  bytes: 'bytes',
  reqps: 'req/s',
  percentunit: '0–1',
};

/** The unit shown after a signal's threshold inputs ('' for a plain count). */
export function unitSuffix(signal: Pick<HealthSignal, 'id' | 'unit'>): string {
  if (signal.id === 'goroutine_growth') {
    return '/s';
  }
  return UNIT_SUFFIXES[signal.unit] ?? (signal.unit === 'short' || signal.unit === 'none' ? '' : signal.unit);
}

/**
 * The built-in signals with their levels overridden by the data source's `healthThresholds`
 * (what the backend's defaults are when the `health-signals` resource cannot be read).
 */
export function defaultSignals(overrides: HealthThresholds | undefined): HealthSignal[] {
  return HEALTH_SIGNALS.map((s) => ({ ...s, ...overrides?.[s.id] }));
}

/** The typed text of a signal's inputs. */
export interface ThresholdText {
  warning: string;
  critical: string;
}
export type ThresholdTexts = Record<string, ThresholdText>;

const EMPTY_TEXT: ThresholdText = { warning: '', critical: '' };

/** The input texts of saved thresholds. */
export function thresholdTexts(thresholds: HealthThresholds | undefined): ThresholdTexts {
  const out: ThresholdTexts = {};
  for (const [id, t] of Object.entries(thresholds ?? {})) {
    out[id] = {
      warning: t?.warning === undefined ? '' : String(t.warning),
      critical: t?.critical === undefined ? '' : String(t.critical),
    };
  }
  return out;
}

/**
 * The thresholds the texts give. A signal whose inputs are invalid keeps its `previous` value
 * (an invalid value is never sent); an empty input leaves its level out, a signal without
 * levels is left out, and no signal at all gives undefined.
 */
export function thresholdsFromTexts(
  texts: ThresholdTexts,
  previous: HealthThresholds | undefined,
  signals: ReadonlyArray<HealthThreshold & { id: string }>
): HealthThresholds | undefined {
  const out: Record<string, HealthThreshold> = {};
  const ids = [...new Set([...signals.map((s) => s.id), ...Object.keys(previous ?? {}), ...Object.keys(texts)])];
  for (const id of ids) {
    const prev = (previous as Record<string, HealthThreshold> | undefined)?.[id];
    const text = texts[id];
    let next: HealthThreshold | undefined = prev;
    if (text) {
      const errors = thresholdPairErrors(
        text.warning,
        text.critical,
        signals.find((s) => s.id === id)
      );
      if (!errors.warning && !errors.critical) {
        const warning = parseThreshold(text.warning);
        const critical = parseThreshold(text.critical);
        next = {};
        if (warning !== undefined) {
          next.warning = warning;
        }
        if (critical !== undefined) {
          next.critical = critical;
        }
      }
    }
    if (next && (next.warning !== undefined || next.critical !== undefined)) {
      out[id] = next;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The number of signals with an override. */
function overrideCount(thresholds: HealthThresholds | undefined): number {
  return Object.keys(thresholds ?? {}).length;
}

interface ThresholdFieldsProps {
  /** The signals, with their defaults as the inputs' placeholders. */
  signals: HealthSignal[];
  value: HealthThresholds | undefined;
  /** Gets the thresholds after every valid change; undefined when none is set. */
  onChange: (thresholds: HealthThresholds | undefined) => void;
  /** Called when a valid input is left after a change. */
  onBlur?: () => void;
  labelWidth?: number;
}

/**
 * Warning and critical inputs per health signal, with the unit and the defaults as
 * placeholders. Invalid input (not a number, negative, warning above critical) is flagged
 * inline and not passed on; an emptied input removes its level.
 */
export function HealthThresholdFields({
  signals,
  value,
  onChange,
  onBlur,
  labelWidth = THRESHOLD_LABEL_WIDTH,
}: ThresholdFieldsProps) {
  const [texts, setTexts] = useState<ThresholdTexts>(() => thresholdTexts(value));
  // Whether thresholds were passed on since the last onBlur: leaving an unchanged input runs nothing.
  const changed = useRef(false);

  const onText = (id: string, level: keyof ThresholdText, text: string) => {
    const next = { ...texts, [id]: { ...(texts[id] ?? EMPTY_TEXT), [level]: text } };
    setTexts(next);
    const thresholds = thresholdsFromTexts(next, value, signals);
    if (JSON.stringify(thresholds) !== JSON.stringify(value)) {
      changed.current = true;
      onChange(thresholds);
    }
  };
  const onLeave = (valid: boolean) => {
    if (valid && changed.current) {
      changed.current = false;
      onBlur?.();
    }
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineLabel width={labelWidth} transparent>
          Signal
        </InlineLabel>
        <InlineLabel width={THRESHOLD_INPUT_WIDTH} transparent>
          Warning at
        </InlineLabel>
        <InlineLabel width={THRESHOLD_INPUT_WIDTH} transparent>
          Critical at
        </InlineLabel>
      </InlineFieldRow>
      {signals.map((s) => {
        const text = texts[s.id] ?? EMPTY_TEXT;
        const errors = thresholdPairErrors(text.warning, text.critical, s);
        const suffix = unitSuffix(s) || undefined;
        const valid = !errors.warning && !errors.critical;
        return (
          <InlineFieldRow key={s.id}>
            {THRESHOLD_LEVELS.map((level, i) => (
              <InlineField
                key={level}
                label={i === 0 ? s.title || s.id : undefined}
                labelWidth={i === 0 ? labelWidth : undefined}
                tooltip={i === 0 ? s.description || undefined : undefined}
                invalid={Boolean(errors[level])}
                error={errors[level]}
              >
                <Input
                  aria-label={`${s.title || s.id} ${level}`}
                  width={THRESHOLD_INPUT_WIDTH}
                  inputMode="decimal"
                  placeholder={s[level] === undefined ? 'none' : String(s[level])}
                  suffix={suffix}
                  value={text[level]}
                  onChange={(e: ChangeEvent<HTMLInputElement>) => onText(s.id, level, e.target.value)}
                  onBlur={() => onLeave(valid)}
                />
              </InlineField>
            ))}
          </InlineFieldRow>
        );
      })}
    </Stack>
  );
}

/**
 * Editor of a `health` query: the scope (job and instance), the format (table, numeric for
 * alert rules, time series), the P-level from which firing alerts are critical, and per-query
 * threshold overrides (the data source's defaults from `health-signals` as placeholders).
 * Writes `job`, `instance`, `format`, `alertCritical`, `thresholds`.
 */
export function HealthQueryEditor({ query, onChange, onRunQuery, datasource }: HealthQueryEditorProps) {
  const id = useId();
  const format = oneOf(query.format, HEALTH_FORMATS, 'table');
  const [thresholdsOpen, setThresholdsOpen] = useState(() => overrideCount(query.thresholds) > 0);
  const health = useResource('health-signals', () => datasource.fetchHealthSignals(), [] as HealthSignal[]);
  const fallback = useMemo(() => defaultSignals(datasource.jsonData.healthThresholds), [datasource]);
  // `up` takes no threshold (0 is down), should the resource list it.
  const listed = health.value.filter((s) => s.id !== 'up');
  const signals = listed.length > 0 ? listed : fallback;
  const defaultAlertCritical = datasource.jsonData.healthAlertCritical || DEFAULT_HEALTH_ALERT_CRITICAL;

  const variables = variableOptions();
  const alertCriticalOptions: Array<ComboboxOption<string>> = [
    ...stringOptions([...P_LEVELS]).map((o) => ({
      ...o,
      description: o.value === defaultAlertCritical ? 'The data source default' : undefined,
    })),
    ...variables,
  ];

  const change = (q: GoPulseQuery) => {
    onChange(q);
    onRunQuery();
  };
  const onScopeChange = ({ job, instance }: Scope) => {
    change(setField(setField(query, 'job', job), 'instance', instance));
  };

  const overrides = overrideCount(query.thresholds);
  const thresholdsLabel =
    overrides === 0 ? 'Thresholds' : `Thresholds (${overrides} ${overrides === 1 ? 'signal' : 'signals'} overridden)`;

  return (
    <Stack direction="column" gap={0}>
      <ScopeFields
        datasource={datasource}
        job={query.job}
        instance={query.instance}
        labelWidth={LABEL_WIDTH}
        onChange={onScopeChange}
      />
      <InlineFieldRow>
        <ChoiceField<HealthFormat>
          label="Format"
          labelWidth={LABEL_WIDTH}
          tooltip="Shape of the returned frames."
          options={FORMAT_OPTIONS}
          value={format}
          onChange={(v) => change({ ...query, format: v })}
        />
        <InlineField
          label="Critical alerts"
          labelWidth={16}
          tooltip={`Firing alerts at this P-level or more urgent make an instance critical, less urgent ones warning. Empty: the data source setting (${defaultAlertCritical}).`}
        >
          <Combobox<string>
            id={`${id}-alert-critical`}
            options={alertCriticalOptions}
            value={query.alertCritical ?? null}
            isClearable
            placeholder={`Default (${defaultAlertCritical})`}
            width={20}
            onChange={(o: ComboboxOption<string> | null) => change(setField(query, 'alertCritical', o?.value))}
          />
        </InlineField>
      </InlineFieldRow>
      {format === 'time_series' && isWideInstance(query.instance) && (
        <FieldHint labelWidth={LABEL_WIDTH}>{TIME_SERIES_HINT}</FieldHint>
      )}
      <Collapse label={thresholdsLabel} isOpen={thresholdsOpen} onToggle={setThresholdsOpen}>
        {health.error && (
          <FieldHint labelWidth={0}>
            {`${loadError("the data source's thresholds", health.error)}. The placeholders are the built-in defaults.`}
          </FieldHint>
        )}
        <HealthThresholdFields
          signals={signals}
          value={query.thresholds}
          onChange={(thresholds) => onChange(setField(query, 'thresholds', thresholds))}
          onBlur={onRunQuery}
        />
      </Collapse>
    </Stack>
  );
}
