import { screen } from '@testing-library/react';

import { EditorSettings, renderSettingsEditor } from '../test/utils';
import { AlertmanagerSettings } from './AlertmanagerSettings';

type Settings = EditorSettings;

const settings = (over: Partial<Settings> = {}): Settings =>
  ({
    id: 1,
    uid: 'gopulse',
    orgId: 1,
    name: 'GoPulse',
    type: 'gopulse-health-datasource',
    access: 'proxy',
    url: 'http://prometheus:9090',
    basicAuth: true,
    basicAuthUser: 'grafana',
    jsonData: { alertmanagerUrl: 'http://am:9093', httpHeaderName1: 'X-Api-Token' },
    secureJsonFields: { basicAuthPassword: true, httpHeaderValue1: true },
    ...over,
  }) as Settings;

const setup = (initial: Settings) => renderSettingsEditor(AlertmanagerSettings, initial);

describe('AlertmanagerSettings', () => {
  it('shows no connection settings until an Alertmanager URL is set', () => {
    setup(settings({ jsonData: {} }));
    expect(screen.getByLabelText(/Alertmanager URL/)).toHaveValue('');
    expect(screen.queryByLabelText(/Use Prometheus's credentials/)).not.toBeInTheDocument();
  });

  it("does not share Prometheus's credentials unless asked, and says what sharing means", async () => {
    const { user, last } = setup(settings());
    const share = screen.getByLabelText(/Use Prometheus's credentials/);
    expect(share).not.toBeChecked();
    expect(screen.getByLabelText(/Basic auth/)).toBeInTheDocument();
    await user.click(share);
    expect(last().jsonData.alertmanagerUsePrometheusAuth).toBe(true);
    expect(screen.getByText(/Prometheus's credentials go to the Alertmanager/)).toBeInTheDocument();
    expect(screen.queryByLabelText(/Basic auth/)).not.toBeInTheDocument();
    // Prometheus's own settings are left as they were.
    expect(last().basicAuth).toBe(true);
    expect(last().jsonData.httpHeaderName1).toBe('X-Api-Token');
  });

  it('keeps its own basic auth and headers under the alertmanager keys, secrets in secureJsonData', async () => {
    const { user, last } = setup(settings());
    await user.click(screen.getByLabelText(/Basic auth/));
    await user.type(screen.getByLabelText(/^User/), 'am-reader');
    await user.type(screen.getByLabelText(/^Password/), 'am-pass');
    await user.click(screen.getByRole('button', { name: /Add header/ }));
    await user.type(screen.getByLabelText('Alertmanager header 1 name'), 'X-Scope-OrgID');
    await user.type(screen.getByLabelText('Alertmanager header 1 value'), 'tenant-a');
    const s = last();
    expect(s.jsonData).toMatchObject({
      alertmanagerBasicAuth: true,
      alertmanagerBasicAuthUser: 'am-reader',
      alertmanagerHttpHeaderName1: 'X-Scope-OrgID',
    });
    expect(s.secureJsonData).toEqual({
      alertmanagerBasicAuthPassword: 'am-pass',
      alertmanagerHttpHeaderValue1: 'tenant-a',
    });
    expect(JSON.stringify(s.jsonData)).not.toContain('am-pass');
    expect(JSON.stringify(s.jsonData)).not.toContain('tenant-a');
  });

  it('shows a configured secret as configured and resets it', async () => {
    const { user, last } = setup(
      settings({
        jsonData: { alertmanagerUrl: 'http://am:9093', alertmanagerBasicAuth: true, alertmanagerBasicAuthUser: 'u' },
        secureJsonFields: { alertmanagerBasicAuthPassword: true },
      })
    );
    expect(screen.getByLabelText(/^Password/)).toHaveValue('configured');
    await user.click(screen.getByRole('button', { name: /Reset/ }));
    expect(last().secureJsonFields.alertmanagerBasicAuthPassword).toBe(false);
    expect(last().secureJsonData?.alertmanagerBasicAuthPassword).toBe('');
  });

  it('removes a header with its value', async () => {
    const { user, last } = setup(
      settings({
        jsonData: { alertmanagerUrl: 'http://am:9093', alertmanagerHttpHeaderName1: 'X-Scope-OrgID' },
        secureJsonFields: { alertmanagerHttpHeaderValue1: true },
      })
    );
    await user.click(screen.getByRole('button', { name: /Remove header 1/ }));
    expect(last().jsonData.alertmanagerHttpHeaderName1).toBeUndefined();
    expect(last().secureJsonFields.alertmanagerHttpHeaderValue1).toBe(false);
  });

  it('flags an Alertmanager URL without a scheme', async () => {
    const { user } = setup(settings({ jsonData: {} }));
    await user.type(screen.getByLabelText(/Alertmanager URL/), 'am:9093');
    expect(await screen.findByText(/http:\/\/ or https:\/\//)).toBeInTheDocument();
  });
});
