import { DataQuery } from '@grafana/schema';

import schema from './schema/v0alpha1/query.types.json';
import queries from './testdata/queries.json';
import {
  AGGREGATIONS,
  ALERTS_FORMATS,
  ALERTS_SOURCES,
  EXPVAR_MODES,
  GoPulseQuery,
  HEALTH_FORMATS,
  PROMQL_FORMATS,
  QUERY_MODEL_FIELDS,
  QUERY_TYPE_LABELS,
  QueryType,
  RUNTIME_SOURCES,
  THRESHOLD_LEVELS,
  VARIABLE_QUERY_FIELDS,
  VARIABLE_QUERY_KINDS,
} from './types';

// src/types.ts against the JSON schema generated from the Go query models (pkg/query,
// TestSchema): the query types, the fields of each model and every enumeration.

interface JSONSchema {
  enum?: string[];
  properties?: Record<string, JSONSchema>;
  items?: JSONSchema;
  additionalProperties?: boolean | JSONSchema;
}

/** The SDK's QueryTypeDefinitionList, as far as this test reads it. */
interface QueryTypeDefinitions {
  items: Array<{ spec: { discriminators: Array<{ field: string; value: string }>; schema: JSONSchema } }>;
}

/** The schema of each query type's model, by its queryType. */
const models = new Map<string, JSONSchema>(
  (schema as unknown as QueryTypeDefinitions).items.map((item) => {
    const queryType = item.spec.discriminators.find((d) => d.field === 'queryType')?.value;
    return [String(queryType), item.spec.schema];
  })
);

const sorted = (values: Iterable<string>) => [...values].sort();

/** Every enumeration of a schema, by its path (`format`, `variableQuery.kind`). */
function enums(s: JSONSchema, path: string, out: Record<string, string[]>): Record<string, string[]> {
  if (s.enum) {
    out[path] = sorted(s.enum);
  }
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    enums(p, path === '' ? name : `${path}.${name}`, out);
  }
  if (s.items) {
    enums(s.items, `${path}[]`, out);
  }
  if (typeof s.additionalProperties === 'object') {
    enums(s.additionalProperties, `${path}{}`, out);
  }
  return out;
}

describe('src/types.ts and the query models', () => {
  it('name the same query types', () => {
    expect(sorted(Object.keys(QUERY_TYPE_LABELS))).toEqual(sorted(models.keys()));
  });

  it.each(Object.keys(QUERY_MODEL_FIELDS) as QueryType[])('give the %s model the same fields', (queryType) => {
    expect(sorted(QUERY_MODEL_FIELDS[queryType])).toEqual(sorted(Object.keys(models.get(queryType)?.properties ?? {})));
  });

  it('give a template-variable query and a health threshold the same fields', () => {
    const variableQuery = models.get('variable')?.properties?.variableQuery;
    expect(sorted(VARIABLE_QUERY_FIELDS)).toEqual(sorted(Object.keys(variableQuery?.properties ?? {})));
    const thresholds = models.get('health')?.properties?.thresholds?.additionalProperties;
    const threshold = typeof thresholds === 'object' ? thresholds : {};
    expect(sorted(THRESHOLD_LEVELS)).toEqual(sorted(Object.keys(threshold.properties ?? {})));
  });

  it('have the same enumerations', () => {
    const inSchema: Record<string, string[]> = {};
    for (const [queryType, s] of models) {
      enums(s, queryType, inSchema);
    }
    expect({
      'promql.format': sorted(PROMQL_FORMATS),
      'runtime.source': sorted(RUNTIME_SOURCES),
      'business.aggregation': sorted(AGGREGATIONS),
      'expvar.mode': sorted(EXPVAR_MODES),
      'alerts.source': sorted(ALERTS_SOURCES),
      'alerts.format': sorted(ALERTS_FORMATS),
      'health.format': sorted(HEALTH_FORMATS),
      'variable.variableQuery.kind': sorted(VARIABLE_QUERY_KINDS),
    }).toEqual(inSchema);
  });

  it.each(queries.map((q) => [q.refId, q.queryType, q] as const))(
    "writes in the editors' example %s (%s) only fields of its model",
    (_, queryType, query) => {
      const fields = Object.keys(models.get(queryType)?.properties ?? {});
      const extra = Object.keys(query).filter((k) => k !== 'refId' && k !== 'queryType' && !fields.includes(k));
      expect(extra).toEqual([]);
    }
  );

  it('list every field of GoPulseQuery in a query model', () => {
    // A field of GoPulseQuery in no model fails to compile (npm run typecheck).
    type Unlisted = Exclude<keyof GoPulseQuery, keyof DataQuery | (typeof QUERY_MODEL_FIELDS)[QueryType][number]>;
    const unlisted: [Unlisted] extends [never] ? [] : [Unlisted] = [];
    expect(unlisted).toEqual([]);
  });
});
