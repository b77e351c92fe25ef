import {
  durationError,
  escapePromQLString,
  escapeRegex,
  httpUrlError,
  integerRangeError,
  matchersError,
  parseThreshold,
  promQLLabel,
  promQLSelector,
  quantileError,
  thresholdError,
  thresholdPairErrors,
} from './validation';

describe('durationError', () => {
  it.each(['', '15s', '1m30s', '2h', '500ms', '1.5h', '1d', '2w', '1h30m', '30', '0.5', '0'])('accepts %p', (v) => {
    expect(durationError(v)).toBeUndefined();
  });

  it.each(['abc', '-5s', '1.5d', '15 s', 's', '1x', '400000000'])('rejects %p', (v) => {
    expect(durationError(v)).toEqual(expect.any(String));
  });
});

describe('httpUrlError', () => {
  it.each(['', 'http://localhost:9093', 'https://am.example.com/prefix'])('accepts %p', (v) => {
    expect(httpUrlError(v)).toBeUndefined();
  });

  it.each([
    'localhost:9093',
    'ftp://am',
    'not a url',
    'file:///etc/passwd',
    'http://am:9093/?x=1',
    'http://am:9093/#top',
  ])('rejects %p', (v) => {
    expect(httpUrlError(v)).toEqual(expect.any(String));
  });
});

describe('integerRangeError', () => {
  it.each(['', '1', '4', '10'])('accepts %p', (v) => expect(integerRangeError(v, 1, 10)).toBeUndefined());
  it.each(['0', '11', '-1', '1.5', 'four'])('rejects %p', (v) =>
    expect(integerRangeError(v, 1, 10)).toBe('Must be a whole number from 1 to 10')
  );
});

describe('matchersError', () => {
  it.each([
    '',
    'job="demo"',
    'job="demo",path=~"/api/.*"',
    ' job = "demo" , path !~ \'/health\' ,',
    'code!="200",method=~`GET|POST`',
    'path="a,b",x="say \\"hi\\""',
    'job="$job",instance=~"$instance"',
    // Prometheus 3's quoted UTF-8 label names.
    '"service.name"="checkout",code!="500"',
    ' "http.route" =~ "/api/.*"',
  ])('accepts %p', (v) => expect(matchersError(v)).toBeUndefined());

  it.each([
    ['{job="demo"}', /Leave out the braces/],
    ['job=demo', /Not a label matcher: job=demo/],
    ['job="demo" or vector(1)', /Not a label matcher/],
    ['job="demo",,path="/"', /Empty matcher/],
    [',', /Empty matcher/],
    ['1job="x"', /Not a label matcher/],
    ['job=="x"', /Not a label matcher/],
    ['job="unclosed', /Not a label matcher/],
    ['""="x"', /Not a label matcher/],
    ['service.name="x"', /Not a label matcher: service.name="x" \(use a form like .* or "service.name"="api"\)/],
  ])('rejects %p', (v, message) => expect(matchersError(v)).toMatch(message));
});

describe('quantileError', () => {
  it.each(['0', '0.5', '0.99', '1', ' 0.999 '])('accepts %p', (v) => expect(quantileError(v)).toBeUndefined());
  it.each(['', '99', '-0.1', '1.01', 'p99', 'NaN'])('rejects %p', (v) =>
    expect(quantileError(v)).toMatch(/Not a quantile/)
  );
});

describe('promQLLabel and promQLSelector', () => {
  it('leave classic names as they are and quote UTF-8 names, as the backend writes them', () => {
    expect(promQLLabel('job')).toBe('job');
    expect(promQLLabel('service.name')).toBe('"service.name"');
    expect(promQLLabel('say "hi"')).toBe('"say \\"hi\\""');
    expect(promQLSelector('up')).toBe('up');
    expect(promQLSelector('up', 'job="a"')).toBe('up{job="a"}');
    expect(promQLSelector('a:b_total')).toBe('a:b_total');
    expect(promQLSelector('http.server.duration')).toBe('{"http.server.duration"}');
    expect(promQLSelector('app.orders_total', '"order.status"="created"')).toBe(
      '{"app.orders_total","order.status"="created"}'
    );
  });
});

describe('escaping', () => {
  it('escapes regex metacharacters for a regex field', () => {
    expect(escapeRegex('10.0.0.1:8080')).toBe('10\\.0\\.0\\.1:8080');
    expect(escapeRegex('a|b(c)$')).toBe('a\\|b\\(c\\)\\$');
  });

  it('escapes a value for a double-quoted PromQL string', () => {
    expect(escapePromQLString('say "hi" \\ bye')).toBe('say \\"hi\\" \\\\ bye');
  });
});

describe('thresholds', () => {
  it('reads numbers, with undefined for empty and NaN for text', () => {
    expect(parseThreshold('')).toBeUndefined();
    expect(parseThreshold(' 0.25 ')).toBe(0.25);
    expect(parseThreshold('1e9')).toBe(1e9);
    expect(parseThreshold('.5')).toBe(0.5);
    expect(parseThreshold('0x10')).toBeNaN();
    expect(parseThreshold('5%')).toBeNaN();
  });

  it.each(['', '0', '10000', '0.01', '1e9'])('accepts %p', (v) => {
    expect(thresholdError(v)).toBeUndefined();
  });

  it.each([
    ['abc', 'Not a number'],
    ['1,5', 'Not a number'],
    ['Infinity', 'Not a number'],
    ['-1', 'Must not be negative'],
    ['-0', 'Must not be negative'],
  ])('rejects %p: %s', (v, message) => {
    expect(thresholdError(v)).toBe(message);
  });

  it('flags a warning above critical, with an empty level read as its default', () => {
    expect(thresholdPairErrors('0.2', '0.5')).toEqual({});
    expect(thresholdPairErrors('0.5', '0.5')).toEqual({});
    expect(thresholdPairErrors('0.6', '0.5')).toEqual({ warning: 'Above the critical threshold (0.5)' });
    expect(thresholdPairErrors('0.6', '', { critical: 0.5 })).toEqual({
      warning: 'Above the critical threshold (0.5, the default)',
    });
    expect(thresholdPairErrors('', '0.1', { warning: 0.25 })).toEqual({
      critical: 'Below the warning threshold (0.25, the default)',
    });
    // No default to compare with: fine.
    expect(thresholdPairErrors('100', '')).toEqual({});
    expect(thresholdPairErrors('x', '-1')).toEqual({ warning: 'Not a number', critical: 'Must not be negative' });
  });
});
