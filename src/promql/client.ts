import type { PrometheusClient } from '@prometheus-io/codemirror-promql';
import type { MetricMetadata as CompletionMetadata } from '@prometheus-io/codemirror-promql/dist/esm/client/prometheus';
import type { Matcher } from '@prometheus-io/codemirror-promql/dist/esm/types';
import { EqlRegex, EqlSingle, Neq, NeqRegex } from '@prometheus-io/lezer-promql';

import type { DataSource } from '../datasource';
import { promQLLabel, promQLSelector } from '../validation';

/** The resource calls of the data source that autocomplete needs. */
export type CompletionResources = Pick<
  DataSource,
  'fetchLabelNames' | 'fetchLabelValues' | 'fetchMetricNames' | 'fetchMetadata'
>;

/** How long an answer is reused while the user types (the data source and the backend cache as long). */
const MAX_AGE_MS = 30_000;

/**
 * The PrometheusClient of codemirror-promql's autocomplete, backed by the GoPulse data
 * source's resources instead of direct calls to Prometheus (which the browser cannot reach,
 * and which would bypass the data source's auth):
 *
 * - labelNames(metric)                 → `labels?match[]=metric`
 * - labelValues(label, metric, matchers) → `label-values?label=L&match[]=metric{matchers}`
 * - metricMetadata()                   → `metadata` (`[{metric, type, help, unit}]`, grouped by metric)
 * - series(metric, matchers, label)    → label values of `label` as one-label series (no series resource)
 * - metricNames()                      → `metrics`
 * - flags()                            → `{}` (not needed by the completion)
 */
export class GoPulsePrometheusClient implements PrometheusClient {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly resources: CompletionResources) {}

  labelNames(metricName?: string): Promise<string[]> {
    const match = metricName ? promQLSelector(metricName) : undefined;
    return this.cached(`labels:${match ?? ''}`, () => this.resources.fetchLabelNames(match));
  }

  labelValues(labelName: string, metricName?: string, matchers?: Matcher[]): Promise<string[]> {
    const match = selector(metricName, matchers, labelName);
    return this.cached(`values:${labelName}:${match ?? ''}`, () => this.resources.fetchLabelValues(labelName, match));
  }

  metricMetadata(): Promise<Record<string, CompletionMetadata[]>> {
    return this.cached('metadata', async () => {
      const out: Record<string, CompletionMetadata[]> = {};
      for (const m of await this.resources.fetchMetadata()) {
        if (!m || typeof m.metric !== 'string') {
          continue;
        }
        const list = (out[m.metric] ??= []);
        if (!list.some((e) => e.type === m.type && e.help === m.help)) {
          list.push({ type: m.type, help: m.help });
        }
      }
      return out;
    });
  }

  async series(metricName: string, matchers?: Matcher[], labelName?: string): Promise<Array<Map<string, string>>> {
    if (!labelName) {
      return [];
    }
    const values = await this.labelValues(labelName, metricName, matchers);
    return values.map((v) => new Map([[labelName, v]]));
  }

  metricNames(_prefix?: string): Promise<string[]> {
    // The whole list (bounded by the backend) is fetched once: the completion filters it
    // fuzzily, which a prefix filter on the server would defeat.
    return this.cached('metrics', () => this.resources.fetchMetricNames());
  }

  flags(): Promise<Record<string, string>> {
    return Promise.resolve({});
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < MAX_AGE_MS) {
      return hit.value as Promise<T>;
    }
    const value = load();
    this.cache.set(key, { at: now, value });
    value.catch(() => {
      if (this.cache.get(key)?.value === value) {
        this.cache.delete(key);
      }
    });
    return value;
  }
}

/**
 * The series selector of a completion context: the metric name and the matchers typed so
 * far, less the matcher on the label being completed and matchers with an empty value (as
 * codemirror-promql's own client does), UTF-8 names quoted. Undefined when there is
 * nothing to match on.
 */
export function selector(metricName?: string, matchers?: Matcher[], labelName?: string): string | undefined {
  const parts: string[] = [];
  for (const m of matchers ?? []) {
    if (m.name === labelName || m.value === '') {
      continue;
    }
    parts.push(`${promQLLabel(m.name)}${matchOp(m.type)}"${m.value}"`);
  }
  const metric = metricName ?? '';
  if (metric === '') {
    return parts.length === 0 ? undefined : `{${parts.join(',')}}`;
  }
  return promQLSelector(metric, parts.join(','));
}

function matchOp(type: number): string {
  switch (type) {
    case Neq:
      return '!=';
    case EqlRegex:
      return '=~';
    case NeqRegex:
      return '!~';
    case EqlSingle:
    default:
      return '=';
  }
}
