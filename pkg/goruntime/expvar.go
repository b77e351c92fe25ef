package goruntime

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
)

// ResolvePath says where target t publishes signal sig: the first found in the target's
// latest variables vars of the path mapped for the signal in the target's own Paths, the
// one in mapping (the data source's), and the signal's usual paths (ExpvarPath, then
// ExpvarAlso). found is false when none is among vars; tried are the paths looked for. A
// target not polled yet (no vars) is taken at its first path.
func ResolvePath(sig Signal, t goexpvar.Target, mapping map[string]string, vars []goexpvar.Var) (path string, tried []string, found bool) {
	for _, p := range append([]string{t.Paths[sig.ID], mapping[sig.ID], sig.ExpvarPath}, sig.ExpvarAlso...) {
		if p != "" && !slices.Contains(tried, p) {
			tried = append(tried, p)
		}
	}
	if len(vars) == 0 {
		return tried[0], tried, true
	}
	for _, p := range tried {
		if published(vars, p) {
			return p, tried, true
		}
	}
	return tried[0], tried, false
}

// published tells whether vars have the value at path, or the elements of the array at
// path (a ring such as memstats.PauseNs).
func published(vars []goexpvar.Var, path string) bool {
	return slices.ContainsFunc(vars, func(v goexpvar.Var) bool {
		s := v.Path.String()
		return s == path || strings.HasPrefix(s, path+"[")
	})
}

// PublishHint tells a service's owner how to publish a signal that a target lacks.
func PublishHint(sig Signal) string {
	if sig.ID == "goroutines" {
		return `publish it in the service: expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() })), ` +
			"or map the signal to the path the service uses (the data source's expvar signal paths, or the target's own)"
	}
	if strings.HasPrefix(sig.ExpvarPath, "memstats.") {
		return `the standard expvar package publishes memstats: import _ "expvar" and serve http.DefaultServeMux (or expvar.Handler()) at the target's path`
	}
	return "publish it in the service, or map the signal to the path the service uses in the data source's expvar signal paths"
}

// ExpvarValues reads a runtime signal of one expvar target at path from the poll history
// between from and to, in the signal's unit: the value scaled, the mean or quantile of a
// ring such as PauseNs, a per-second rate where the signal is one, or, for restarts, 1
// at every poll where the value went down. An outage is NaN (a gap).
func ExpvarValues(h *goexpvar.History, target string, sig Signal, path string, from, to time.Time) ([]time.Time, []float64) {
	var times []time.Time
	var values []float64
	switch sig.Kind {
	case KindMean, KindQuantile:
		times, values = ringStat(h, target, sig, path, from, to)
	default:
		times, values, _ = h.Range(goexpvar.SeriesKey{Target: target, Path: path}, from, to)
	}
	if sig.Kind == KindChanges {
		return times, drops(values)
	}
	scale := cmp.Or(sig.ExpvarScale, 1)
	for i := range values {
		values[i] *= scale
	}
	if sig.ExpvarRate {
		times, values = goexpvar.PerSecond(times, values)
	}
	return times, values
}

// drops is 1 where a value is below the last value before it (gaps skipped), else 0;
// gaps stay gaps.
func drops(values []float64) []float64 {
	out := make([]float64, len(values))
	last := math.NaN()
	for i, v := range values {
		switch {
		case math.IsNaN(v):
			out[i] = v
			continue
		case v < last:
			out[i] = 1
		}
		last = v
	}
	return out
}

// ringSize is the length of MemStats.PauseNs, the ring of the last GC pauses.
const ringSize = 256

// ringStat computes, at every poll, the mean or the quantile of the non-zero entries of
// the ring at path, such as memstats.PauseNs (zeros are entries not used yet); a poll
// where the target went down is a gap.
func ringStat(h *goexpvar.History, target string, sig Signal, path string, from, to time.Time) ([]time.Time, []float64) {
	at := map[int64][]float64{}
	gap := map[int64]bool{}
	var order []time.Time
	for i := range ringSize {
		times, values, _ := h.Range(goexpvar.SeriesKey{Target: target, Path: fmt.Sprintf("%s[%d]", path, i)}, from, to)
		for j, t := range times {
			k := t.UnixMilli()
			if _, ok := at[k]; !ok {
				order = append(order, t)
				at[k] = []float64{}
			}
			switch v := values[j]; {
			case math.IsNaN(v):
				gap[k] = true
			case v != 0:
				at[k] = append(at[k], v)
			}
		}
	}
	slices.SortFunc(order, time.Time.Compare)
	var ts []time.Time
	var vs []float64
	for _, t := range order {
		k := t.UnixMilli()
		pauses := at[k]
		switch {
		case gap[k]:
			ts, vs = append(ts, t), append(vs, math.NaN())
			continue
		case len(pauses) == 0:
			continue
		}
		ts = append(ts, t)
		if sig.Kind == KindMean {
			sum := 0.0
			for _, p := range pauses {
				sum += p
			}
			vs = append(vs, sum/float64(len(pauses)))
			continue
		}
		slices.Sort(pauses)
		vs = append(vs, pauses[min(len(pauses)-1, int(math.Ceil(sig.Quantile*float64(len(pauses))))-1)])
	}
	return ts, vs
}
