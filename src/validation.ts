// Input checks shared by the editors. They mirror what the backend accepts (pkg/query
// ParseDuration), so that the editor flags exactly the values the backend would reject.

const MAX_SECONDS = 365 * 24 * 3600;

// A plain number of seconds: "30", "0.5", ".5".
const SECONDS = /^(\d+\.?\d*|\.\d+)$/;
// A Go duration (time.ParseDuration) without a sign: "15s", "1m30s", "1.5h", "500ms".
const GO_DURATION = /^((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
// A Prometheus duration (model.ParseDuration): integer units in order, "1d", "2w", "1h30m".
const PROM_DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

/**
 * Returns an error message for a step or timeout value, or undefined when the value is
 * empty or valid: a Go/Prometheus duration ("15s", "1m30s", "1d") or a number of seconds.
 */
export function durationError(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  if (SECONDS.test(v)) {
    return Number(v) <= MAX_SECONDS ? undefined : 'Must be at most one year';
  }
  if (GO_DURATION.test(v) || PROM_DURATION.test(v)) {
    return undefined;
  }
  return 'Not a duration: use a form like 15s, 1m30s or 2h, or a number of seconds';
}

/** Returns an error message for a URL field, or undefined when it is empty or an absolute http(s) URL. */
export function httpUrlError(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'Not a URL: use a form like http://alertmanager:9093';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'Must start with http:// or https://';
  }
  if (url.hostname === '') {
    return 'Must name a host';
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(v)) {
    return 'Must not have a query (?) or fragment (#)';
  }
  return undefined;
}

/** Returns an error message for a whole number field bounded to [min, max], or undefined when empty or valid. */
export function integerRangeError(value: string | undefined, min: number, max: number): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  const n = Number(v);
  return /^\d+$/.test(v) && n >= min && n <= max ? undefined : `Must be a whole number from ${min} to ${max}`;
}
