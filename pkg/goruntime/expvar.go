package goruntime

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
)

// ExpvarValues reads a runtime signal of one expvar target from the poll history between
// from and to, in the signal's unit: the value at its path scaled, the mean or quantile of
// a ring such as PauseNs, or a per-second rate where the signal is one.
func ExpvarValues(h *goexpvar.History, target string, sig Signal, from, to time.Time) ([]time.Time, []float64) {
	var times []time.Time
	var values []float64
	switch sig.Kind {
	case KindMean, KindQuantile:
		times, values = ringStat(h, target, sig, from, to)
	default:
		times, values, _ = h.Range(goexpvar.SeriesKey{Target: target, Path: sig.ExpvarPath}, from, to)
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

// ringSize is the length of MemStats.PauseNs, the ring of the last GC pauses.
const ringSize = 256

// ringStat computes, at every poll, the mean or the quantile of the non-zero entries of
// a ring such as memstats.PauseNs (zeros are entries not used yet).
func ringStat(h *goexpvar.History, target string, sig Signal, from, to time.Time) ([]time.Time, []float64) {
	at := map[int64][]float64{}
	var order []time.Time
	for i := range ringSize {
		times, values, _ := h.Range(goexpvar.SeriesKey{Target: target, Path: fmt.Sprintf("%s[%d]", sig.ExpvarPath, i)}, from, to)
		for j, t := range times {
			k := t.UnixMilli()
			if _, ok := at[k]; !ok {
				order = append(order, t)
			}
			if values[j] != 0 {
				at[k] = append(at[k], values[j])
			} else if at[k] == nil {
				at[k] = []float64{}
			}
		}
	}
	slices.SortFunc(order, time.Time.Compare)
	var ts []time.Time
	var vs []float64
	for _, t := range order {
		pauses := at[t.UnixMilli()]
		if len(pauses) == 0 {
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
