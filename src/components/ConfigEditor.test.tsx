import { DataSourceSettings } from '@grafana/data';
import { screen, within } from '@testing-library/react';

import { openList, pick, renderSettingsEditor } from '../test/utils';
import { GoPulseOptions, GoPulseSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<GoPulseOptions, GoPulseSecureJsonData>;

// `database` is a required but deprecated key of DataSourceSettings: left out, hence the cast.
const baseSettings = (over: Partial<Settings> = {}): Settings =>
  ({
    id: 1,
    uid: 'gopulse',
    orgId: 1,
    name: 'GoPulse',
    typeLogoUrl: '',
    type: 'gopulse-health-datasource',
    typeName: 'GoPulse',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...over,
  }) as Settings;

const setup = (initial: Settings) => renderSettingsEditor(ConfigEditor, initial);

describe('ConfigEditor', () => {
  it('writes the Prometheus URL into url', async () => {
    const { user, last } = setup(baseSettings());
    await user.type(screen.getByLabelText(/Prometheus URL/), 'http://prometheus:9090');
    expect(last().url).toBe('http://prometheus:9090');
  });

  it('writes the HTTP timeout into jsonData.timeout as a number of seconds', async () => {
    const { user, last } = setup(baseSettings());
    await user.click(screen.getByRole('button', { name: /Advanced HTTP settings/ }));
    await user.type(screen.getByLabelText(/^Timeout/), '45');
    expect(last().jsonData.timeout).toBe(45);
  });

  it('writes the Alertmanager URL into jsonData.alertmanagerUrl and flags a URL without a scheme', async () => {
    const { user, last } = setup(baseSettings());
    const input = screen.getByLabelText(/Alertmanager URL/);
    await user.type(input, 'alertmanager:9093');
    expect(last().jsonData.alertmanagerUrl).toBe('alertmanager:9093');
    expect(screen.getByText('Must start with http:// or https://')).toBeInTheDocument();

    await user.clear(input);
    expect(last().jsonData.alertmanagerUrl).toBeUndefined();
    await user.type(input, 'http://alertmanager:9093');
    expect(last().jsonData.alertmanagerUrl).toBe('http://alertmanager:9093');
    expect(screen.queryByText('Must start with http:// or https://')).not.toBeInTheDocument();
  });

  it('writes the query timeout into jsonData.queryTimeout and flags a bad duration', async () => {
    const { user, last } = setup(baseSettings());
    const input = screen.getByLabelText(/Query timeout/);
    await user.type(input, '30s');
    expect(last().jsonData.queryTimeout).toBe('30s');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
    await user.clear(input);
    await user.type(input, 'soon');
    expect(last().jsonData.queryTimeout).toBe('soon');
    expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
  });

  it('writes the scrape interval into jsonData.scrapeInterval, hints the 15s default, and flags a bad duration', async () => {
    const { user, last } = setup(baseSettings());
    const input = screen.getByLabelText(/Scrape interval/);
    expect(input).toHaveAttribute('placeholder', '15s');
    await user.type(input, '30s');
    expect(last().jsonData.scrapeInterval).toBe('30s');
    expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
    await user.clear(input);
    expect(last().jsonData.scrapeInterval).toBeUndefined();
    await user.type(input, 'often');
    expect(last().jsonData.scrapeInterval).toBe('often');
    expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
  });

  it('writes max concurrent queries as a number and flags out-of-range or non-numeric input', async () => {
    const { user, last } = setup(baseSettings());
    const input = screen.getByLabelText(/Max concurrent queries/);
    await user.type(input, '8');
    expect(last().jsonData.maxConcurrentQueries).toBe(8);
    expect(screen.queryByText('Must be a whole number from 1 to 10')).not.toBeInTheDocument();
    await user.clear(input);
    expect(last().jsonData.maxConcurrentQueries).toBeUndefined();
    await user.type(input, '20');
    expect(last().jsonData.maxConcurrentQueries).toBe(20);
    expect(screen.getByText('Must be a whole number from 1 to 10')).toBeInTheDocument();
    await user.clear(input);
    await user.type(input, 'four');
    expect(last().jsonData.maxConcurrentQueries).toBeUndefined();
    expect(screen.getByText('Must be a whole number from 1 to 10')).toBeInTheDocument();
  });

  it('shows saved GoPulse options', () => {
    setup(
      baseSettings({
        url: 'http://prom:9090',
        jsonData: {
          alertmanagerUrl: 'http://am:9093',
          queryTimeout: '1m',
          maxConcurrentQueries: 6,
          scrapeInterval: '1m',
        },
      })
    );
    expect(screen.getByLabelText(/Prometheus URL/)).toHaveValue('http://prom:9090');
    expect(screen.getByLabelText(/Alertmanager URL/)).toHaveValue('http://am:9093');
    expect(screen.getByLabelText(/Query timeout/)).toHaveValue('1m');
    expect(screen.getByLabelText(/Max concurrent queries/)).toHaveValue('6');
    expect(screen.getByLabelText(/Scrape interval/)).toHaveValue('1m');
  });

  /** Picks an authentication method in @grafana/plugin-ui's Auth section. */
  async function pickAuthMethod(user: ReturnType<typeof setup>['user'], label: string) {
    await user.click(screen.getByLabelText('Authentication method'));
    await user.click(await screen.findByText(label));
  }

  it('turns basic auth on and puts the password into secureJsonData only', async () => {
    const { user, last, onOptionsChange } = setup(baseSettings({ url: 'http://prom:9090' }));
    await pickAuthMethod(user, 'Basic authentication');
    expect(last().basicAuth).toBe(true);

    await user.type(screen.getByLabelText(/^User/), 'reader');
    await user.type(screen.getByPlaceholderText('Password'), 's3cret-pw');
    expect(last().basicAuthUser).toBe('reader');
    expect(last().secureJsonData?.basicAuthPassword).toBe('s3cret-pw');
    // The password never lands in jsonData (or anywhere but secureJsonData) in any change.
    for (const [settings] of onOptionsChange.mock.calls) {
      const { secureJsonData, ...rest } = settings;
      expect(JSON.stringify(rest)).not.toContain('s3cret');
    }
  });

  it('shows a saved password as configured and resets it', async () => {
    const { user, last } = setup(
      baseSettings({ basicAuth: true, basicAuthUser: 'reader', secureJsonFields: { basicAuthPassword: true } })
    );
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.basicAuthPassword).toBe(false);
    expect(last().secureJsonData?.basicAuthPassword).toBe('');
    expect(screen.queryByDisplayValue('configured')).not.toBeInTheDocument();
    expect(screen.getByPlaceholderText('Password')).toBeEnabled();
  });

  it('puts a custom header name into jsonData and its value into secureJsonData', async () => {
    const { user, last } = setup(baseSettings({ url: 'http://prom:9090' }));
    await user.click(screen.getByRole('button', { name: /HTTP headers/ }));
    await user.click(screen.getByRole('button', { name: /Add header/ }));
    await user.type(screen.getByPlaceholderText('X-Custom-Header'), 'X-Scope-OrgID');
    await user.type(screen.getByPlaceholderText('Header value'), 'tenant-1');
    await user.tab();
    expect(last().jsonData.httpHeaderName1).toBe('X-Scope-OrgID');
    expect(last().secureJsonData?.httpHeaderValue1).toBe('tenant-1');
    expect(JSON.stringify(last().jsonData)).not.toContain('tenant-1');
  });

  it('turns TLS skip verify on in jsonData', async () => {
    const { user, last } = setup(baseSettings({ url: 'https://prom:9090' }));
    await user.click(screen.getByLabelText('Skip TLS certificate validation'));
    expect(last().jsonData.tlsSkipVerify).toBe(true);
  });

  describe('Expvar', () => {
    it('adds a target and writes it into jsonData.expvarTargets without an empty instance', async () => {
      const { user, last } = setup(baseSettings());
      await user.click(screen.getByRole('button', { name: /Add target/ }));
      await user.type(screen.getByLabelText('Target 1 name'), 'api');
      await user.type(screen.getByLabelText('Target 1 URL'), 'http://api:8080/debug/vars');
      expect(last().jsonData.expvarTargets).toEqual([{ name: 'api', url: 'http://api:8080/debug/vars' }]);
      expect(screen.queryByText(/required/)).not.toBeInTheDocument();
    });

    it('edits the instance of a saved target', async () => {
      const { user, last } = setup(
        baseSettings({ jsonData: { expvarTargets: [{ name: 'api', url: 'http://api:8080/debug/vars' }] } })
      );
      expect(screen.getByLabelText('Target 1 name')).toHaveValue('api');
      await user.type(screen.getByLabelText('Target 1 instance'), 'api-0');
      expect(last().jsonData.expvarTargets).toEqual([
        { name: 'api', url: 'http://api:8080/debug/vars', instance: 'api-0' },
      ]);
      await user.clear(screen.getByLabelText('Target 1 instance'));
      expect(last().jsonData.expvarTargets).toEqual([{ name: 'api', url: 'http://api:8080/debug/vars' }]);
    });

    it('removes a row, and leaves expvarTargets out when none is left', async () => {
      const { user, last } = setup(
        baseSettings({
          jsonData: {
            expvarTargets: [
              { name: 'api', url: 'http://api:8080/debug/vars' },
              { name: 'worker', url: 'http://worker:8080/debug/vars', instance: 'w1' },
            ],
          },
        })
      );
      await user.click(screen.getByRole('button', { name: 'Remove target 1' }));
      expect(last().jsonData.expvarTargets).toEqual([
        { name: 'worker', url: 'http://worker:8080/debug/vars', instance: 'w1' },
      ]);
      expect(screen.getByLabelText('Target 1 name')).toHaveValue('worker');
      await user.click(screen.getByRole('button', { name: 'Remove target 1' }));
      expect(last().jsonData.expvarTargets).toBeUndefined();
      expect(screen.queryByLabelText('Target 1 name')).not.toBeInTheDocument();
    });

    it('flags a bad URL, a missing name and a duplicate name', async () => {
      const { user, last } = setup(
        baseSettings({ jsonData: { expvarTargets: [{ name: 'api', url: 'http://api:8080/debug/vars' }] } })
      );
      await user.click(screen.getByRole('button', { name: /Add target/ }));
      await user.type(screen.getByLabelText('Target 2 URL'), 'api:8080/debug/vars');
      expect(last().jsonData.expvarTargets?.[1]).toEqual({ name: '', url: 'api:8080/debug/vars' });
      expect(screen.getByText('Must start with http:// or https://')).toBeInTheDocument();
      expect(screen.getByText('Name is required')).toBeInTheDocument();

      await user.type(screen.getByLabelText('Target 2 name'), 'api');
      expect(screen.getAllByText('Name must be unique')).toHaveLength(2);
      await user.clear(screen.getByLabelText('Target 2 URL'));
      await user.type(screen.getByLabelText('Target 2 URL'), 'http://api-2:8080/debug/vars');
      expect(screen.queryByText('Must start with http:// or https://')).not.toBeInTheDocument();
    });

    it('writes discover jobs as an array and the discover port as a number', async () => {
      const { user, last } = setup(baseSettings());
      const jobs = screen.getByLabelText(/Discover jobs/);
      await user.type(jobs, 'api{Enter}');
      await user.type(jobs, 'worker{Enter}');
      expect(last().jsonData.expvarDiscoverJobs).toEqual(['api', 'worker']);
      await user.type(screen.getByLabelText(/Discover port/), '6060');
      expect(last().jsonData.expvarDiscoverPort).toBe(6060);
      await user.clear(screen.getByLabelText(/Discover port/));
      expect(last().jsonData.expvarDiscoverPort).toBeUndefined();
    });

    it('writes the poll interval, retention and path as strings and flags a bad duration', async () => {
      const { user, last } = setup(baseSettings());
      const poll = screen.getByLabelText(/Poll interval/);
      expect(poll).toHaveAttribute('placeholder', '10s');
      expect(screen.getByLabelText(/Retention/)).toHaveAttribute('placeholder', '1h');
      expect(screen.getByLabelText(/Expvar path/)).toHaveAttribute('placeholder', '/debug/vars');
      await user.type(poll, '30s');
      expect(last().jsonData.expvarPollInterval).toBe('30s');
      expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
      await user.clear(poll);
      expect(last().jsonData.expvarPollInterval).toBeUndefined();
      await user.type(poll, 'often');
      expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
      await user.type(screen.getByLabelText(/Retention/), '6h');
      expect(last().jsonData.expvarRetention).toBe('6h');
      await user.type(screen.getByLabelText(/Expvar path/), '/vars');
      expect(last().jsonData.expvarPath).toBe('/vars');
    });
  });

  describe('Health', () => {
    it('shows the defaults as placeholders', () => {
      setup(baseSettings());
      expect(screen.getByLabelText(/Request metric/)).toHaveAttribute('placeholder', 'http_requests_total');
      expect(screen.getByLabelText(/Error selector/)).toHaveAttribute('placeholder', 'code=~"5.."');
      expect(screen.getByLabelText(/Latency metric/)).toHaveAttribute('placeholder', 'http_request_duration_seconds');
      expect(screen.getByLabelText(/Growth window/)).toHaveAttribute('placeholder', '1m');
      expect(screen.getByLabelText(/Critical alerts/)).toHaveAttribute('placeholder', 'P1');
      expect(screen.getByLabelText('Goroutines warning')).toHaveAttribute('placeholder', '10000');
      expect(screen.getByLabelText('Goroutines critical')).toHaveAttribute('placeholder', '50000');
      expect(screen.getByLabelText('Heap in use critical')).toHaveAttribute('placeholder', '1073741824');
      expect(screen.getByLabelText('Request rate warning')).toHaveAttribute('placeholder', 'none');
      expect(screen.getByLabelText('Latency p99 warning')).toHaveAttribute('placeholder', '0.25');
    });

    it('writes the request and latency metrics, and leaves them out when emptied', async () => {
      const { user, last } = setup(baseSettings());
      await user.type(screen.getByLabelText(/Request metric/), 'api_requests_total');
      expect(last().jsonData.healthRequestMetric).toBe('api_requests_total');
      await user.type(screen.getByLabelText(/Latency metric/), 'api_latency_seconds');
      expect(last().jsonData.healthLatencyMetric).toBe('api_latency_seconds');
      await user.clear(screen.getByLabelText(/Request metric/));
      expect(last().jsonData.healthRequestMetric).toBeUndefined();
      expect(JSON.parse(JSON.stringify(last().jsonData))).toEqual({ healthLatencyMetric: 'api_latency_seconds' });
    });

    it('flags a latency metric named with _bucket', async () => {
      const { user, last } = setup(baseSettings());
      await user.type(screen.getByLabelText(/Latency metric/), 'http_request_duration_seconds_bucket');
      expect(last().jsonData.healthLatencyMetric).toBe('http_request_duration_seconds_bucket');
      expect(screen.getByText("Use the histogram's base name, without _bucket, _sum or _count")).toBeInTheDocument();
    });

    it('writes the error selector and flags one with braces', async () => {
      const { user, last } = setup(baseSettings());
      const input = screen.getByLabelText(/Error selector/);
      await user.click(input);
      await user.paste('status=~"5..|429"');
      expect(last().jsonData.healthErrorSelector).toBe('status=~"5..|429"');
      expect(screen.queryByText(/Leave out the braces/)).not.toBeInTheDocument();
      await user.clear(input);
      await user.paste('{code="500"}');
      expect(screen.getByText(/Leave out the braces/)).toBeInTheDocument();
    });

    it('writes the growth window and flags a bad duration', async () => {
      const { user, last } = setup(baseSettings());
      const input = screen.getByLabelText(/Growth window/);
      await user.type(input, '15m');
      expect(last().jsonData.healthGrowthWindow).toBe('15m');
      expect(screen.queryByText(/Not a duration/)).not.toBeInTheDocument();
      await user.clear(input);
      expect(last().jsonData.healthGrowthWindow).toBeUndefined();
      await user.type(input, 'a while');
      expect(screen.getByText(/Not a duration/)).toBeInTheDocument();
    });

    it('offers P0 to P9 as critical alerts, writes the picked one and leaves it out when cleared', async () => {
      const { user, last } = setup(baseSettings());
      const list = await openList(user, /Critical alerts/);
      expect(
        within(list)
          .getAllByRole('option')
          .map((o) => o.textContent)
      ).toEqual(['P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9']);
      await user.click(within(list).getByText('P2'));
      expect(last().jsonData.healthAlertCritical).toBe('P2');
      await user.click(screen.getByTitle('Clear value'));
      expect(last().jsonData.healthAlertCritical).toBeUndefined();
      await pick(user, /Critical alerts/, 'P0');
      expect(last().jsonData.healthAlertCritical).toBe('P0');
    });

    it('writes thresholds into jsonData.healthThresholds and removes emptied ones', async () => {
      const { user, last } = setup(baseSettings());
      await user.type(screen.getByLabelText('Goroutines warning'), '20000');
      await user.type(screen.getByLabelText('Request rate critical'), '1000');
      expect(last().jsonData.healthThresholds).toEqual({
        goroutines: { warning: 20000 },
        request_rate: { critical: 1000 },
      });
      await user.clear(screen.getByLabelText('Goroutines warning'));
      expect(last().jsonData.healthThresholds).toEqual({ request_rate: { critical: 1000 } });
      await user.clear(screen.getByLabelText('Request rate critical'));
      expect(last().jsonData.healthThresholds).toBeUndefined();
    });

    it('flags invalid thresholds and does not store them', async () => {
      const { user, onOptionsChange } = setup(baseSettings());
      await user.type(screen.getByLabelText('Error ratio warning'), '0.5');
      // Above the built-in critical level of the error ratio.
      expect(screen.getByText('Above the critical threshold (0.05, the default)')).toBeInTheDocument();
      await user.type(screen.getByLabelText('Heap in use warning'), 'lots');
      expect(screen.getByText('Not a number')).toBeInTheDocument();
      await user.type(screen.getByLabelText('GC pause p99 warning'), '-0.1');
      expect(screen.getByText('Must not be negative')).toBeInTheDocument();
      for (const [settings] of onOptionsChange.mock.calls) {
        expect(settings.jsonData.healthThresholds?.heap_inuse).toBeUndefined();
        expect(settings.jsonData.healthThresholds?.gc_pause_p99).toBeUndefined();
      }
      // 0 and 0.05 of the error ratio were valid on the way to 0.5: the last valid one stays.
      expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData.healthThresholds).toEqual({ error_ratio: { warning: 0 } });
    });

    it('shows saved health settings', () => {
      setup(
        baseSettings({
          jsonData: {
            healthRequestMetric: 'api_requests_total',
            healthErrorSelector: 'code=~"5.."',
            healthGrowthWindow: '10m',
            healthAlertCritical: 'P2',
            healthThresholds: { latency_p99: { warning: 0.1, critical: 0.3 } },
          },
        })
      );
      expect(screen.getByLabelText(/Request metric/)).toHaveValue('api_requests_total');
      expect(screen.getByLabelText(/Error selector/)).toHaveValue('code=~"5.."');
      expect(screen.getByLabelText(/Growth window/)).toHaveValue('10m');
      expect(screen.getByLabelText(/Critical alerts/)).toHaveValue('P2');
      expect(screen.getByLabelText('Latency p99 warning')).toHaveValue('0.1');
      expect(screen.getByLabelText('Latency p99 critical')).toHaveValue('0.3');
    });
  });
});
