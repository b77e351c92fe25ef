package prometheus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// This file decodes the answers of /api/v1/query and /api/v1/query_range in one pass over
// the body, straight into the vectors that frames are built from: no reflection, no
// intermediate model values. Samples go into shared chunks (one allocation per many
// series), label strings into a per-call string arena, so that the allocations of a
// decode grow with the number of series (a labels map each), not with the samples.

// Limits bound the decoding work; zero means no limit.
type Limits struct {
	// MaxSamples is the most samples (float and histogram) an answer may carry.
	MaxSamples int
	// MaxSeries is the most series (matrix series or vector samples) an answer may carry.
	MaxSeries int
}

// Series is one decoded series, ready to become frame fields without copying.
type Series struct {
	Labels     data.Labels // includes __name__ when present
	Times      []time.Time // UTC
	Values     []float64   // float samples ("NaN", "+Inf", "-Inf" handled)
	Histograms []Histogram // native histogram samples (times in HistTimes), nil if none
	HistTimes  []time.Time
}

// Histogram is one native histogram sample as Prometheus's JSON gives it.
type Histogram struct {
	Count, Sum float64
	Buckets    []Bucket
}

// Bucket is one bucket of a native histogram. Boundaries tells which ends are inclusive,
// as in the Prometheus API: 0: (l,u], 1: [l,u), 2: (l,u), 3: [l,u].
type Bucket struct {
	Boundaries          int
	Lower, Upper, Count float64
}

// Result is a decoded query answer.
type Result struct {
	Type       string   // "matrix", "vector", "scalar", "string"
	Series     []Series // matrix and vector (a vector sample becomes a one-point series)
	Scalar     float64  // scalar
	ScalarTime time.Time
	String     string // string
	StringTime time.Time
	Warnings   []string
	Infos      []string

	chunks sampleChunks
}

// ErrLimit is wrapped by errors for a hit limit.
var ErrLimit = errors.New("limit reached")

// APIError is an error answer of the Prometheus API ("status":"error").
type APIError struct {
	Type string // errorType: bad_data, timeout, execution, ...
	Msg  string // error
}

func (e *APIError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = "an error answer without a message"
	}
	if e.Type == "" {
		return msg
	}
	return msg + " (" + e.Type + ")"
}

// limitError says which limit was hit; it wraps ErrLimit.
type limitError struct {
	n          int
	what, name string
}

func (e *limitError) Error() string {
	return fmt.Sprintf("more than %d %s (the data source's %s limit)", e.n, e.what, e.name)
}

func (e *limitError) Unwrap() error { return ErrLimit }

// Decode decodes a Prometheus query API answer
// ({"status":"success","data":{...},"warnings":[...],"infos":[...]}).
//
// Keys may come in any order and unknown keys are skipped. A "status":"error" answer gives
// an *APIError; a body that is not JSON, is truncated or is not shaped like a query answer
// gives an error saying what was expected at which byte; a hit limit gives an error
// wrapping ErrLimit. Timestamps keep their milliseconds exactly (digits past the
// millisecond are dropped, as client_golang does).
func Decode(body []byte, lim Limits) (*Result, error) {
	d := decoder{b: body, lim: lim}
	res, err := d.top()
	if err != nil {
		d.pts.chunks.release()
		return nil, err
	}
	res.chunks = d.pts.chunks
	return res, nil
}

// Release hands the memory of the decoded float samples back for the next Decode. The
// Series' Times and Values must not be used after: call it once their values have been
// copied (data.NewField copies). Not calling it is safe: the memory is then collected.
func (r *Result) Release() {
	r.chunks.release()
	r.chunks = sampleChunks{}
	r.Series = nil
}

// sampleChunks are the sample chunks one Decode filled, reused through pools across
// decodes: a query's samples then cost no allocation once the pools are warm.
type sampleChunks struct {
	times  [][]time.Time
	values [][]float64
}

var (
	timeChunks  sync.Pool // *[]time.Time
	valueChunks sync.Pool // *[]float64
)

func (c sampleChunks) release() {
	for _, t := range c.times {
		t = t[:0]
		timeChunks.Put(&t)
	}
	for _, v := range c.values {
		v = v[:0]
		valueChunks.Put(&v)
	}
}

// getChunk returns a pooled chunk with room for size points, or a new one.
func getChunk[T any](pool *sync.Pool, size int) []T {
	if c, ok := pool.Get().(*[]T); ok && cap(*c) >= size {
		return (*c)[:0]
	}
	return make([]T, 0, size)
}

const (
	// maxDepth bounds the nesting of skipped values (as encoding/json does).
	maxDepth = 10000
	// Chunks of samples grow from minChunk to maxChunk points.
	minChunk = 256
	maxChunk = 1 << 16
	// String arena chunks grow from minArena to maxArena bytes.
	minArena = 1 << 10
	maxArena = 64 << 10
)

type decoder struct {
	b   []byte
	i   int
	lim Limits

	samples     int // float and histogram samples so far
	series      int // series so far
	firstSample int // where the first sample began

	pts   points
	htime chunk[time.Time]
	hists chunk[Histogram]
	bkts  chunk[Bucket]
	arena arena

	tmp   []byte   // unescaped strings
	pairs []string // label names and values of the series being decoded
}

// ---- errors

// errAt reports a syntax error at byte i: truncated when i is past the end.
func (d *decoder) errAt(i int, expected string) error {
	if i >= len(d.b) {
		return fmt.Errorf("truncated JSON at byte %d (expected %s)", len(d.b), expected)
	}
	return fmt.Errorf("invalid JSON at byte %d: expected %s, found %s", i, expected, quoteByte(d.b[i]))
}

// shapeErr reports valid JSON that is not shaped like a query answer.
func (d *decoder) shapeErr(i int, format string, args ...any) error {
	return fmt.Errorf("unexpected answer at byte %d: %s", i, fmt.Sprintf(format, args...))
}

func quoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (d *decoder) samplesErr() error {
	return &limitError{n: d.lim.MaxSamples, what: "samples", name: "sample"}
}

// ---- the envelope

func (d *decoder) top() (*Result, error) {
	d.i = skipWS(d.b, 0)
	if d.i >= len(d.b) {
		return nil, errors.New("empty body (expected a JSON object)")
	}
	switch c := d.b[d.i]; {
	case c == '{':
	case c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		return nil, fmt.Errorf("not a JSON object: starts with %s", quoteByte(c))
	default:
		return nil, fmt.Errorf("not JSON: starts with %s", quoteByte(c))
	}
	res := &Result{}
	var status, errType, errMsg string
	var dataErr error
	var seen keySet
	err := d.object(func(k []byte, at int) error {
		switch string(k) {
		case "status":
			if err := seen.add(d, 0, k, at); err != nil {
				return err
			}
			s, err := d.nullableString()
			status = s
			return err
		case "data":
			if err := seen.add(d, 1, k, at); err != nil {
				return err
			}
			if status == "error" || d.null() {
				return d.skip()
			}
			start := d.i
			if dataErr = d.data(res); dataErr != nil {
				if status != "" {
					return dataErr
				}
				// The status may come later and say "error": that answer is more useful.
				d.i = start
				if err := d.skip(); err != nil {
					return dataErr
				}
			}
			return nil
		case "errorType":
			if err := seen.add(d, 2, k, at); err != nil {
				return err
			}
			s, err := d.nullableString()
			errType = s
			return err
		case "error":
			if err := seen.add(d, 3, k, at); err != nil {
				return err
			}
			s, err := d.nullableString()
			errMsg = s
			return err
		case "warnings":
			if err := seen.add(d, 4, k, at); err != nil {
				return err
			}
			var err error
			res.Warnings, err = d.strings()
			return err
		case "infos":
			if err := seen.add(d, 5, k, at); err != nil {
				return err
			}
			var err error
			res.Infos, err = d.strings()
			return err
		}
		if err := d.unusual(k, at, "status", "data", "errorType", "error", "warnings", "infos"); err != nil {
			return err
		}
		return d.skip()
	})
	if err != nil {
		return nil, err
	}
	if i := skipWS(d.b, d.i); i < len(d.b) {
		return nil, fmt.Errorf("invalid JSON at byte %d: unexpected %s after the answer's object", i, quoteByte(d.b[i]))
	}
	switch status {
	case "error":
		return nil, &APIError{Type: errType, Msg: errMsg}
	case "success", "":
		if dataErr != nil {
			return nil, dataErr
		}
	default:
		return nil, fmt.Errorf("unexpected answer: status %q", status)
	}
	if res.Type == "" {
		return nil, errors.New("unexpected answer: no data")
	}
	return res, nil
}

// keySet finds repeated keys of one object.
type keySet uint16

func (s *keySet) add(d *decoder, bit uint, k []byte, at int) error {
	if *s&(1<<bit) != 0 {
		return d.shapeErr(at, "the key %q is repeated", k)
	}
	*s |= 1 << bit
	return nil
}

// unusual refuses a key that differs from a known key only in case (encoding/json would
// take it for that key, an ambiguity that no Prometheus answer has).
func (d *decoder) unusual(k []byte, at int, known ...string) error {
	for _, kk := range known {
		if bytes.EqualFold(k, []byte(kk)) {
			return d.shapeErr(at, "the key %q is not %q", k, kk)
		}
	}
	return nil
}

func (d *decoder) data(res *Result) error {
	resultAt := -1
	hinted := "" // the type the result was decoded as before its resultType was read
	var before decoderState
	var seen keySet
	err := d.object(func(k []byte, at int) error {
		switch string(k) {
		case "resultType":
			if err := seen.add(d, 0, k, at); err != nil {
				return err
			}
			i := d.i
			s, err := d.str()
			if err != nil {
				return err
			}
			if res.Type = resultType(s); res.Type == "" {
				return d.shapeErr(i, "unknown resultType %q", s)
			}
			return nil
		case "result":
			if err := seen.add(d, 1, k, at); err != nil {
				return err
			}
			if res.Type != "" {
				return d.result(res)
			}
			// The type comes later (keys sorted by a proxy, say). Guess it from the last
			// "resultType" of the body and check the guess when the key comes; without a
			// guess, or when decoding with it fails, skip the result and come back to it.
			resultAt, before = d.i, d.state()
			if guess := d.guessType(); guess != "" {
				res.Type = guess
				err := d.result(res)
				res.Type = ""
				if err == nil {
					hinted = guess
					return nil
				}
				d.reset(res, before)
				d.i = resultAt
			}
			return d.skip()
		}
		if err := d.unusual(k, at, "resultType", "result"); err != nil {
			return err
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	switch {
	case res.Type == "":
		return d.shapeErr(d.i-1, "data without a resultType")
	case seen&2 == 0:
		return d.shapeErr(d.i-1, "data without a result")
	case resultAt >= 0 && hinted != res.Type:
		if hinted != "" {
			d.reset(res, before)
		}
		end := d.i
		d.i = resultAt
		if err := d.result(res); err != nil {
			return err
		}
		d.i = end
	}
	return nil
}

func resultType(s []byte) string {
	switch string(s) {
	case "matrix":
		return "matrix"
	case "vector":
		return "vector"
	case "scalar":
		return "scalar"
	case "string":
		return "string"
	}
	return ""
}

// guessType finds "resultType":"<type>" after d.i, the last one of the body (where a
// resultType that follows the result is): only a guess, which the caller checks.
func (d *decoder) guessType() string {
	key := []byte(`"resultType"`)
	k := bytes.LastIndex(d.b[d.i:], key)
	if k < 0 {
		return ""
	}
	i := skipWS(d.b, d.i+k+len(key))
	if i >= len(d.b) || d.b[i] != ':' {
		return ""
	}
	i = skipWS(d.b, i+1)
	if i >= len(d.b) || d.b[i] != '"' {
		return ""
	}
	end := bytes.IndexByte(d.b[i+1:], '"')
	if end < 0 {
		return ""
	}
	return resultType(d.b[i+1 : i+1+end])
}

// decoderState is what decoding a result changes in the decoder, kept to undo it.
type decoderState struct{ samples, series int }

func (d *decoder) state() decoderState { return decoderState{d.samples, d.series} }

// reset undoes the decoding of a result: the counters, the result's values, and the
// samples of an unfinished series.
func (d *decoder) reset(res *Result, s decoderState) {
	d.samples, d.series = s.samples, s.series
	res.Series, res.Scalar, res.ScalarTime, res.String, res.StringTime = nil, 0, time.Time{}, "", time.Time{}
	d.pts.t, d.pts.v = d.pts.t[:d.pts.start], d.pts.v[:d.pts.start]
	d.htime.buf = d.htime.buf[:d.htime.start]
	d.hists.buf = d.hists.buf[:d.hists.start]
	d.bkts.buf = d.bkts.buf[:d.bkts.start]
}

func (d *decoder) result(res *Result) error {
	switch res.Type {
	case "matrix":
		return d.array("a matrix", func() error { return d.matrixSeries(res) })
	case "vector":
		return d.array("a vector", func() error { return d.vectorSample(res) })
	case "scalar":
		ms, v, err := d.floatPair("a scalar")
		if err != nil {
			return err
		}
		res.Scalar, res.ScalarTime = v, msTime(ms)
		if err := d.countSample(); err != nil {
			return err
		}
		return nil
	default: // string
		if err := d.want('[', "'[' starting a [time, \"string\"] pair"); err != nil {
			return err
		}
		ms, err := d.timestamp()
		if err != nil {
			return err
		}
		if err := d.want(',', "',' after the time"); err != nil {
			return err
		}
		s, err := d.text()
		if err != nil {
			return err
		}
		if err := d.want(']', "']' ending the [time, \"string\"] pair"); err != nil {
			return err
		}
		res.String, res.StringTime = string(s), msTime(ms)
		return nil
	}
}

func (d *decoder) countSeries() error {
	d.series++
	if d.lim.MaxSeries > 0 && d.series > d.lim.MaxSeries {
		return &limitError{n: d.lim.MaxSeries, what: "series", name: "series"}
	}
	return nil
}

func (d *decoder) countSample() error {
	d.samples++
	if d.lim.MaxSamples > 0 && d.samples > d.lim.MaxSamples {
		return d.samplesErr()
	}
	return nil
}

// entry decodes one series of a result into a new last element of res.Series:
// {"metric":{...}, k1: ..., k2: ...}, each key at most once; field decodes the value of
// k1 (1) or k2 (2). Its labels are never nil. It returns the keys seen.
func (d *decoder) entry(res *Result, k1, k2 string, field func(key uint, s *Series) error) (keySet, error) {
	var seen keySet
	if err := d.countSeries(); err != nil {
		return seen, err
	}
	res.Series = append(res.Series, Series{})
	s := &res.Series[len(res.Series)-1]
	err := d.object(func(k []byte, at int) error {
		var key uint
		switch string(k) {
		case "metric":
		case k1:
			key = 1
		case k2:
			key = 2
		default:
			if err := d.unusual(k, at, "metric", k1, k2); err != nil {
				return err
			}
			return d.skip()
		}
		if err := seen.add(d, key, k, at); err != nil {
			return err
		}
		if key == 0 {
			var err error
			s.Labels, err = d.labels()
			return err
		}
		return field(key, s)
	})
	if s.Labels == nil {
		s.Labels = data.Labels{}
	}
	return seen, err
}

// matrixSeries decodes {"metric":{...},"values":[...],"histograms":[...]}.
func (d *decoder) matrixSeries(res *Result) error {
	_, err := d.entry(res, "values", "histograms", func(key uint, s *Series) error {
		if key == 1 {
			return d.values(s)
		}
		return d.array("histograms", func() error { return d.histogramPair() }, func() { s.HistTimes, s.Histograms = d.htime.done(), d.hists.done() })
	})
	return err
}

// vectorSample decodes {"metric":{...},"value":[t,"v"]} or {"metric":{...},"histogram":[t,{...}]}.
func (d *decoder) vectorSample(res *Result) error {
	start := d.i
	seen, err := d.entry(res, "value", "histogram", func(key uint, s *Series) error {
		if key == 2 {
			if err := d.histogramPair(); err != nil {
				return err
			}
			s.HistTimes, s.Histograms = d.htime.done(), d.hists.done()
			return nil
		}
		ms, v, err := d.floatPair("a vector sample's value")
		if err != nil {
			return err
		}
		if err := d.countSample(); err != nil {
			return err
		}
		d.addPoint(ms, v)
		s.Times, s.Values = d.pts.done()
		return nil
	})
	if err != nil {
		return err
	}
	switch seen & 6 {
	case 0:
		return d.shapeErr(start, "a vector sample without value or histogram")
	case 6:
		return d.shapeErr(start, "a vector sample with both a value and a histogram")
	}
	return nil
}

// labels decodes {"name":"value",...} (or null) into a labels map, its strings in the
// arena.
func (d *decoder) labels() (data.Labels, error) {
	if d.null() {
		d.i += 4
		return data.Labels{}, nil
	}
	d.pairs = d.pairs[:0]
	err := d.object(func(k []byte, at int) error {
		name := d.arena.str(k)
		v, err := d.text()
		if err != nil {
			return err
		}
		d.pairs = append(d.pairs, name, d.arena.str(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := make(data.Labels, len(d.pairs)/2)
	for i := 0; i < len(d.pairs); i += 2 {
		m[d.pairs[i]] = d.pairs[i+1]
	}
	clear(d.pairs) // drop the references
	return m, nil
}

// values decodes [[t,"v"],...] (or null): the hot loop.
func (d *decoder) values(s *Series) error {
	b, i := d.b, skipWS(d.b, d.i)
	if d.null() {
		d.i += 4
		return nil
	}
	if i >= len(b) || b[i] != '[' {
		return d.errAt(i, "'[' starting the values")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		d.i = i + 1
		return nil
	}
	for {
		if i >= len(b) || b[i] != '[' {
			return d.errAt(i, "'[' starting a [time, \"value\"] pair")
		}
		d.i = i + 1
		ms, v, err := d.pairRest()
		if err != nil {
			return err
		}
		d.samples++
		if d.lim.MaxSamples > 0 && d.samples > d.lim.MaxSamples {
			return d.samplesErr()
		}
		d.addPoint(ms, v)
		i = skipWS(b, d.i)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			d.i = i + 1
			s.Times, s.Values = d.pts.done()
			return nil
		}
		return d.errAt(i, "',' or ']' after a [time, \"value\"] pair")
	}
}

// floatPair decodes [t,"v"].
func (d *decoder) floatPair(what string) (int64, float64, error) {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != '[' {
		return 0, 0, d.errAt(i, "'[' starting "+what)
	}
	d.i = i + 1
	return d.pairRest()
}

// pairRest decodes t,"v"] after the '['. Pairs as Prometheus writes them
// ([1700000000.123,"1.5"]: no white space, a plain decimal value) take the fast paths.
func (d *decoder) pairRest() (int64, float64, error) {
	b := d.b
	ms, i, ok := fastTime(b, d.i)
	if !ok {
		var err error
		if ms, err = d.timestamp(); err != nil {
			return 0, 0, err
		}
		if err := d.want(',', "',' after the time"); err != nil {
			return 0, 0, err
		}
		i = d.i
	}
	if v, next, ok := fastValue(b, i); ok {
		d.i = next
		return ms, v, nil
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '"' {
		return 0, 0, d.errAt(i, "a quoted sample value")
	}
	i++
	start, esc := i, false
	for i < len(b) {
		c := b[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			esc = true
			i += 2
			continue
		}
		if c < 0x20 {
			return 0, 0, d.errAt(i, "a character of the sample value")
		}
		i++
	}
	if i >= len(b) {
		return 0, 0, d.errAt(i, "'\"' ending the sample value")
	}
	raw := b[start:i]
	if esc {
		var err error
		if raw, err = d.unescape(raw, start); err != nil {
			return 0, 0, err
		}
	}
	v, ok := parseFloat(raw)
	if !ok {
		return 0, 0, d.shapeErr(start, "the sample value %q is not a number", raw)
	}
	i = skipWS(b, i+1)
	if i >= len(b) || b[i] != ']' {
		return 0, 0, d.errAt(i, "']' ending the [time, \"value\"] pair")
	}
	d.i = i + 1
	return ms, v, nil
}

// fastTime decodes digits(.digits)?, at i, up to the ',' after it, as timestamp does;
// not ok for anything else (a sign, white space, an exponent, an error).
func fastTime(b []byte, i int) (ms int64, next int, ok bool) {
	start := i
	var sec int64
	if x, ok := digits8(b, i); ok {
		sec = int64(x)
		i += 8
	}
	for i < len(b) && b[i]-'0' <= 9 {
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	if n := i - start; n == 0 || n > 15 || n > 1 && b[start] == '0' {
		return 0, 0, false
	}
	ms = sec * 1000
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		var f int64
		for i < len(b) && b[i]-'0' <= 9 {
			if i-fs < 3 {
				f = f*10 + int64(b[i]-'0')
			}
			i++
		}
		switch i - fs {
		case 0:
			return 0, 0, false
		case 1:
			f *= 100
		case 2:
			f *= 10
		}
		ms += f
	}
	if i >= len(b) || b[i] != ',' {
		return 0, 0, false
	}
	return ms, i + 1, true
}

// fastValue decodes "decimal"] at i (see decimal); not ok for anything else.
func fastValue(b []byte, i int) (v float64, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	v, i, ok = decimal(b, i+1)
	if !ok || i+1 >= len(b) || b[i] != '"' || b[i+1] != ']' {
		return 0, 0, false
	}
	return v, i + 2, true
}

// decimal decodes -?digits(.digits)? at i with at most 19 digits, correctly rounded as
// strconv.ParseFloat does, and says where it ends. Not ok for other texts (exponents,
// NaN, Inf, longer mantissas), which are left to strconv.
func decimal(b []byte, i int) (v float64, end int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var m uint64
	for x, ok := digits8(b, i); ok; x, ok = digits8(b, i) {
		m = m*1e8 + x
		i += 8
	}
	for i < len(b) && b[i]-'0' <= 9 {
		m = m*10 + uint64(b[i]-'0')
		i++
	}
	digits := i - start
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for x, ok := digits8(b, i); ok; x, ok = digits8(b, i) {
			m = m*1e8 + x
			i += 8
		}
		for i < len(b) && b[i]-'0' <= 9 {
			m = m*10 + uint64(b[i]-'0')
			i++
		}
		frac = i - fs
		if frac == 0 {
			return 0, 0, false
		}
	}
	if digits == 0 || digits+frac > 19 {
		return 0, 0, false
	}
	if m <= 1<<53 {
		// the mantissa and the power of ten are exact: one division is correctly
		// rounded (the exact fast path of strconv)
		v = float64(m) / pow10[frac]
	} else {
		v = divRound(m, frac)
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// timestamp decodes a time in seconds (1700000000.123) into milliseconds, from the
// digits: the first three decimals are kept, later ones dropped (as model.Time does).
func (d *decoder) timestamp() (int64, error) {
	b := d.b
	i := skipWS(b, d.i)
	at := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var sec int64
	for i < len(b) && b[i]-'0' <= 9 {
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	n := i - start
	switch {
	case n == 0:
		if i < len(b) && b[i] == '"' {
			return 0, d.shapeErr(at, "a time must be a number, not a string")
		}
		return 0, d.errAt(i, "a time (a number)")
	case n > 1 && b[start] == '0':
		return 0, d.errAt(start+1, "a number (no leading zeros)")
	case n > 15:
		return 0, d.shapeErr(at, "the time %s is out of range", b[at:i])
	}
	var ms int64
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i]-'0' <= 9 {
			if i-fs < 3 {
				ms = ms*10 + int64(b[i]-'0')
			}
			i++
		}
		switch i - fs {
		case 0:
			return 0, d.errAt(i, "a digit after '.'")
		case 1:
			ms *= 100
		case 2:
			ms *= 10
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		return 0, d.shapeErr(at, "a time in exponent form")
	}
	ms += sec * 1000
	if neg {
		ms = -ms
	}
	d.i = i
	return ms, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// parseFloat parses a sample value as strconv.ParseFloat does, with a fast path for plain
// decimals that needs no string.
func parseFloat(s []byte) (float64, bool) {
	if f, end, ok := decimal(s, 0); ok && end == len(s) {
		return f, true
	}
	f, err := strconv.ParseFloat(string(s), 64) // no allocation up to 32 bytes
	return f, err == nil
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// digits8 reads the eight bytes at b[i:] as a number when they are all ASCII digits (SWAR:
// eight digits checked and combined in a few 64-bit operations).
func digits8(b []byte, i int) (uint64, bool) {
	if i < 0 || len(b)-i < 8 {
		return 0, false
	}
	v := binary.LittleEndian.Uint64(b[i:])
	if v&0xf0f0f0f0f0f0f0f0|(v+0x0606060606060606)&0xf0f0f0f0f0f0f0f0>>4 != 0x3333333333333333 {
		return 0, false
	}
	v -= 0x3030303030303030
	v = v*10 + v>>8                                                                                 // pairs of digits in bytes 0, 2, 4, 6
	v = ((v&0x000000ff000000ff)*(100+1000000<<32) + (v>>16&0x000000ff000000ff)*(1+10000<<32)) >> 32 // all eight
	return v, true
}

// pow10u are the powers of ten that fit a uint64.
var pow10u = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// divRound is m / 10^frac (m > 0, frac <= 19) correctly rounded to a float64 (half to
// even), for mantissas too long for the exact fast path: a 128-by-64-bit division gives
// 63 or 64 bits of quotient, the remainder says whether anything is left below them.
func divRound(m uint64, frac int) float64 {
	d := pow10u[frac]
	// m·2^s < 2^64·d, so the quotient fits 64 bits, and it is at least 2^62.
	s := 63 + bits.Len64(d) - bits.Len64(m)
	var hi, lo uint64
	if s >= 64 {
		hi = m << (s - 64)
	} else {
		hi, lo = m>>(64-s), m<<s
	}
	q, r := bits.Div64(hi, lo, d)
	sh := bits.Len64(q) - 53 // 10 or 11 bits below the mantissa
	mant := q >> sh
	rest, half := q&(1<<sh-1), uint64(1)<<(sh-1)
	if rest > half || rest == half && (r != 0 || mant&1 == 1) {
		mant++
	}
	exp := sh - s + 52 // value = mant·2^(sh-s), mant in [2^52, 2^53]
	if mant == 1<<53 {
		mant >>= 1
		exp++
	}
	return math.Float64frombits(uint64(exp+1023)<<52 | mant&(1<<52-1))
}

// histogramPair decodes [t,{"count":"c","sum":"s","buckets":[[b,"l","u","c"],...]}] into the
// histogram chunks.
func (d *decoder) histogramPair() error {
	if err := d.want('[', "'[' starting a [time, histogram] pair"); err != nil {
		return err
	}
	ms, err := d.timestamp()
	if err != nil {
		return err
	}
	if err := d.want(',', "',' after the time"); err != nil {
		return err
	}
	if d.null() {
		return d.shapeErr(d.i, "a null histogram")
	}
	var h Histogram
	var seen keySet
	err = d.object(func(k []byte, kat int) error {
		switch string(k) {
		case "count":
			if err := seen.add(d, 0, k, kat); err != nil {
				return err
			}
			h.Count, err = d.floatString("the histogram count")
			return err
		case "sum":
			if err := seen.add(d, 1, k, kat); err != nil {
				return err
			}
			h.Sum, err = d.floatString("the histogram sum")
			return err
		case "buckets":
			if err := seen.add(d, 2, k, kat); err != nil {
				return err
			}
			return d.array("buckets", d.bucket, func() { h.Buckets = d.bkts.done() })
		}
		if err := d.unusual(k, kat, "count", "sum", "buckets"); err != nil {
			return err
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	if err := d.want(']', "']' ending the [time, histogram] pair"); err != nil {
		return err
	}
	if err := d.countSample(); err != nil {
		return err
	}
	d.htime.add(msTime(ms))
	d.hists.add(h)
	return nil
}

// bucket decodes [boundaries,"lower","upper","count"].
func (d *decoder) bucket() error {
	if err := d.want('[', "'[' starting a histogram bucket"); err != nil {
		return err
	}
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] < '0' || d.b[i] > '3' {
		if i < len(d.b) && (d.b[i] == '-' || d.b[i] >= '0' && d.b[i] <= '9') {
			return d.shapeErr(i, "bucket boundaries must be 0, 1, 2 or 3")
		}
		return d.errAt(i, "the bucket boundaries (0 to 3)")
	}
	var bk Bucket
	bk.Boundaries = int(d.b[i] - '0')
	d.i = i + 1
	if i+1 < len(d.b) && (d.b[i+1] == '.' || d.b[i+1] == 'e' || d.b[i+1] == 'E' || d.b[i+1] >= '0' && d.b[i+1] <= '9') {
		return d.shapeErr(i, "bucket boundaries must be 0, 1, 2 or 3")
	}
	var err error
	for _, f := range [...]*float64{&bk.Lower, &bk.Upper, &bk.Count} {
		if err = d.want(',', "',' in a histogram bucket"); err != nil {
			return err
		}
		if *f, err = d.floatString("a histogram bucket"); err != nil {
			return err
		}
	}
	if err := d.want(']', "']' ending a histogram bucket"); err != nil {
		return err
	}
	d.bkts.add(bk)
	return nil
}

// floatString decodes a quoted float ("1.5", "NaN", "+Inf").
func (d *decoder) floatString(what string) (float64, error) {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != '"' {
		return 0, d.errAt(i, "a quoted number for "+what)
	}
	s, err := d.str()
	if err != nil {
		return 0, err
	}
	f, ok := parseFloat(s)
	if !ok {
		return 0, d.shapeErr(i, "%s %q is not a number", what, s)
	}
	return f, nil
}

// ---- JSON structure

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// want consumes c after optional white space.
func (d *decoder) want(c byte, expected string) error {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != c {
		return d.errAt(i, expected)
	}
	d.i = i + 1
	return nil
}

// null tells whether the next value is null (without consuming it).
func (d *decoder) null() bool {
	d.i = skipWS(d.b, d.i)
	return bytes.HasPrefix(d.b[d.i:], []byte("null"))
}

// object calls member for each key of an object, with d.i at the value; member must
// consume the value. The key is only valid during the call.
func (d *decoder) object(member func(key []byte, at int) error) error {
	if err := d.want('{', "'{'"); err != nil {
		return err
	}
	i := skipWS(d.b, d.i)
	if i < len(d.b) && d.b[i] == '}' {
		d.i = i + 1
		return nil
	}
	for {
		d.i = i
		if i >= len(d.b) || d.b[i] != '"' {
			return d.errAt(i, "a quoted key")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		if err := d.want(':', "':' after a key"); err != nil {
			return err
		}
		if err := member(k, i); err != nil {
			return err
		}
		i = skipWS(d.b, d.i)
		if i < len(d.b) && d.b[i] == ',' {
			i = skipWS(d.b, i+1)
			continue
		}
		if i < len(d.b) && d.b[i] == '}' {
			d.i = i + 1
			return nil
		}
		return d.errAt(i, "',' or '}' in an object")
	}
}

// array calls elem for each element of an array (or none for null), then done (if any).
func (d *decoder) array(what string, elem func() error, done ...func()) error {
	if d.null() {
		d.i += 4
		return nil
	}
	if err := d.want('[', "'[' starting "+what); err != nil {
		return err
	}
	i := skipWS(d.b, d.i)
	if i < len(d.b) && d.b[i] == ']' {
		d.i = i + 1
	} else {
		for {
			d.i = i
			if err := elem(); err != nil {
				return err
			}
			i = skipWS(d.b, d.i)
			if i < len(d.b) && d.b[i] == ',' {
				i = skipWS(d.b, i+1)
				continue
			}
			if i < len(d.b) && d.b[i] == ']' {
				d.i = i + 1
				break
			}
			return d.errAt(i, "',' or ']' in "+what)
		}
	}
	for _, f := range done {
		f()
	}
	return nil
}

// strings decodes an array of strings (or null).
func (d *decoder) strings() ([]string, error) {
	var out []string
	err := d.array("a list of strings", func() error {
		s, err := d.text()
		out = append(out, string(s))
		return err
	})
	return out, err
}

// nullableString decodes a string or null (as "").
func (d *decoder) nullableString() (string, error) {
	if d.null() {
		d.i += 4
		return "", nil
	}
	s, err := d.text()
	return string(s), err
}

// text decodes a string meant as text: valid UTF-8, escapes decoded. The bytes are only
// valid until the next string is decoded.
func (d *decoder) text() ([]byte, error) {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != '"' {
		return nil, d.errAt(i, "a string")
	}
	return d.str()
}

// str decodes the string at d.i (its opening quote): escapes decoded, UTF-8 checked.
func (d *decoder) str() ([]byte, error) {
	b := d.b
	i := skipWS(b, d.i)
	if i >= len(b) || b[i] != '"' {
		return nil, d.errAt(i, "a string")
	}
	i++
	start, esc, high := i, false, false
	for i < len(b) {
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			esc = true
			i += 2
			continue
		case c < 0x20:
			return nil, d.errAt(i, "a string character (control characters must be escaped)")
		case c >= utf8.RuneSelf:
			high = true
		}
		i++
	}
	if i >= len(b) {
		return nil, d.errAt(i, "'\"' ending a string")
	}
	s := b[start:i]
	d.i = i + 1
	if high && !utf8.Valid(s) {
		return nil, d.shapeErr(start, "a string is not valid UTF-8")
	}
	if esc {
		return d.unescape(s, start)
	}
	return s, nil
}

// unescape decodes the escapes of a string's bytes s (at byte at) into d.tmp. Lone
// surrogates are refused.
func (d *decoder) unescape(s []byte, at int) ([]byte, error) {
	out := d.tmp[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return nil, d.errAt(at+i+1, "an escaped character")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+2:])
			if r < 0 {
				return nil, d.errAt(at+i+2+badHex(s[i+2:]), "four hex digits after \\u")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
					r2 = hex4(s[i+8:])
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, d.shapeErr(at+i, "a lone UTF-16 surrogate in a string")
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
			i += 6
			continue
		default:
			return nil, d.errAt(at+i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
		}
		i += 2
	}
	d.tmp = out
	return out, nil
}

func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// badHex is the offset of the first byte of s that is not one of four hex digits (len(s)
// when s ends first).
func badHex(s []byte) int {
	for k := 0; k < 4; k++ {
		if k >= len(s) || hex4([]byte{s[k], '0', '0', '0'}) < 0 {
			return k
		}
	}
	return 4
}

// skip consumes one value, checking its syntax. It is iterative (no closures, no
// recursion): skipping allocates nothing below 64 levels of nesting.
func (d *decoder) skip() error {
	var buf [64]byte
	stack := buf[:0] // the open containers, '{' or '['
	b, i := d.b, d.i
	for {
		// a value at i
		i = skipWS(b, i)
		if i >= len(b) {
			return d.errAt(i, "a value")
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return d.shapeErr(i, "nested more than %d deep", maxDepth)
			}
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == end {
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				var err error
				if i, err = d.skipKey(i); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			d.i = i
			if _, err := d.skipString(); err != nil {
				return err
			}
			i = d.i
		case c == 't' || c == 'f' || c == 'n':
			d.i = i
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if err := d.literal(lit); err != nil {
				return err
			}
			i = d.i
		case c == '-' || c >= '0' && c <= '9':
			d.i = i
			if err := d.number(); err != nil {
				return err
			}
			i = d.i
		default:
			return d.errAt(i, "a value")
		}
		// after a value: close containers until one goes on
		for {
			if len(stack) == 0 {
				d.i = i
				return nil
			}
			i = skipWS(b, i)
			top := stack[len(stack)-1]
			if i < len(b) && b[i] == ',' {
				i++
				if top == '{' {
					var err error
					if i, err = d.skipKey(skipWS(b, i)); err != nil {
						return err
					}
				}
				break
			}
			if top == '{' && i < len(b) && b[i] == '}' || top == '[' && i < len(b) && b[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if top == '{' {
				return d.errAt(i, "',' or '}' in an object")
			}
			return d.errAt(i, "',' or ']' in an array")
		}
	}
}

// skipKey consumes "key": at i.
func (d *decoder) skipKey(i int) (int, error) {
	if i >= len(d.b) || d.b[i] != '"' {
		return 0, d.errAt(i, "a quoted key")
	}
	d.i = i
	if _, err := d.skipString(); err != nil {
		return 0, err
	}
	i = skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != ':' {
		return 0, d.errAt(i, "':' after a key")
	}
	return i + 1, nil
}

// skipString consumes a string, checking its escapes but not its UTF-8.
func (d *decoder) skipString() (int, error) {
	b := d.b
	i := d.i + 1
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return i, nil
		case c < 0x20:
			return 0, d.errAt(i, "a string character (control characters must be escaped)")
		case c == '\\':
			if i+1 >= len(b) {
				return 0, d.errAt(i+1, "an escaped character")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i+2:]) < 0 {
					return 0, d.errAt(i+2+badHex(b[i+2:]), "four hex digits after \\u")
				}
				i += 6
			default:
				return 0, d.errAt(i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
			}
		default:
			i++
		}
	}
	return 0, d.errAt(i, "'\"' ending a string")
}

func (d *decoder) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if i := d.i + k; i >= len(d.b) || d.b[i] != lit[k] {
			return d.errAt(i, strconv.Quote(lit))
		}
	}
	d.i += len(lit)
	return nil
}

// number consumes a JSON number.
func (d *decoder) number() error {
	b, i := d.b, d.i
	digits := func(what string) error {
		s := i
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		if i == s {
			return d.errAt(i, what)
		}
		return nil
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if err := digits("a digit"); err != nil {
		return err
	}
	if i < len(b) && b[i] == '.' {
		i++
		if err := digits("a digit after '.'"); err != nil {
			return err
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if err := digits("a digit in the exponent"); err != nil {
			return err
		}
	}
	d.i = i
	return nil
}

// ---- storage

// points holds the float samples of many series in shared chunks; the series being
// decoded is at the end of the current chunk, from start.
type points struct {
	t      []time.Time
	v      []float64
	start  int
	chunks sampleChunks
}

// addPoint adds a float sample to the series being decoded.
func (d *decoder) addPoint(ms int64, v float64) {
	p := &d.pts
	if len(p.t) == cap(p.t) {
		p.grow(d.estimate())
	}
	p.t = append(p.t, msTime(ms))
	p.v = append(p.v, v)
}

// estimate guesses how many samples are still to come, from the bytes per sample so far.
func (d *decoder) estimate() int {
	if d.firstSample == 0 { // the first chunk
		d.firstSample = d.i
	}
	n := minChunk
	if used := d.i - d.firstSample; d.samples >= minChunk && used > 0 {
		n = int(int64(len(d.b)-d.i)*int64(d.samples)/int64(used)) + 1
		n += n/32 + 16 // a little more rather than a last small chunk
	}
	if d.lim.MaxSamples > 0 {
		n = min(n, d.lim.MaxSamples-d.samples+1)
	}
	return n
}

// grow moves the series being decoded to a new chunk of about size points.
func (p *points) grow(size int) {
	n := len(p.t) - p.start
	size = max(min(max(size, minChunk), maxChunk), 2*n)
	t := getChunk[time.Time](&timeChunks, size)[:n]
	v := getChunk[float64](&valueChunks, size)[:n]
	copy(t, p.t[p.start:])
	copy(v, p.v[p.start:])
	p.chunks.times = append(p.chunks.times, t)
	p.chunks.values = append(p.chunks.values, v)
	p.t, p.v, p.start = t, v, 0
}

// done returns the series being decoded (nil if empty), capped so that appending to it
// cannot touch the next series.
func (p *points) done() ([]time.Time, []float64) {
	s, e := p.start, len(p.t)
	if s == e {
		return nil, nil
	}
	p.start = e
	return p.t[s:e:e], p.v[s:e:e]
}

// chunk is points for one kind of value (histogram samples and buckets).
type chunk[T any] struct {
	buf   []T
	start int
	total int
}

func (c *chunk[T]) add(x T) {
	if len(c.buf) == cap(c.buf) {
		n := len(c.buf) - c.start
		size := max(min(max(c.total, 16), maxChunk), 2*n)
		buf := make([]T, n, size)
		copy(buf, c.buf[c.start:])
		c.total += size
		c.buf, c.start = buf, 0
	}
	c.buf = append(c.buf, x)
}

func (c *chunk[T]) done() []T {
	s, e := c.start, len(c.buf)
	if s == e {
		return nil
	}
	c.start = e
	return c.buf[s:e:e]
}

// arena makes strings out of chunks of a strings.Builder: one allocation for many label
// names and values. It lives for one Decode call.
type arena struct {
	sb    *strings.Builder
	total int
}

func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a.sb == nil || a.sb.Cap()-a.sb.Len() < len(b) {
		size := min(max(a.total, minArena), maxArena)
		if len(b) > size/4 {
			return string(b)
		}
		a.sb = new(strings.Builder)
		a.sb.Grow(size)
		a.total += size
	}
	n := a.sb.Len()
	a.sb.Write(b)
	return a.sb.String()[n:]
}
