import React, { ChangeEvent, useId } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Alert, Button, Field, IconButton, Input, SecretInput, SecretTextArea, Stack, Switch } from '@grafana/ui';

import { AlertmanagerSecureKey, GoPulseOptions, GoPulseSecureJsonData } from '../types';
import { httpUrlError, integerRangeError } from '../validation';

type Props = DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>;

/** The numbers n of the Alertmanager's custom headers (alertmanagerHttpHeaderName{n}), in order. */
function headerNumbers(jsonData: GoPulseOptions): number[] {
  return Object.keys(jsonData)
    .map((k) => /^alertmanagerHttpHeaderName(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => parseInt(m[1], 10))
    .sort((a, b) => a - b);
}

/**
 * The Alertmanager's connection: its URL and its own settings (basic auth, custom headers, TLS,
 * timeout). None of Prometheus's credentials go to it unless the administrator says so.
 */
export function AlertmanagerSettings({ options, onOptionsChange }: Props) {
  const id = useId();
  const { jsonData } = options;
  const secureFields = options.secureJsonFields ?? {};
  const secure = options.secureJsonData ?? {};

  const setJsonData = (patch: Partial<GoPulseOptions>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  };
  const setSecret = (key: AlertmanagerSecureKey, value: string) => {
    onOptionsChange({ ...options, secureJsonData: { ...secure, [key]: value } });
  };
  const resetSecret = (key: AlertmanagerSecureKey) => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureFields, [key]: false },
      secureJsonData: { ...secure, [key]: '' },
    });
  };
  const secretProps = (key: AlertmanagerSecureKey) => ({
    isConfigured: Boolean(secureFields[key]),
    value: secure[key] ?? '',
    onReset: () => resetSecret(key),
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setSecret(key, e.currentTarget.value),
  });

  const headers = headerNumbers(jsonData);
  const addHeader = () => {
    const n = headers.length > 0 ? headers[headers.length - 1] + 1 : 1;
    setJsonData({ [`alertmanagerHttpHeaderName${n}`]: '' });
  };
  const removeHeader = (n: number) => {
    const next = { ...jsonData };
    delete next[`alertmanagerHttpHeaderName${n}`];
    onOptionsChange({
      ...options,
      jsonData: next,
      secureJsonFields: { ...secureFields, [`alertmanagerHttpHeaderValue${n}`]: false },
      secureJsonData: { ...secure, [`alertmanagerHttpHeaderValue${n}`]: '' },
    });
  };

  const urlError = httpUrlError(jsonData.alertmanagerUrl);
  const timeoutText = jsonData.alertmanagerTimeout?.toString() ?? '';
  const timeoutError = integerRangeError(timeoutText, 1, 3600);
  const shared = Boolean(jsonData.alertmanagerUsePrometheusAuth);

  return (
    <section>
      <h3 className="page-heading">Alertmanager</h3>
      <Field
        label="Alertmanager URL"
        description="Optional. Adds silenced and inhibited state to alert queries."
        invalid={Boolean(urlError)}
        error={urlError}
      >
        <Input
          id={`${id}-url`}
          width={40}
          placeholder="http://localhost:9093"
          value={jsonData.alertmanagerUrl ?? ''}
          onChange={(e: ChangeEvent<HTMLInputElement>) => setJsonData({ alertmanagerUrl: e.target.value || undefined })}
        />
      </Field>
      {jsonData.alertmanagerUrl && (
        <>
          <Field
            label="Use Prometheus's credentials"
            description="Send Prometheus's basic auth, custom headers and TLS client certificate to the Alertmanager as well. Off: the Alertmanager gets only what is set below."
          >
            <Switch
              id={`${id}-share`}
              value={shared}
              onChange={(e) => setJsonData({ alertmanagerUsePrometheusAuth: e.currentTarget.checked || undefined })}
            />
          </Field>
          {shared ? (
            <Alert severity="info" title="Prometheus's credentials go to the Alertmanager">
              Only choose this when the Alertmanager is behind the same proxy or trusts the same credentials.
            </Alert>
          ) : (
            <>
              <Field label="Basic auth">
                <Switch
                  id={`${id}-basic-auth`}
                  value={Boolean(jsonData.alertmanagerBasicAuth)}
                  onChange={(e) => setJsonData({ alertmanagerBasicAuth: e.currentTarget.checked || undefined })}
                />
              </Field>
              {jsonData.alertmanagerBasicAuth && (
                <Stack direction="row" gap={1}>
                  <Field label="User">
                    <Input
                      id={`${id}-user`}
                      width={20}
                      value={jsonData.alertmanagerBasicAuthUser ?? ''}
                      onChange={(e: ChangeEvent<HTMLInputElement>) =>
                        setJsonData({ alertmanagerBasicAuthUser: e.target.value || undefined })
                      }
                    />
                  </Field>
                  <Field label="Password">
                    <SecretInput id={`${id}-password`} width={20} {...secretProps('alertmanagerBasicAuthPassword')} />
                  </Field>
                </Stack>
              )}
              <Field
                label="Custom headers"
                description="Sent with every request to the Alertmanager, e.g. X-Scope-OrgID."
              >
                <Stack direction="column" gap={1}>
                  {headers.map((n) => (
                    <Stack key={n} direction="row" gap={1}>
                      <Input
                        aria-label={`Alertmanager header ${n} name`}
                        width={20}
                        placeholder="Header"
                        value={jsonData[`alertmanagerHttpHeaderName${n}`] ?? ''}
                        onChange={(e: ChangeEvent<HTMLInputElement>) =>
                          setJsonData({ [`alertmanagerHttpHeaderName${n}`]: e.target.value })
                        }
                      />
                      <SecretInput
                        aria-label={`Alertmanager header ${n} value`}
                        width={30}
                        placeholder="Value"
                        {...secretProps(`alertmanagerHttpHeaderValue${n}`)}
                      />
                      <IconButton name="trash-alt" tooltip={`Remove header ${n}`} onClick={() => removeHeader(n)} />
                    </Stack>
                  ))}
                  <div>
                    <Button variant="secondary" size="sm" icon="plus" onClick={addHeader}>
                      Add header
                    </Button>
                  </div>
                </Stack>
              </Field>
              <Field label="Skip TLS certificate verification">
                <Switch
                  id={`${id}-skip-verify`}
                  value={Boolean(jsonData.alertmanagerTlsSkipVerify)}
                  onChange={(e) => setJsonData({ alertmanagerTlsSkipVerify: e.currentTarget.checked || undefined })}
                />
              </Field>
              <Field label="With CA certificate" description="Verify the Alertmanager's certificate with this CA.">
                <Switch
                  id={`${id}-with-ca`}
                  value={Boolean(jsonData.alertmanagerTlsAuthWithCACert)}
                  onChange={(e) => setJsonData({ alertmanagerTlsAuthWithCACert: e.currentTarget.checked || undefined })}
                />
              </Field>
              {jsonData.alertmanagerTlsAuthWithCACert && (
                <Field label="CA certificate">
                  <SecretTextArea
                    id={`${id}-ca`}
                    rows={4}
                    cols={50}
                    placeholder="-----BEGIN CERTIFICATE-----"
                    {...secretProps('alertmanagerTlsCACert')}
                  />
                </Field>
              )}
              <Field label="TLS client authentication" description="Present a client certificate to the Alertmanager.">
                <Switch
                  id={`${id}-tls-auth`}
                  value={Boolean(jsonData.alertmanagerTlsAuth)}
                  onChange={(e) => setJsonData({ alertmanagerTlsAuth: e.currentTarget.checked || undefined })}
                />
              </Field>
              {jsonData.alertmanagerTlsAuth && (
                <>
                  <Field label="Server name" description="The name the Alertmanager's certificate is checked against.">
                    <Input
                      id={`${id}-server-name`}
                      width={40}
                      value={jsonData.alertmanagerServerName ?? ''}
                      onChange={(e: ChangeEvent<HTMLInputElement>) =>
                        setJsonData({ alertmanagerServerName: e.target.value || undefined })
                      }
                    />
                  </Field>
                  <Field label="Client certificate">
                    <SecretTextArea
                      id={`${id}-client-cert`}
                      rows={4}
                      cols={50}
                      placeholder="-----BEGIN CERTIFICATE-----"
                      {...secretProps('alertmanagerTlsClientCert')}
                    />
                  </Field>
                  <Field label="Client key">
                    <SecretTextArea
                      id={`${id}-client-key`}
                      rows={4}
                      cols={50}
                      placeholder="-----BEGIN PRIVATE KEY-----"
                      {...secretProps('alertmanagerTlsClientKey')}
                    />
                  </Field>
                </>
              )}
            </>
          )}
          <Field
            label="Timeout"
            description="Seconds to wait for the Alertmanager. Empty: 30."
            invalid={Boolean(timeoutError)}
            error={timeoutError}
          >
            <Input
              id={`${id}-timeout`}
              width={40}
              inputMode="numeric"
              placeholder="30"
              value={timeoutText}
              onChange={(e: ChangeEvent<HTMLInputElement>) => {
                const v = e.target.value.trim();
                setJsonData({ alertmanagerTimeout: /^\d+$/.test(v) ? parseInt(v, 10) : undefined });
              }}
            />
          </Field>
        </>
      )}
    </section>
  );
}
