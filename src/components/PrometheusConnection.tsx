import React from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import {
  AdvancedHttpSettings,
  Auth,
  ConfigSection,
  ConnectionSettings,
  convertLegacyAuthProps,
} from '@grafana/plugin-ui';

import { GoPulseOptions, GoPulseSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>;

/**
 * The Prometheus connection with @grafana/plugin-ui's sections, as Grafana's own data sources
 * have them: the URL, authentication (basic auth, TLS, custom headers: Grafana's standard
 * `basicAuth`, `tlsSkipVerify`, `httpHeaderName1`, ... keys) and the HTTP timeout
 * (`jsonData.timeout`, seconds). A backend data source is always queried through the Grafana
 * server (access `proxy`).
 */
export function PrometheusConnection({ options, onOptionsChange }: Props) {
  const config = { ...options, access: options.access || 'proxy' };
  return (
    <>
      <ConnectionSettings
        config={config}
        onChange={onOptionsChange}
        urlLabel="Prometheus URL"
        urlPlaceholder="http://localhost:9090"
        urlTooltip="The Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics). Optional when expvar targets are configured below: an expvar-only data source answers expvar, runtime (source expvar) and health queries."
      />
      <Auth {...convertLegacyAuthProps({ config, onChange: onOptionsChange })} />
      <ConfigSection title="Advanced HTTP settings" isCollapsible isInitiallyOpen={Boolean(options.jsonData.timeout)}>
        <AdvancedHttpSettings config={config} onChange={onOptionsChange} />
      </ConfigSection>
    </>
  );
}
