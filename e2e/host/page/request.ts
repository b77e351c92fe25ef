// The request Grafana's query runner builds for a panel.
import { CoreApp, DataQuery, DataQueryRequest, DataSourceRef, dateMath, dateTime, makeTimeRange } from '@grafana/data';

let seq = 0;

/**
 * A panel's request over `opts.from` (default now-15m) to now, with Grafana's interval
 * (the range over maxDataPoints, at least 1 s) in `__interval` and `__interval_ms`.
 */
export function panelRequest<Q extends DataQuery>(
  targets: Q[],
  ds: { getRef(): DataSourceRef },
  opts: { from?: string; intervalMs?: number; maxDataPoints?: number; app?: CoreApp } = {}
): DataQueryRequest<Q> {
  const to = dateTime();
  const from = opts.from
    ? (dateMath.parse(opts.from, false) ?? dateTime(to).subtract(15, 'minutes'))
    : dateTime(to).subtract(15, 'minutes');
  const range = makeTimeRange(from, to);
  range.raw = { from: opts.from ?? 'now-15m', to: 'now' };
  const maxDataPoints = opts.maxDataPoints ?? 1000;
  const intervalMs =
    opts.intervalMs ?? Math.max(1000, Math.round((to.valueOf() - from.valueOf()) / maxDataPoints / 1000) * 1000);
  return {
    requestId: `host-${++seq}`,
    app: opts.app ?? CoreApp.Dashboard,
    interval: `${intervalMs / 1000}s`,
    intervalMs,
    maxDataPoints,
    range,
    scopedVars: {
      __interval: { text: `${intervalMs / 1000}s`, value: `${intervalMs / 1000}s` },
      __interval_ms: { text: String(intervalMs), value: intervalMs },
    },
    startTime: Date.now(),
    timezone: 'browser',
    targets: targets.map((t) => ({ ...t, datasource: ds.getRef() })),
  };
}
