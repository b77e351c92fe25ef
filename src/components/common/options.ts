import { ComboboxOption } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';

import { GoPulseQuery } from '../../types';

/** The dashboard's variables as picker options (`$job`), so a field can follow a variable. */
export function variableOptions(): Array<ComboboxOption<string>> {
  let names: string[] = [];
  try {
    names = getTemplateSrv()
      .getVariables()
      .map((v) => v.name);
  } catch {
    // No template service (outside a dashboard): no variables to offer.
  }
  return names.map((name) => ({ value: `$${name}`, label: `$${name}`, group: 'Variables' }));
}

/**
 * The options of a picker of an enumeration (src/types.ts), in the order of its values, with
 * a label (and description) for each value.
 */
export function enumOptions<T extends string>(
  values: readonly T[],
  labels: Record<T, { label: string; description?: string }>
): Array<{ value: T; label: string; description?: string }> {
  return values.map((value) => ({ value, ...labels[value] }));
}

/** Plain string values as picker options. */
export function stringOptions(values: string[]): Array<ComboboxOption<string>> {
  return values.map((value) => ({ value, label: value }));
}

/**
 * The query with `key` set to `value`, or without `key` when the value is empty (undefined,
 * '' or an empty list), so the saved model carries only what the user chose.
 */
export function setField<K extends keyof GoPulseQuery>(
  query: GoPulseQuery,
  key: K,
  value: GoPulseQuery[K]
): GoPulseQuery {
  const out = { ...query };
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
    delete (out as Partial<GoPulseQuery>)[key];
  } else {
    out[key] = value;
  }
  return out;
}

/**
 * `value` when it is one of `values`, else `fallback`: reads a field that several query types
 * share (`source`, `format`) as the value of one type.
 */
export function oneOf<T>(value: unknown, values: readonly T[], fallback: T): T {
  return values.includes(value as T) ? (value as T) : fallback;
}

/** The message shown under a picker whose list could not be loaded. */
export function loadError(what: string, error: string | undefined): string | undefined {
  return error ? `Could not load ${what}: ${error}` : undefined;
}
