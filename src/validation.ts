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

/** Escapes a value for a double-quoted PromQL string. */
export function escapePromQLString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// One label matcher: a label name (classic, or any UTF-8 name in double quotes, as
// Prometheus 3 reads "service.name"), an operator and a quoted value ("..." or '...' with
// backslash escapes, or `...` raw).
const MATCHER =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)+")\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*$/;

const CLASSIC_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const CLASSIC_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Writes a label name as PromQL: as it is when classic, else quoted ("service.name"), as the backend does. */
export function promQLLabel(name: string): string {
  return CLASSIC_LABEL.test(name) ? name : `"${escapePromQLString(name)}"`;
}

/**
 * Writes the series selector of a metric and a matcher list (without braces, possibly
 * empty): up, up{job="a"}, or {"my.metric",job="a"} for a UTF-8 metric name.
 */
export function promQLSelector(metric: string, matchers = ''): string {
  if (CLASSIC_METRIC.test(metric)) {
    return matchers === '' ? metric : `${metric}{${matchers}}`;
  }
  const name = `"${escapePromQLString(metric)}"`;
  return matchers === '' ? `{${name}}` : `{${name},${matchers}}`;
}

/**
 * Returns an error message for a label-matcher list (`job="api",path=~"/api/.*"`, no braces),
 * or undefined when it is empty or valid. Dashboard variables inside the quotes are fine.
 */
export function matchersError(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  if (v.startsWith('{') || v.endsWith('}')) {
    return 'Leave out the braces: write matchers like job="api",path=~"/api/.*"';
  }
  const parts = splitMatchers(v);
  for (const [i, part] of parts.entries()) {
    if (part.trim() === '') {
      // A trailing comma is valid PromQL; an empty matcher elsewhere is not.
      if (i === parts.length - 1 && i > 0) {
        continue;
      }
      return 'Empty matcher: remove the extra comma';
    }
    if (!MATCHER.test(part)) {
      return `Not a label matcher: ${part.trim()} (use a form like job="api", path=~"/api/.*" or "service.name"="api")`;
    }
  }
  return undefined;
}

/** Splits a matcher list at the commas outside quotes. */
function splitMatchers(s: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote !== '`') {
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === ',') {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Returns an error message for a quantile, or undefined when it is a number from 0 to 1. */
export function quantileError(value: string): string | undefined {
  const v = value.trim();
  const n = Number(v);
  return v !== '' && Number.isFinite(n) && n >= 0 && n <= 1
    ? undefined
    : `Not a quantile: ${value} (use a number from 0 to 1, e.g. 0.99)`;
}

/** Escapes the regex metacharacters of a value for a field that is a regex itself (not PromQL text). */
export function escapeRegex(value: string): string {
  return value.replace(/[\\$^*{}[\]+?.()|]/g, '\\$&');
}

/**
 * Escapes a value for use inside a double-quoted PromQL regex matcher (`=~"..."`): regex
 * metacharacters get a regex backslash (written `\\` in the PromQL string) and double quotes
 * a string backslash.
 */
export function escapePromQLRegex(value: string): string {
  return value
    .replace(/\\/g, '\\\\\\\\')
    .replace(/[$^*{}[\]+?.()|]/g, '\\\\$&')
    .replace(/"/g, '\\"');
}

// A decimal number, optionally with an exponent: "10000", "0.25", ".5", "1e9".
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads a threshold input: undefined when empty, NaN when not a number. */
export function parseThreshold(text: string | undefined): number | undefined {
  const v = (text ?? '').trim();
  if (v === '') {
    return undefined;
  }
  const n = Number(v);
  return NUMBER.test(v) && Number.isFinite(n) ? n : NaN;
}

/** Returns an error message for one threshold input, or undefined when it is empty or a number of at least 0. */
export function thresholdError(text: string | undefined): string | undefined {
  const n = parseThreshold(text);
  if (n === undefined) {
    return undefined;
  }
  if (Number.isNaN(n)) {
    return 'Not a number';
  }
  // A sign flags -0 too, on the way to a negative number.
  return n < 0 || (text ?? '').trim().startsWith('-') ? 'Must not be negative' : undefined;
}

/**
 * The inline errors of a signal's warning and critical inputs: each input's own error, else
 * a warning above the critical level, where an empty input stands for its default. The error
 * goes to the input that was set (the warning one when both were).
 */
export function thresholdPairErrors(
  warning: string,
  critical: string,
  defaults: { warning?: number; critical?: number } = {}
): { warning?: string; critical?: string } {
  const errors = { warning: thresholdError(warning), critical: thresholdError(critical) };
  if (errors.warning || errors.critical) {
    return errors;
  }
  const w = parseThreshold(warning);
  const c = parseThreshold(critical);
  const effectiveW = w ?? defaults.warning;
  const effectiveC = c ?? defaults.critical;
  if (effectiveW === undefined || effectiveC === undefined || effectiveW <= effectiveC) {
    return {};
  }
  if (w !== undefined) {
    const note = c === undefined ? ', the default' : '';
    return { warning: `Above the critical threshold (${effectiveC}${note})` };
  }
  return { critical: `Below the warning threshold (${effectiveW}, the default)` };
}
