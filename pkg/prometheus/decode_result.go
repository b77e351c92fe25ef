package prometheus

import (
	"errors"
	"fmt"
	"time"

	"github.com/gopulse/health/pkg/jsonscan"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The decoder of the answers of /api/v1/query and /api/v1/query_range reads the body in
// one pass: no reflection, no intermediate model values. Samples go into chunks shared by
// many series (one allocation per many series): pooled across decodes when the Result
// keeps the series, or kept by the frames when they are built as series are decoded (a
// seriesSink, see decode). Label strings go into a per-call string arena, so that the
// allocations of a decode grow with the number of series (a labels map each), not with
// the samples.
//
// decode_result.go: what Decode returns, its limits and errors.
// decode_schema.go: the walk of the Prometheus answer (envelope, matrix, vector, scalar,
// string, native histograms).
// decode_numbers.go: the fast paths for timestamps and sample values.
// decode_arenas.go: the sample chunks, their pools and the string arena.
// The JSON itself (white space, strings, skipping values) is read by pkg/jsonscan.

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
	Times      []time.Time // UTC; shared with the series before it when their times are the same: read only
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
	return decode(body, lim, nil)
}

// A seriesSink takes the series of a matrix or vector answer one by one as they are
// decoded (see decode), so that the Result does not keep them.
type seriesSink interface {
	// add takes a series of a result of type typ ("matrix" or "vector"); the sink keeps
	// whatever it wants of it. Its Times and Values are capped at their length and never
	// go back to the pools; its Times may be those of series added before it, so no one
	// may change them in place.
	add(typ string, s *Series)
	// reset forgets every series added: the result is decoded again (its resultType came
	// after it and the guess was wrong).
	reset()
}

// decode decodes like Decode. With a sink, each series of a matrix or vector goes to the
// sink as soon as it is decoded and Result.Series stays empty: the float samples are
// decoded into chunks that the sink's series keep (frame fields are made over them, see
// vectorField), so that each sample is written once, where it stays.
func decode(body []byte, lim Limits, sink seriesSink) (*Result, error) {
	d := decoder{Scanner: jsonscan.Scanner{B: body, Strict: true}, lim: lim, sink: sink}
	d.pts.handed = sink != nil
	res, err := d.top()
	if err != nil {
		d.pts.chunks.release()
		var se *jsonscan.Error
		if errors.As(err, &se) && se.Msg != "" { // a refused string or nesting
			return nil, d.shapeErr(se.Offset, "%s", se.Msg)
		}
		return nil, err
	}
	res.chunks = d.pts.chunks
	return res, nil
}

// Release hands the memory of the decoded float samples back for the next Decode. The
// Series' Times and Values must not be used after: call it once their values have been
// copied. Not calling it is safe: the memory is then collected.
func (r *Result) Release() {
	r.chunks.release()
	r.chunks = sampleChunks{}
	r.Series = nil
}
