import { durationError, httpUrlError, integerRangeError } from './validation';

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
