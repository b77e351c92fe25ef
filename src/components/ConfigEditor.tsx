import React, { ChangeEvent, useId, useState } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Button, Combobox, ComboboxOption, Field, IconButton, Input, Stack, TagsInput } from '@grafana/ui';

import {
  DEFAULT_HEALTH_ALERT_CRITICAL,
  DEFAULT_HEALTH_ERROR_SELECTOR,
  DEFAULT_HEALTH_GROWTH_WINDOW,
  DEFAULT_HEALTH_LATENCY_METRIC,
  DEFAULT_HEALTH_REQUEST_METRIC,
  DEFAULT_MAX_CONCURRENT_QUERIES,
  DEFAULT_SCRAPE_INTERVAL,
  GoPulseOptions,
  GoPulseSecureJsonData,
  HEALTH_SIGNALS,
  MAX_CONCURRENT_QUERIES_LIMIT,
  P_LEVELS,
} from '../types';
import { durationError, httpUrlError, integerRangeError, matchersError } from '../validation';
import { AlertmanagerSettings } from './AlertmanagerSettings';
import { ExpvarSettings } from './ExpvarSettings';
import { HealthThresholdFields } from './HealthQueryEditor';
import { PrometheusConnection } from './PrometheusConnection';

type Props = DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>;
type ExpvarTarget = NonNullable<GoPulseOptions['expvarTargets']>[number];

const DEFAULT_EXPVAR_PATH = '/debug/vars';
const DEFAULT_EXPVAR_POLL_INTERVAL = '10s';
const DEFAULT_EXPVAR_RETENTION = '1h';

const P_LEVEL_OPTIONS: Array<ComboboxOption<string>> = P_LEVELS.map((value) => ({ value, label: value }));

/** Returns an error message for the latency histogram name, or undefined when it is empty or a base name. */
export function latencyMetricError(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v)) {
    return 'Not a metric name';
  }
  return /_(bucket|sum|count)$/.test(v) ? "Use the histogram's base name, without _bucket, _sum or _count" : undefined;
}

/** Returns an error message for the request counter name, or undefined when it is empty or a metric name. */
function metricNameError(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  return v === '' || /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v) ? undefined : 'Not a metric name';
}

/** A row of the expvar target list: the typed text, with a key that stays with the row. */
interface TargetRow {
  key: number;
  name: string;
  url: string;
  instance: string;
}

let nextRowKey = 0;
const newRow = (t?: ExpvarTarget): TargetRow => ({
  key: nextRowKey++,
  name: t?.name ?? '',
  url: t?.url ?? '',
  instance: t?.instance ?? '',
});

/** The targets a list of rows stores: blank rows left out, an empty instance left out. */
function rowsToTargets(rows: TargetRow[]): ExpvarTarget[] | undefined {
  const targets = rows
    .map((r) => ({ name: r.name.trim(), url: r.url.trim(), instance: r.instance.trim() }))
    .filter((t) => t.name !== '' || t.url !== '' || t.instance !== '')
    .map(({ name, url, instance }) => (instance === '' ? { name, url } : { name, url, instance }));
  return targets.length > 0 ? targets : undefined;
}

/** The inline errors of a row's name and URL (names are required and unique). */
function rowErrors(rows: TargetRow[], i: number): { name?: string; url?: string } {
  const name = rows[i].name.trim();
  const url = rows[i].url.trim();
  const blank = name === '' && url === '' && rows[i].instance.trim() === '';
  let nameError: string | undefined;
  if (name === '') {
    nameError = blank ? undefined : 'Name is required';
  } else if (rows.some((r, j) => j !== i && r.name.trim() === name)) {
    nameError = 'Name must be unique';
  }
  const urlError = url === '' ? (blank ? undefined : 'URL is required') : httpUrlError(url);
  return { name: nameError, url: urlError };
}

interface TextSettingProps {
  id: string;
  label: string;
  description: string;
  error?: string;
  placeholder?: string;
  monospace?: boolean;
  value?: string;
  /** The new value; an empty input is undefined (the setting's default). */
  onChange: (value: string | undefined) => void;
}

/** A text setting of jsonData: empty means the default, shown as the placeholder. */
function TextSetting({ id, label, description, error, placeholder, monospace, value, onChange }: TextSettingProps) {
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error}>
      <Input
        id={id}
        width={40}
        placeholder={placeholder}
        value={value ?? ''}
        style={monospace ? { fontFamily: 'monospace' } : undefined}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value === '' ? undefined : e.target.value)}
      />
    </Field>
  );
}

/**
 * Settings of a GoPulse data source: the Prometheus URL with Grafana's standard HTTP settings
 * (timeout, basic auth, TLS, custom headers; secrets go to secureJsonData only), and the
 * GoPulse options in jsonData.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const id = useId();
  const { jsonData } = options;
  const [maxConcurrent, setMaxConcurrent] = useState(jsonData.maxConcurrentQueries?.toString() ?? '');
  const [targetRows, setTargetRows] = useState<TargetRow[]>(() => (jsonData.expvarTargets ?? []).map(newRow));
  const [discoverPort, setDiscoverPort] = useState(jsonData.expvarDiscoverPort?.toString() ?? '');

  const setJsonData = (patch: Partial<GoPulseOptions>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  };

  const onMaxConcurrentChange = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.target.value;
    setMaxConcurrent(text);
    // A whole number is stored even when out of range (the inline error shows it, and the
    // backend's Save & test names it); anything else leaves the default in place.
    const v = text.trim();
    setJsonData({ maxConcurrentQueries: /^\d+$/.test(v) ? parseInt(v, 10) : undefined });
  };

  const setTargetRowsAndJsonData = (rows: TargetRow[]) => {
    setTargetRows(rows);
    setJsonData({ expvarTargets: rowsToTargets(rows) });
  };
  const onTargetChange = (i: number, patch: Partial<TargetRow>) => {
    setTargetRowsAndJsonData(targetRows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };

  const onDiscoverPortChange = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.target.value;
    setDiscoverPort(text);
    const v = text.trim();
    setJsonData({ expvarDiscoverPort: /^\d+$/.test(v) ? parseInt(v, 10) : undefined });
  };

  const queryTimeoutError = durationError(jsonData.queryTimeout);
  const scrapeIntervalError = durationError(jsonData.scrapeInterval);
  const maxConcurrentError = integerRangeError(maxConcurrent, 1, MAX_CONCURRENT_QUERIES_LIMIT);
  const discoverPortError = integerRangeError(discoverPort, 1, 65535);
  const pollIntervalError = durationError(jsonData.expvarPollInterval);
  const retentionError = durationError(jsonData.expvarRetention);
  const requestMetricError = metricNameError(jsonData.healthRequestMetric);
  const errorSelectorError = matchersError(jsonData.healthErrorSelector);
  const latencyError = latencyMetricError(jsonData.healthLatencyMetric);
  const growthWindowError = durationError(jsonData.healthGrowthWindow);

  return (
    <Stack direction="column" gap={5}>
      <PrometheusConnection options={options} onOptionsChange={onOptionsChange} />

      <section>
        <h3 className="page-heading">GoPulse</h3>
        <TextSetting
          id={`${id}-query-timeout`}
          label="Query timeout"
          description="Evaluation timeout sent to Prometheus with each query, e.g. 30s. Empty: Prometheus's own default."
          error={queryTimeoutError}
          placeholder="30s"
          value={jsonData.queryTimeout}
          onChange={(queryTimeout) => setJsonData({ queryTimeout })}
        />
        <TextSetting
          id={`${id}-scrape-interval`}
          label="Scrape interval"
          description={`How often Prometheus scrapes the services, e.g. 15s or 1m: $__rate_interval is at least four times this. Empty: ${DEFAULT_SCRAPE_INTERVAL}.`}
          error={scrapeIntervalError}
          placeholder={DEFAULT_SCRAPE_INTERVAL}
          value={jsonData.scrapeInterval}
          onChange={(scrapeInterval) => setJsonData({ scrapeInterval })}
        />
        <Field
          label="Max concurrent queries"
          description={`Prometheus queries run at once for one request, 1 to ${MAX_CONCURRENT_QUERIES_LIMIT}. Empty: ${DEFAULT_MAX_CONCURRENT_QUERIES}.`}
          invalid={Boolean(maxConcurrentError)}
          error={maxConcurrentError}
        >
          <Input
            id={`${id}-max-concurrent-queries`}
            width={40}
            inputMode="numeric"
            placeholder={String(DEFAULT_MAX_CONCURRENT_QUERIES)}
            value={maxConcurrent}
            onChange={onMaxConcurrentChange}
          />
        </Field>
      </section>

      <AlertmanagerSettings options={options} onOptionsChange={onOptionsChange} />

      <section>
        <h3 className="page-heading">Expvar</h3>
        <p>
          Services that publish Go&apos;s expvar (<code>{DEFAULT_EXPVAR_PATH}</code>): listed here and/or discovered
          from the Prometheus targets of some jobs.
        </p>
        <Field label="Targets" description="Each target's expvar URL, with an optional instance label.">
          <Stack direction="column" gap={1}>
            {targetRows.map((row, i) => {
              const errors = rowErrors(targetRows, i);
              return (
                <Stack key={row.key} direction="row" gap={1} alignItems="flex-start">
                  <Field invalid={Boolean(errors.name)} error={errors.name} noMargin>
                    <Input
                      aria-label={`Target ${i + 1} name`}
                      width={16}
                      placeholder="Name"
                      value={row.name}
                      onChange={(e: ChangeEvent<HTMLInputElement>) => onTargetChange(i, { name: e.target.value })}
                    />
                  </Field>
                  <Field invalid={Boolean(errors.url)} error={errors.url} noMargin>
                    <Input
                      aria-label={`Target ${i + 1} URL`}
                      width={40}
                      placeholder={`http://api:8080${DEFAULT_EXPVAR_PATH}`}
                      value={row.url}
                      onChange={(e: ChangeEvent<HTMLInputElement>) => onTargetChange(i, { url: e.target.value })}
                    />
                  </Field>
                  <Field noMargin>
                    <Input
                      aria-label={`Target ${i + 1} instance`}
                      width={20}
                      placeholder="Instance (optional)"
                      value={row.instance}
                      onChange={(e: ChangeEvent<HTMLInputElement>) => onTargetChange(i, { instance: e.target.value })}
                    />
                  </Field>
                  <IconButton
                    name="trash-alt"
                    tooltip={`Remove target ${i + 1}`}
                    onClick={() => setTargetRowsAndJsonData(targetRows.filter((_, j) => j !== i))}
                  />
                </Stack>
              );
            })}
            <div>
              <Button
                variant="secondary"
                size="sm"
                icon="plus"
                onClick={() => setTargetRows([...targetRows, newRow()])}
              >
                Add target
              </Button>
            </div>
          </Stack>
        </Field>
        <Field
          label="Discover jobs"
          description="Prometheus jobs whose active targets are polled for expvar too (named job/instance). Type a job and press Enter."
        >
          <TagsInput
            id={`${id}-expvar-discover-jobs`}
            width={40}
            placeholder="Job, then Enter"
            tags={jsonData.expvarDiscoverJobs ?? []}
            onChange={(tags: string[]) => setJsonData({ expvarDiscoverJobs: tags.length > 0 ? tags : undefined })}
          />
        </Field>
        <Field
          label="Discover port"
          description="Port of the discovered targets' expvar endpoint. Empty: the port Prometheus scrapes."
          invalid={Boolean(discoverPortError)}
          error={discoverPortError}
        >
          <Input
            id={`${id}-expvar-discover-port`}
            width={40}
            inputMode="numeric"
            placeholder="Scrape port"
            value={discoverPort}
            onChange={onDiscoverPortChange}
          />
        </Field>
        <TextSetting
          id={`${id}-expvar-path`}
          label="Expvar path"
          description={`Path of the discovered targets' expvar endpoint. Empty: ${DEFAULT_EXPVAR_PATH}.`}
          placeholder={DEFAULT_EXPVAR_PATH}
          value={jsonData.expvarPath}
          onChange={(expvarPath) => setJsonData({ expvarPath })}
        />
        <TextSetting
          id={`${id}-expvar-poll-interval`}
          label="Poll interval"
          description={`How often the targets are polled, e.g. 10s or 1m. Empty: ${DEFAULT_EXPVAR_POLL_INTERVAL}.`}
          error={pollIntervalError}
          placeholder={DEFAULT_EXPVAR_POLL_INTERVAL}
          value={jsonData.expvarPollInterval}
          onChange={(expvarPollInterval) => setJsonData({ expvarPollInterval })}
        />
        <TextSetting
          id={`${id}-expvar-retention`}
          label="Retention"
          description={`How long the poll history is kept, e.g. 1h or 6h. Empty: ${DEFAULT_EXPVAR_RETENTION}.`}
          error={retentionError}
          placeholder={DEFAULT_EXPVAR_RETENTION}
          value={jsonData.expvarRetention}
          onChange={(expvarRetention) => setJsonData({ expvarRetention })}
        />
        <ExpvarSettings options={options} onOptionsChange={onOptionsChange} />
      </section>

      <section>
        <h3 className="page-heading">Health</h3>
        <p>
          How health queries join the signals of an instance into a status (ok, warning, critical, down): the request
          metrics, the alerts that count as critical, and the default thresholds.
        </p>
        <TextSetting
          id={`${id}-health-request-metric`}
          label="Request metric"
          description={`A counter of the served requests: the request rate and, with the error selector, the error ratio. Empty: ${DEFAULT_HEALTH_REQUEST_METRIC}.`}
          error={requestMetricError}
          placeholder={DEFAULT_HEALTH_REQUEST_METRIC}
          value={jsonData.healthRequestMetric}
          onChange={(healthRequestMetric) => setJsonData({ healthRequestMetric })}
        />
        <TextSetting
          id={`${id}-health-error-selector`}
          label="Error selector"
          description={`Label matchers that pick the failed requests of the request metric, without braces. Empty: ${DEFAULT_HEALTH_ERROR_SELECTOR}.`}
          error={errorSelectorError}
          placeholder={DEFAULT_HEALTH_ERROR_SELECTOR}
          monospace
          value={jsonData.healthErrorSelector}
          onChange={(healthErrorSelector) => setJsonData({ healthErrorSelector })}
        />
        <TextSetting
          id={`${id}-health-latency-metric`}
          label="Latency metric"
          description={`A classic histogram of the request latency in seconds, named without _bucket: its p99 is the latency signal. Empty: ${DEFAULT_HEALTH_LATENCY_METRIC}.`}
          error={latencyError}
          placeholder={DEFAULT_HEALTH_LATENCY_METRIC}
          value={jsonData.healthLatencyMetric}
          onChange={(healthLatencyMetric) => setJsonData({ healthLatencyMetric })}
        />
        <TextSetting
          id={`${id}-health-growth-window`}
          label="Growth window"
          description={`The window over which the goroutine growth (goroutines per second) and the GC pause p99 are measured, e.g. 5m or 15m. Empty: ${DEFAULT_HEALTH_GROWTH_WINDOW}.`}
          error={growthWindowError}
          placeholder={DEFAULT_HEALTH_GROWTH_WINDOW}
          value={jsonData.healthGrowthWindow}
          onChange={(healthGrowthWindow) => setJsonData({ healthGrowthWindow })}
        />
        <Field
          label="Critical alerts"
          description={`Firing alerts at this P-level or more urgent make an instance critical, less urgent ones warning. A query may set its own. Empty: ${DEFAULT_HEALTH_ALERT_CRITICAL}.`}
        >
          <Combobox<string>
            id={`${id}-health-alert-critical`}
            options={P_LEVEL_OPTIONS}
            value={jsonData.healthAlertCritical ?? null}
            isClearable
            placeholder={DEFAULT_HEALTH_ALERT_CRITICAL}
            width={40}
            onChange={(o: ComboboxOption<string> | null) => setJsonData({ healthAlertCritical: o?.value || undefined })}
          />
        </Field>
        <Field
          label="Thresholds"
          description="The default warning and critical levels of every health query (a query may override them). A value at or above a level crosses it. Empty: the built-in default shown."
        >
          <HealthThresholdFields
            signals={[...HEALTH_SIGNALS]}
            value={jsonData.healthThresholds}
            onChange={(healthThresholds) => setJsonData({ healthThresholds })}
          />
        </Field>
      </section>
    </Stack>
  );
}
