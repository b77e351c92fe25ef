import React, { ChangeEvent, useId, useState } from 'react';
import { DataSourcePluginOptionsEditorProps, DataSourceSettings } from '@grafana/data';
import { DataSourceHttpSettings, Field, Input, Stack } from '@grafana/ui';

import {
  DEFAULT_MAX_CONCURRENT_QUERIES,
  DEFAULT_SCRAPE_INTERVAL,
  GoPulseOptions,
  GoPulseSecureJsonData,
  MAX_CONCURRENT_QUERIES_LIMIT,
} from '../types';
import { durationError, httpUrlError, integerRangeError } from '../validation';

type Props = DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>;
type Settings = DataSourceSettings<GoPulseOptions, GoPulseSecureJsonData>;

/**
 * Settings of a GoPulse data source: the Prometheus URL with Grafana's standard HTTP settings
 * (timeout, basic auth, TLS, custom headers; secrets go to secureJsonData only), and the
 * GoPulse options in jsonData.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const id = useId();
  const { jsonData } = options;
  const [maxConcurrent, setMaxConcurrent] = useState(jsonData.maxConcurrentQueries?.toString() ?? '');

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

  const alertmanagerUrlError = httpUrlError(jsonData.alertmanagerUrl);
  const queryTimeoutError = durationError(jsonData.queryTimeout);
  const scrapeIntervalError = durationError(jsonData.scrapeInterval);
  const maxConcurrentError = integerRangeError(maxConcurrent, 1, MAX_CONCURRENT_QUERIES_LIMIT);

  return (
    <Stack direction="column" gap={5}>
      {/* A backend data source is always queried through the Grafana server. */}
      {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- still exported by @grafana/ui 13.2; its successor is @grafana/plugin-ui (ConnectionSettings, Auth). */}
      <DataSourceHttpSettings
        defaultUrl="http://localhost:9090"
        urlLabel="Prometheus URL"
        urlDocs={<> The Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics).</>}
        dataSourceConfig={{ ...options, access: options.access || 'proxy' }}
        onChange={(settings: Settings) => onOptionsChange(settings)}
        showAccessOptions={false}
      />

      <section>
        <h3 className="page-heading">GoPulse</h3>
        <Field
          label="Alertmanager URL"
          description="Optional. Adds silenced and inhibited state to alert queries."
          invalid={Boolean(alertmanagerUrlError)}
          error={alertmanagerUrlError}
        >
          <Input
            id={`${id}-alertmanager-url`}
            width={40}
            placeholder="http://localhost:9093"
            value={jsonData.alertmanagerUrl ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              setJsonData({ alertmanagerUrl: e.target.value === '' ? undefined : e.target.value })
            }
          />
        </Field>
        <Field
          label="Query timeout"
          description="Evaluation timeout sent to Prometheus with each query, e.g. 30s. Empty: Prometheus's own default."
          invalid={Boolean(queryTimeoutError)}
          error={queryTimeoutError}
        >
          <Input
            id={`${id}-query-timeout`}
            width={40}
            placeholder="30s"
            value={jsonData.queryTimeout ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              setJsonData({ queryTimeout: e.target.value === '' ? undefined : e.target.value })
            }
          />
        </Field>
        <Field
          label="Scrape interval"
          description={`How often Prometheus scrapes the services, e.g. 15s or 1m: $__rate_interval is at least four times this. Empty: ${DEFAULT_SCRAPE_INTERVAL}.`}
          invalid={Boolean(scrapeIntervalError)}
          error={scrapeIntervalError}
        >
          <Input
            id={`${id}-scrape-interval`}
            width={40}
            placeholder={DEFAULT_SCRAPE_INTERVAL}
            value={jsonData.scrapeInterval ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              setJsonData({ scrapeInterval: e.target.value === '' ? undefined : e.target.value })
            }
          />
        </Field>
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
    </Stack>
  );
}
