import React, { ChangeEvent, useId } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Button, Field, IconButton, Input, SecretInput, Stack, TagsInput } from '@grafana/ui';

import {
  EXPVAR_HEADER_KEY,
  EXPVAR_PASSWORD_KEY,
  EXPVAR_TOKEN_KEY,
  ExpvarSecureKey,
  ExpvarTargetOptions,
  GoPulseOptions,
  GoPulseSecureJsonData,
} from '../types';

type Props = DataSourcePluginOptionsEditorProps<GoPulseOptions, GoPulseSecureJsonData>;

/** `signal=path` entries of a signal → path mapping, as TagsInput shows them. */
export function pathTags(paths: Record<string, string> | undefined): string[] {
  return Object.entries(paths ?? {}).map(([signal, path]) => `${signal}=${path}`);
}

/** The mapping of `signal=path` entries; entries without `=` or with an empty side are left out. */
export function tagsToPaths(tags: string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const tag of tags) {
    const i = tag.indexOf('=');
    const signal = tag.slice(0, i).trim();
    const path = tag.slice(i + 1).trim();
    if (i > 0 && signal !== '' && path !== '') {
      out[signal] = path;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Options without empty fields; undefined when nothing is left. */
function compact(o: ExpvarTargetOptions): ExpvarTargetOptions | undefined {
  const out: ExpvarTargetOptions = {};
  if (o.job) {
    out.job = o.job;
  }
  if (o.basicAuthUser) {
    out.basicAuthUser = o.basicAuthUser;
  }
  if (o.headers && o.headers.length > 0) {
    out.headers = o.headers;
  }
  if (o.paths && Object.keys(o.paths).length > 0) {
    out.paths = o.paths;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The expvar settings beyond the target list: for each target its job, its credentials (basic
 * auth, a bearer token, headers; the secrets go to secureJsonData under the target's name, and
 * are sent to that target only) and its own runtime signal paths; the runtime signal paths of
 * every target; and the hosts discovery may poll.
 */
export function ExpvarSettings({ options, onOptionsChange }: Props) {
  const id = useId();
  const { jsonData } = options;
  const secureFields = options.secureJsonFields ?? {};
  const secure = options.secureJsonData ?? {};
  const names = [...new Set((jsonData.expvarTargets ?? []).map((t) => t.name.trim()).filter((n) => n !== ''))];
  const targetOptions = jsonData.expvarTargetOptions ?? {};

  const setJsonData = (patch: Partial<GoPulseOptions>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  };
  const setTarget = (name: string, patch: Partial<ExpvarTargetOptions>) => {
    const next = { ...targetOptions };
    const merged = compact({ ...next[name], ...patch });
    if (merged) {
      next[name] = merged;
    } else {
      delete next[name];
    }
    setJsonData({ expvarTargetOptions: Object.keys(next).length > 0 ? next : undefined });
  };
  const secretProps = (key: ExpvarSecureKey) => ({
    isConfigured: Boolean(secureFields[key]),
    value: secure[key] ?? '',
    onReset: () =>
      onOptionsChange({
        ...options,
        secureJsonFields: { ...secureFields, [key]: false },
        secureJsonData: { ...secure, [key]: '' },
      }),
    onChange: (e: ChangeEvent<HTMLInputElement>) =>
      onOptionsChange({ ...options, secureJsonData: { ...secure, [key]: e.currentTarget.value } }),
  });

  return (
    <section>
      <h4>Expvar target options</h4>
      <p>
        A target&apos;s job (runtime and health queries of that job read it), the credentials it needs (sent to this
        target only, never Prometheus&apos;s) and the paths where it publishes runtime signals.
      </p>
      {names.length === 0 && <p>Add targets above to set their options.</p>}
      {names.map((name) => {
        const o = targetOptions[name] ?? {};
        const headers = o.headers ?? [];
        return (
          <Field key={name} label={name}>
            <Stack direction="column" gap={1}>
              <Stack direction="row" gap={1} wrap="wrap">
                <Input
                  aria-label={`${name} job`}
                  width={16}
                  placeholder="Job"
                  value={o.job ?? ''}
                  onChange={(e: ChangeEvent<HTMLInputElement>) => setTarget(name, { job: e.target.value.trim() })}
                />
                <Input
                  aria-label={`${name} basic auth user`}
                  width={16}
                  placeholder="Basic auth user"
                  value={o.basicAuthUser ?? ''}
                  onChange={(e: ChangeEvent<HTMLInputElement>) =>
                    setTarget(name, { basicAuthUser: e.target.value.trim() })
                  }
                />
                <SecretInput
                  aria-label={`${name} basic auth password`}
                  width={20}
                  placeholder="Password"
                  {...secretProps(`${EXPVAR_PASSWORD_KEY}${name}`)}
                />
                <SecretInput
                  aria-label={`${name} bearer token`}
                  width={24}
                  placeholder="Bearer token"
                  {...secretProps(`${EXPVAR_TOKEN_KEY}${name}`)}
                />
              </Stack>
              {headers.map((h, i) => (
                <Stack key={i} direction="row" gap={1}>
                  <Input
                    aria-label={`${name} header ${i + 1} name`}
                    width={20}
                    placeholder="Header"
                    value={h}
                    onChange={(e: ChangeEvent<HTMLInputElement>) =>
                      setTarget(name, { headers: headers.map((x, j) => (j === i ? e.target.value.trim() : x)) })
                    }
                  />
                  <SecretInput
                    aria-label={`${name} header ${i + 1} value`}
                    width={24}
                    placeholder="Value"
                    {...secretProps(`${EXPVAR_HEADER_KEY}${name}.${h}`)}
                  />
                  <IconButton
                    name="trash-alt"
                    tooltip="Remove the header"
                    onClick={() => setTarget(name, { headers: headers.filter((_, j) => j !== i) })}
                  />
                </Stack>
              ))}
              <Stack direction="row" gap={1}>
                <Button
                  variant="secondary"
                  size="sm"
                  icon="plus"
                  onClick={() => setTarget(name, { headers: [...headers, ''] })}
                >
                  Add header
                </Button>
                <TagsInput
                  id={`${id}-${name}-paths`}
                  placeholder="signal=path, e.g. goroutines=app.NumGoroutine"
                  tags={pathTags(o.paths)}
                  onChange={(tags: string[]) => setTarget(name, { paths: tagsToPaths(tags) })}
                />
              </Stack>
            </Stack>
          </Field>
        );
      })}
      <Field
        label="Runtime signal paths"
        description="Where the services publish runtime signals, for every target, as signal=path (goroutines=app.NumGoroutine). Goroutines are looked for at goroutines, Goroutines and NumGoroutine by default."
      >
        <TagsInput
          id={`${id}-signal-paths`}
          placeholder="signal=path"
          tags={pathTags(jsonData.expvarSignalPaths)}
          onChange={(tags: string[]) => setJsonData({ expvarSignalPaths: tagsToPaths(tags) })}
        />
      </Field>
      <Field
        label="Discovered hosts allowed"
        description="Host patterns a discovered target must match (host:port or host, with * wildcards: *.internal, 10.0.0.*:6060). Empty: every host Prometheus scrapes."
      >
        <TagsInput
          id={`${id}-discover-hosts`}
          tags={jsonData.expvarDiscoverHosts ?? []}
          onChange={(tags: string[]) => setJsonData({ expvarDiscoverHosts: tags.length > 0 ? tags : undefined })}
        />
      </Field>
    </section>
  );
}
