import { useEffect, useState } from 'react';

export interface ResourceState<T> {
  value: T;
  loading: boolean;
  /** Why the last load failed, for display. */
  error?: string;
}

/**
 * Loads a data source resource for an editor: again whenever `key` changes, never when
 * `load` is undefined (nothing to ask yet). Answers to an older key are dropped.
 */
export function useResource<T>(key: string, load: (() => Promise<T>) | undefined, initial: T): ResourceState<T> {
  const [state, setState] = useState<{ key?: string; value: T; error?: string }>({ value: initial });
  const enabled = load !== undefined;

  useEffect(() => {
    if (!load) {
      return;
    }
    let current = true;
    load().then(
      (value) => current && setState({ key, value }),
      (err: unknown) => current && setState({ key, value: initial, error: errorMessage(err) })
    );
    return () => {
      current = false;
    };
    // `load` and `initial` are new on every render: `key` names what is loaded.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled]);

  if (!enabled) {
    return { value: initial, loading: false };
  }
  if (state.key !== key) {
    return { value: initial, loading: true };
  }
  return { value: state.value, loading: false, error: state.error };
}

/** The message of a failed resource call: the backend's `{error}` body, Grafana's `{message}`, or the error's own. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { data?: { error?: unknown; message?: unknown }; message?: unknown; statusText?: unknown };
    for (const m of [e.data?.error, e.data?.message, e.message, e.statusText]) {
      if (typeof m === 'string' && m !== '') {
        return m;
      }
    }
  }
  return typeof err === 'string' && err !== '' ? err : 'request failed';
}
