package prometheus

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/gopulse/health/pkg/jsonscan"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// decoder walks one answer; see Decode.
type decoder struct {
	jsonscan.Scanner
	lim Limits

	samples     int // float and histogram samples so far
	series      int // series so far
	firstSample int // where the first sample began

	pts   points
	htime chunk[time.Time]
	hists chunk[Histogram]
	bkts  chunk[Bucket]
	arena arena

	pairs []string // label names and values of the series being decoded

	// sink, when set, takes each series of a matrix or vector as soon as it is decoded
	// (see decode): the series is built in cur instead of being kept in the Result.
	sink seriesSink
	cur  Series
}

// shapeErr reports valid JSON that is not shaped like a query answer.
func (d *decoder) shapeErr(i int, format string, args ...any) error {
	return fmt.Errorf("unexpected answer at byte %d: %s", i, fmt.Sprintf(format, args...))
}

func (d *decoder) samplesErr() error {
	return &limitError{n: d.lim.MaxSamples, what: "samples", name: "sample"}
}

func (d *decoder) top() (*Result, error) {
	d.I = jsonscan.SkipWS(d.B, 0)
	if d.I >= len(d.B) {
		return nil, errors.New("empty body (expected a JSON object)")
	}
	switch c := d.B[d.I]; {
	case c == '{':
	case c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		return nil, fmt.Errorf("not a JSON object: starts with %s", jsonscan.QuoteByte(c))
	default:
		return nil, fmt.Errorf("not JSON: starts with %s", jsonscan.QuoteByte(c))
	}
	res := &Result{}
	var status, errType, errMsg string
	var dataErr error
	var seen keySet
	err := d.Object(func(k []byte, at int) error {
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
			if status == "error" || d.Null() {
				return d.Skip()
			}
			start := d.I
			if dataErr = d.data(res); dataErr != nil {
				if status != "" {
					return dataErr
				}
				// The status may come later and say "error": that answer is more useful.
				d.I = start
				if err := d.Skip(); err != nil {
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
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	if i := jsonscan.SkipWS(d.B, d.I); i < len(d.B) {
		return nil, fmt.Errorf("invalid JSON at byte %d: unexpected %s after the answer's object", i, jsonscan.QuoteByte(d.B[i]))
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
	err := d.Object(func(k []byte, at int) error {
		switch string(k) {
		case "resultType":
			if err := seen.add(d, 0, k, at); err != nil {
				return err
			}
			i := d.I
			s, err := d.Text()
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
			resultAt, before = d.I, d.state()
			if guess := d.guessType(); guess != "" {
				res.Type = guess
				err := d.result(res)
				res.Type = ""
				if err == nil {
					hinted = guess
					return nil
				}
				d.reset(res, before)
				d.I = resultAt
			}
			return d.Skip()
		}
		if err := d.unusual(k, at, "resultType", "result"); err != nil {
			return err
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	switch {
	case res.Type == "":
		return d.shapeErr(d.I-1, "data without a resultType")
	case seen&2 == 0:
		return d.shapeErr(d.I-1, "data without a result")
	case resultAt >= 0 && hinted != res.Type:
		if hinted != "" {
			d.reset(res, before)
		}
		end := d.I
		d.I = resultAt
		if err := d.result(res); err != nil {
			return err
		}
		d.I = end
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

// guessType finds "resultType":"<type>" after d.I, the last one of the body (where a
// resultType that follows the result is): only a guess, which the caller checks.
func (d *decoder) guessType() string {
	key := []byte(`"resultType"`)
	k := bytes.LastIndex(d.B[d.I:], key)
	if k < 0 {
		return ""
	}
	i := jsonscan.SkipWS(d.B, d.I+k+len(key))
	if i >= len(d.B) || d.B[i] != ':' {
		return ""
	}
	i = jsonscan.SkipWS(d.B, i+1)
	if i >= len(d.B) || d.B[i] != '"' {
		return ""
	}
	end := bytes.IndexByte(d.B[i+1:], '"')
	if end < 0 {
		return ""
	}
	return resultType(d.B[i+1 : i+1+end])
}

// decoderState is what decoding a result changes in the decoder, kept to undo it.
type decoderState struct{ samples, series int }

func (d *decoder) state() decoderState { return decoderState{d.samples, d.series} }

// reset undoes the decoding of a result: the counters, the result's values, and the
// samples of an unfinished series.
func (d *decoder) reset(res *Result, s decoderState) {
	d.samples, d.series = s.samples, s.series
	if d.sink != nil {
		d.sink.reset()
	}
	res.Series, res.Scalar, res.ScalarTime, res.String, res.StringTime = nil, 0, time.Time{}, "", time.Time{}
	d.pts.drop()
	d.htime.drop()
	d.hists.drop()
	d.bkts.drop()
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
		if err := d.Want('[', "'[' starting a [time, \"string\"] pair"); err != nil {
			return err
		}
		ms, err := d.timestamp()
		if err != nil {
			return err
		}
		if err := d.Want(',', "',' after the time"); err != nil {
			return err
		}
		s, err := d.Text()
		if err != nil {
			return err
		}
		if err := d.Want(']', "']' ending the [time, \"string\"] pair"); err != nil {
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
	var s *Series
	if d.sink != nil {
		d.cur = Series{}
		s = &d.cur
	} else {
		res.Series = append(res.Series, Series{})
		s = &res.Series[len(res.Series)-1]
	}
	err := d.Object(func(k []byte, at int) error {
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
			return d.Skip()
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
	if err == nil && d.sink != nil {
		d.sink.add(res.Type, s)
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
	start := d.I
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
	if d.Null() {
		d.I += 4
		return data.Labels{}, nil
	}
	d.pairs = d.pairs[:0]
	err := d.Object(func(k []byte, at int) error {
		name := d.arena.str(k)
		v, err := d.Text()
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
	b, i := d.B, jsonscan.SkipWS(d.B, d.I)
	if d.Null() {
		d.I += 4
		return nil
	}
	if i >= len(b) || b[i] != '[' {
		return d.ErrAt(i, "'[' starting the values")
	}
	i = jsonscan.SkipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		d.I = i + 1
		return nil
	}
	for {
		if i >= len(b) || b[i] != '[' {
			return d.ErrAt(i, "'[' starting a [time, \"value\"] pair")
		}
		d.I = i + 1
		ms, v, err := d.pairRest()
		if err != nil {
			return err
		}
		d.samples++
		if d.lim.MaxSamples > 0 && d.samples > d.lim.MaxSamples {
			return d.samplesErr()
		}
		d.addPoint(ms, v)
		i = jsonscan.SkipWS(b, d.I)
		if i < len(b) && b[i] == ',' {
			i = jsonscan.SkipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			d.I = i + 1
			s.Times, s.Values = d.pts.done()
			return nil
		}
		return d.ErrAt(i, "',' or ']' after a [time, \"value\"] pair")
	}
}

// floatPair decodes [t,"v"].
func (d *decoder) floatPair(what string) (int64, float64, error) {
	i := jsonscan.SkipWS(d.B, d.I)
	if i >= len(d.B) || d.B[i] != '[' {
		return 0, 0, d.ErrAt(i, "'[' starting "+what)
	}
	d.I = i + 1
	return d.pairRest()
}

// pairRest decodes t,"v"] after the '['. Pairs as Prometheus writes them
// ([1700000000.123,"1.5"]: no white space, a plain decimal value) take the fast paths.
func (d *decoder) pairRest() (int64, float64, error) {
	b := d.B
	ms, i, ok := fastTime(b, d.I)
	if !ok {
		var err error
		if ms, err = d.timestamp(); err != nil {
			return 0, 0, err
		}
		if err := d.Want(',', "',' after the time"); err != nil {
			return 0, 0, err
		}
		i = d.I
	}
	if v, next, ok := fastValue(b, i); ok {
		d.I = next
		return ms, v, nil
	}
	i = jsonscan.SkipWS(b, i)
	if i >= len(b) || b[i] != '"' {
		return 0, 0, d.ErrAt(i, "a quoted sample value")
	}
	d.I = i
	raw, err := d.Text()
	if err != nil {
		return 0, 0, err
	}
	v, ok := parseFloat(raw)
	if !ok {
		return 0, 0, d.shapeErr(i+1, "the sample value %q is not a number", raw)
	}
	i = jsonscan.SkipWS(b, d.I)
	if i >= len(b) || b[i] != ']' {
		return 0, 0, d.ErrAt(i, "']' ending the [time, \"value\"] pair")
	}
	d.I = i + 1
	return ms, v, nil
}

// histogramPair decodes [t,{"count":"c","sum":"s","buckets":[[b,"l","u","c"],...]}] into the
// histogram chunks.
func (d *decoder) histogramPair() error {
	if err := d.Want('[', "'[' starting a [time, histogram] pair"); err != nil {
		return err
	}
	ms, err := d.timestamp()
	if err != nil {
		return err
	}
	if err := d.Want(',', "',' after the time"); err != nil {
		return err
	}
	if d.Null() {
		return d.shapeErr(d.I, "a null histogram")
	}
	var h Histogram
	var seen keySet
	err = d.Object(func(k []byte, kat int) error {
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
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if err := d.Want(']', "']' ending the [time, histogram] pair"); err != nil {
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
	if err := d.Want('[', "'[' starting a histogram bucket"); err != nil {
		return err
	}
	i := jsonscan.SkipWS(d.B, d.I)
	if i >= len(d.B) || d.B[i] < '0' || d.B[i] > '3' {
		if i < len(d.B) && (d.B[i] == '-' || d.B[i] >= '0' && d.B[i] <= '9') {
			return d.shapeErr(i, "bucket boundaries must be 0, 1, 2 or 3")
		}
		return d.ErrAt(i, "the bucket boundaries (0 to 3)")
	}
	var bk Bucket
	bk.Boundaries = int(d.B[i] - '0')
	d.I = i + 1
	if i+1 < len(d.B) && (d.B[i+1] == '.' || d.B[i+1] == 'e' || d.B[i+1] == 'E' || d.B[i+1] >= '0' && d.B[i+1] <= '9') {
		return d.shapeErr(i, "bucket boundaries must be 0, 1, 2 or 3")
	}
	var err error
	for _, f := range [...]*float64{&bk.Lower, &bk.Upper, &bk.Count} {
		if err = d.Want(',', "',' in a histogram bucket"); err != nil {
			return err
		}
		if *f, err = d.floatString("a histogram bucket"); err != nil {
			return err
		}
	}
	if err := d.Want(']', "']' ending a histogram bucket"); err != nil {
		return err
	}
	d.bkts.add(bk)
	return nil
}

// floatString decodes a quoted float ("1.5", "NaN", "+Inf").
func (d *decoder) floatString(what string) (float64, error) {
	i := jsonscan.SkipWS(d.B, d.I)
	if i >= len(d.B) || d.B[i] != '"' {
		return 0, d.ErrAt(i, "a quoted number for "+what)
	}
	s, err := d.Text()
	if err != nil {
		return 0, err
	}
	f, ok := parseFloat(s)
	if !ok {
		return 0, d.shapeErr(i, "%s %q is not a number", what, s)
	}
	return f, nil
}

// array calls elem for each element of an array (or none for null), then done (if any).
func (d *decoder) array(what string, elem func() error, done ...func()) error {
	if d.Null() {
		d.I += 4
		return nil
	}
	if err := d.Array(what, elem); err != nil {
		return err
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
		s, err := d.Text()
		out = append(out, string(s))
		return err
	})
	return out, err
}

// nullableString decodes a string or null (as "").
func (d *decoder) nullableString() (string, error) {
	if d.Null() {
		d.I += 4
		return "", nil
	}
	s, err := d.Text()
	return string(s), err
}
