// Package health joins a Go instance's runtime, business and alert-state signals into one
// verdict: ok, warning, critical or down, with the reason.
//
// The join rule: an instance is the value of the instance label (the data source's
// instanceLabel). Every signal's series, Prometheus's and the expvar targets' alike, is
// attached to the instance its label names; an expvar target answers for the instance it
// declares (or the one Prometheus discovered it under). When two series give the same
// signal of the same instance at the same step, the first one given wins: callers pass
// Prometheus's series before the expvar targets', so expvar fills what Prometheus lacks.
// Firing alerts count for the instance of their instance label.
//
// The status at a step: down while up is 0 (see Lookback), with no other signal shown;
// else critical when a signal is at or above its critical threshold or an alert at a
// critical P-level fires; else warning when a signal is at or above its warning threshold
// or any other alert fires; else ok, unless a source failed (unknown: the missing source
// might have said otherwise) or nothing is known at all (unknown).
package health

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gopulse/health/pkg/query"
)

// SignalID names a signal of the join.
type SignalID string

// The signals of the join, in the order of Signals.
const (
	Up              SignalID = "up"
	Goroutines      SignalID = "goroutines"
	GoroutineGrowth SignalID = "goroutine_growth"
	HeapInuse       SignalID = "heap_inuse"
	GCPauseP99      SignalID = "gc_pause_p99"
	RequestRate     SignalID = "request_rate"
	ErrorRatio      SignalID = "error_ratio"
	LatencyP99      SignalID = "latency_p99"
)

// NumSignals is the number of signals of the join.
const NumSignals = 8

// Signal describes one signal of the join.
type Signal struct {
	ID          SignalID `json:"id"`
	Title       string   `json:"title"`
	Unit        string   `json:"unit"` // Grafana unit id
	Description string   `json:"description"`
}

var signals = [NumSignals]Signal{
	{Up, "Up", "none", "1 when the instance answers (Prometheus's up, or the expvar target's last poll), 0 when it does not: the instance is down."},
	{Goroutines, "Goroutines", "short", "Goroutines that exist now."},
	{GoroutineGrowth, "Goroutine growth", "short", "Goroutines gained per second over the growth window (deriv), within the current process only: over half or a quarter of the window while the process is younger, no value before. Steady growth under steady load is a leak."},
	{HeapInuse, "Heap in use", "bytes", "Bytes in heap spans that hold at least one object (MemStats.HeapInuse)."},
	{GCPauseP99, "GC pause p99", "s", "99th percentile of the last stop-the-world GC pauses (at most 256): from go_gc_duration_seconds (exact while at most 100 pauses: the largest; else between its 75th percentile and the largest), else the runtime/metrics histogram's bucket, else the expvar PauseNs ring."},
	{RequestRate, "Request rate", "reqps", "Requests per second (the request counter)."},
	{ErrorRatio, "Error ratio", "percentunit", "Share of the requests that failed (the error selector over the request counter)."},
	{LatencyP99, "Latency p99", "s", "99th percentile of request latency: from the native histogram when there is one, else the classic buckets; known to lie in one bucket, whose bounds a reason gives."},
}

// Signals returns the signals of the join, in join order.
func Signals() []Signal { return slices.Clone(signals[:]) }

// Index is the position of a signal in join order (Input.Series), or -1.
func Index(id SignalID) int {
	for i, s := range signals {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Threshold is where a signal starts to be a problem: a value at or above Critical is
// critical, at or above Warning a warning. Either may be unset.
type Threshold = query.Threshold

// Thresholds are the thresholds of the signals, by id. Up has none: 0 is down.
type Thresholds map[SignalID]Threshold

func ptr(v float64) *float64 { return &v }

// DefaultThresholds are the data source's defaults when its settings name none.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Goroutines:      {Warning: ptr(10_000), Critical: ptr(50_000)},
		GoroutineGrowth: {Warning: ptr(5), Critical: ptr(50)},
		HeapInuse:       {Warning: ptr(512 << 20), Critical: ptr(1 << 30)},
		// Read from go_gc_duration_seconds, whose largest quantile is the largest pause:
		// see Ranged for what each source proves.
		GCPauseP99: {Warning: ptr(0.025), Critical: ptr(0.1)},
		ErrorRatio: {Warning: ptr(0.01), Critical: ptr(0.05)},
		LatencyP99: {Warning: ptr(0.25), Critical: ptr(0.5)},
	}
}

// Validate checks that every id is a signal with thresholds and every threshold a number
// at or above zero, warning not above critical. Errors name the signal and the value.
func (t Thresholds) Validate() error {
	ids := make([]string, 0, len(t))
	for id := range t {
		ids = append(ids, string(id))
	}
	slices.Sort(ids)
	for _, id := range ids {
		th := t[SignalID(id)]
		if i := Index(SignalID(id)); i < 1 {
			valid := make([]string, 0, NumSignals-1)
			for _, s := range signals[1:] {
				valid = append(valid, string(s.ID))
			}
			if i == 0 {
				return fmt.Errorf("thresholds: %s has no threshold (0 is down): use %s", id, strings.Join(valid, ", "))
			}
			return fmt.Errorf("thresholds: unknown signal %q: use %s", id, strings.Join(valid, ", "))
		}
		for _, v := range []struct {
			name string
			v    *float64
		}{{"warning", th.Warning}, {"critical", th.Critical}} {
			if v.v != nil && (math.IsNaN(*v.v) || math.IsInf(*v.v, 0) || *v.v < 0) {
				return fmt.Errorf("thresholds: %s %s must be a number at or above 0, not %v", id, v.name, *v.v)
			}
		}
		if th.Warning != nil && th.Critical != nil && *th.Warning > *th.Critical {
			return fmt.Errorf("thresholds: %s warning %v is above its critical %v", id, *th.Warning, *th.Critical)
		}
	}
	return nil
}

// FromModel converts thresholds as a query or the settings write them.
func FromModel(m map[string]query.Threshold) Thresholds {
	out := make(Thresholds, len(m))
	for id, th := range m {
		out[SignalID(id)] = th
	}
	return out
}

// With returns t with the thresholds that over sets replacing t's, one bound at a time.
func (t Thresholds) With(over Thresholds) Thresholds {
	out := make(Thresholds, len(t)+len(over))
	for id, th := range t {
		out[id] = th
	}
	for id, th := range over {
		cur := out[id]
		if th.Warning != nil {
			cur.Warning = th.Warning
		}
		if th.Critical != nil {
			cur.Critical = th.Critical
		}
		out[id] = cur
	}
	return out
}

// bounds are the thresholds in join order, NaN where unset.
type bounds [NumSignals]struct{ warning, critical float64 }

func (t Thresholds) bounds() bounds {
	var b bounds
	for i, s := range signals {
		b[i].warning, b[i].critical = math.NaN(), math.NaN()
		if th, ok := t[s.ID]; ok {
			if th.Warning != nil {
				b[i].warning = *th.Warning
			}
			if th.Critical != nil {
				b[i].critical = *th.Critical
			}
		}
	}
	return b
}

// format writes a value of a signal in its unit, for reasons: 830 ms, 1.5 GiB, 12%.
// Figures are cut to their digits, not rounded: a reason never states more than its
// source recorded (a largest pause of 0.2757 ms reads 0.275 ms).
func format(i int, v float64) string {
	switch signals[i].Unit {
	case "bytes":
		units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
		u := 0
		for math.Abs(v) >= 1024 && u < len(units)-1 {
			v /= 1024
			u++
		}
		d := min(u, 1)
		return strconv.FormatFloat(cutDecimals(v, d), 'f', d, 64) + " " + units[u]
	case "s":
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(cutDigits(v*1000, 3), 'g', 3, 64) + " ms"
		}
		return strconv.FormatFloat(cutDigits(v, 3), 'g', 3, 64) + " s"
	case "percentunit":
		return strconv.FormatFloat(cutDigits(v*100, 3), 'g', 3, 64) + "%"
	case "reqps":
		return strconv.FormatFloat(cutDigits(v, 4), 'g', 4, 64) + " req/s"
	}
	if signals[i].ID == GoroutineGrowth {
		return strconv.FormatFloat(cutDigits(v, 3), 'g', 3, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// cutDigits cuts v to n significant digits, towards zero.
func cutDigits(v float64, n int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	return cutDecimals(v, n-1-int(math.Floor(math.Log10(math.Abs(v)))))
}

// cutDecimals cuts v to d decimals, towards zero (a hair of slack for binary fractions:
// 0.29 is 0.28999… in binary and stays 0.29).
func cutDecimals(v float64, d int) float64 {
	scale := math.Pow(10, float64(d))
	return math.Trunc(v*scale*(1+1e-12)) / scale
}
