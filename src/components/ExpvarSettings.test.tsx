import { screen } from '@testing-library/react';

import { EditorSettings, renderSettingsEditor } from '../test/utils';
import { ExpvarSettings, pathTags, tagsToPaths } from './ExpvarSettings';

const settings = (over: Partial<EditorSettings> = {}): EditorSettings =>
  ({
    id: 1,
    uid: 'gopulse',
    orgId: 1,
    name: 'GoPulse',
    type: 'gopulse-health-datasource',
    access: 'proxy',
    url: '',
    jsonData: {
      expvarTargets: [
        { name: 'etcd', url: 'http://etcd:2379/debug/vars' },
        { name: 'caddy', url: 'http://caddy:2019/debug/vars' },
      ],
      expvarTargetOptions: { caddy: { job: 'edge', headers: ['X-Api-Key'] } },
    },
    secureJsonFields: { 'expvarTargetHeader.caddy.X-Api-Key': true },
    ...over,
  }) as EditorSettings;

describe('ExpvarSettings', () => {
  it("shows each target's options, and a configured header value as configured", () => {
    renderSettingsEditor(ExpvarSettings, settings());
    expect(screen.getByLabelText('etcd job')).toHaveValue('');
    expect(screen.getByLabelText('caddy job')).toHaveValue('edge');
    expect(screen.getByLabelText('caddy header 1 name')).toHaveValue('X-Api-Key');
    expect(screen.getByLabelText('caddy header 1 value')).toHaveValue('configured');
  });

  it("keeps a target's job and user in jsonData and its secrets in secureJsonData under its name", async () => {
    const { user, last } = renderSettingsEditor(ExpvarSettings, settings());
    await user.type(screen.getByLabelText('etcd job'), 'etcd');
    await user.type(screen.getByLabelText('etcd basic auth user'), 'ops');
    await user.type(screen.getByLabelText('etcd basic auth password'), 'pw-secret');
    await user.type(screen.getByLabelText('etcd bearer token'), 'tok-secret');
    const s = last();
    expect(s.jsonData.expvarTargetOptions).toEqual({
      etcd: { job: 'etcd', basicAuthUser: 'ops' },
      caddy: { job: 'edge', headers: ['X-Api-Key'] },
    });
    expect(s.secureJsonData).toMatchObject({
      'expvarTargetPassword.etcd': 'pw-secret',
      'expvarTargetToken.etcd': 'tok-secret',
    });
    expect(JSON.stringify(s.jsonData)).not.toContain('secret');
  });

  it('writes the runtime signal paths and the discovery allow-list', async () => {
    const { user, last } = renderSettingsEditor(ExpvarSettings, settings());
    await user.type(screen.getAllByPlaceholderText('signal=path')[0], 'goroutines=app.NumGoroutine{Enter}');
    expect(last().jsonData.expvarSignalPaths).toEqual({ goroutines: 'app.NumGoroutine' });
    const hosts = screen.getAllByRole('textbox').at(-1)!;
    await user.type(hosts, '*.internal{Enter}');
    expect(last().jsonData.expvarDiscoverHosts).toEqual(['*.internal']);
  });
});

describe('signal path tags', () => {
  it('round-trips signal=path and drops malformed entries', () => {
    expect(tagsToPaths(['goroutines=app.g', 'bad', '=x', 'heap_alloc='])).toEqual({ goroutines: 'app.g' });
    expect(tagsToPaths([])).toBeUndefined();
    expect(pathTags({ goroutines: 'app.g' })).toEqual(['goroutines=app.g']);
  });
});
