package health

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
)

// The rule: no signal claims more precision than its source has.
//
// A quantile read from a histogram is only known to lie inside one bucket; one read from
// a summary only between two of its quantiles. Such a signal is a Ranged series: at each
// step its Low and High bounds (what the source proves) and an estimate inside them (the
// value the frames show). The verdict compares the Low bound with the thresholds (a
// bucket that straddles a threshold does not cross it), and the reason states the range
// ("latency p99 between 1 s and 2.5 s"), never a figure beyond the largest bound that
// holds observations. Sources, best first:
//   - latency p99: the native histogram (buckets about 10% wide), else the classic
//     buckets;
//   - GC pause p99: go_gc_duration_seconds, the summary of the last pauses (at most 256)
//     that client_golang exports by default: its largest quantile is the largest pause,
//     exact, and the p99 of at most 100 pauses is that largest one; of more it lies
//     between the 75th percentile and the largest. Else an expvar target's PauseNs ring
//     (the same pauses, exact). The runtime/metrics pause histogram is not used: its
//     buckets (about 0.9, 10.5 and 117 ms) put both default thresholds in one bucket.

// Ranged is a signal's series whose source resolves it only to a range: Low ≤ the true
// value ≤ High at each of Times (High may be +Inf: above the largest bucket bound), with
// Values the estimate inside the range.
type Ranged struct {
	Labels            data.Labels
	Times             []time.Time
	Values, Low, High []float64
}

// histogramQuantile is the q-quantile of a classic histogram at each step: series are
// the rates (or counts) of its buckets by le, for one or more instances (every label but
// le tells them apart). The estimate interpolates linearly inside the bucket holding the
// rank, as Prometheus's histogram_quantile does; a rank in the +Inf bucket is above the
// largest finite bound (Low that bound, High +Inf, the estimate that bound).
func histogramQuantile(q float64, series []prometheus.Series) []Ranged {
	type bucket struct {
		le float64
		s  *prometheus.Series
	}
	groups := map[string][]bucket{}
	var order []string
	for i := range series {
		s := &series[i]
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		if err != nil {
			continue
		}
		key := prometheus.WithoutLabel(s.Labels, "le").String()
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], bucket{le, s})
	}
	var out []Ranged
	for _, key := range order {
		bs := groups[key]
		slices.SortFunc(bs, func(a, b bucket) int { return cmpFloat(a.le, b.le) })
		// The steps: every time any bucket has a sample.
		counts := map[int64][]float64{}
		var times []time.Time
		for n, b := range bs {
			for i, t := range b.s.Times {
				k := t.UnixMilli()
				c, ok := counts[k]
				if !ok {
					c = make([]float64, len(bs))
					for x := range c {
						c[x] = math.NaN()
					}
					counts[k] = c
					times = append(times, t)
				}
				c[n] = b.s.Values[i]
			}
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		r := Ranged{Labels: prometheus.WithoutLabel(bs[0].s.Labels, "le")}
		for _, t := range times {
			les := make([]float64, 0, len(bs))
			cum := make([]float64, 0, len(bs))
			for n, c := range counts[t.UnixMilli()] {
				if !math.IsNaN(c) {
					les, cum = append(les, bs[n].le), append(cum, c)
				}
			}
			if lo, hi, v, ok := bucketQuantile(q, les, cum); ok {
				r.Times, r.Values, r.Low, r.High = append(r.Times, t), append(r.Values, v), append(r.Low, lo), append(r.High, hi)
			}
		}
		if len(r.Times) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// bucketQuantile finds the q-quantile among cumulative bucket counts cum with upper
// bounds les (sorted, the last +Inf): the bucket's bounds and the linear estimate inside
// it. Not ok without a +Inf bucket or observations.
func bucketQuantile(q float64, les, cum []float64) (lo, hi, est float64, ok bool) {
	n := len(les)
	if n < 2 || !math.IsInf(les[n-1], 1) || !(cum[n-1] > 0) {
		return 0, 0, 0, false
	}
	// Counts from rates are not always monotonic (scrapes at slightly different times).
	for i := 1; i < n; i++ {
		cum[i] = max(cum[i], cum[i-1])
	}
	rank := q * cum[n-1]
	i := 0
	for i < n-1 && cum[i] < rank {
		i++
	}
	lo, below := 0.0, 0.0
	if i > 0 {
		lo, below = les[i-1], cum[i-1]
	}
	hi = les[i]
	if math.IsInf(hi, 1) {
		return lo, hi, lo, true
	}
	est = lo
	if in := cum[i] - below; in > 0 {
		est = lo + (hi-lo)*(rank-below)/in
	}
	return lo, hi, est, true
}

// nativeQuantile is the q-quantile of native histogram samples at each of their times:
// the bounds of the bucket holding the rank and the linear estimate inside it.
func nativeQuantile(q float64, series []prometheus.Series) []Ranged {
	var out []Ranged
	for _, s := range series {
		r := Ranged{Labels: s.Labels}
		for i, h := range s.Histograms {
			if !(h.Count > 0) || len(h.Buckets) == 0 {
				continue
			}
			bs := slices.Clone(h.Buckets)
			slices.SortFunc(bs, func(a, b prometheus.Bucket) int { return cmpFloat(a.Upper, b.Upper) })
			rank, cum := q*h.Count, 0.0
			k := 0
			for k < len(bs)-1 && cum+bs[k].Count < rank {
				cum += bs[k].Count
				k++
			}
			b := bs[k]
			est := b.Lower
			if b.Count > 0 {
				est = b.Lower + (b.Upper-b.Lower)*min(1, max(0, (rank-cum)/b.Count))
			}
			r.Times = append(r.Times, s.HistTimes[i])
			r.Values, r.Low, r.High = append(r.Values, est), append(r.Low, b.Lower), append(r.High, b.Upper)
		}
		if len(r.Times) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// summaryPauseP99 is the GC pause p99 from client_golang's go_gc_duration_seconds
// summary: series carry a quantile label, "0.75" and "1" (Prometheus 3: "1.0") for the quantiles, "count" for
// the number of pauses so far (_count). The runtime keeps the last 256 pauses: the p99
// of at most 100 of them is the largest (exact), of more it lies between the 75th
// percentile and the largest (the estimate is the largest: no pause beyond it exists).
func summaryPauseP99(series []prometheus.Series) []Ranged {
	type parts struct {
		labels       data.Labels
		q75, q1, cnt map[int64]float64
		seen         map[int64]bool
		times        []time.Time
	}
	byInstance := map[string]*parts{}
	var order []string
	for _, s := range series {
		labels := prometheus.WithoutLabel(s.Labels, "quantile")
		key := labels.String()
		p := byInstance[key]
		if p == nil {
			p = &parts{labels: labels, q75: map[int64]float64{}, q1: map[int64]float64{}, cnt: map[int64]float64{}, seen: map[int64]bool{}}
			byInstance[key] = p
			order = append(order, key)
		}
		var m map[int64]float64
		q, err := strconv.ParseFloat(s.Labels["quantile"], 64) // "1" or Prometheus 3's "1.0"
		switch {
		case s.Labels["quantile"] == "count":
			m = p.cnt
		case err != nil:
			continue
		case q == 0.75:
			m = p.q75
		case q == 1:
			m = p.q1
		default:
			continue
		}
		for i, t := range s.Times {
			if k := t.UnixMilli(); !p.seen[k] {
				p.seen[k] = true
				p.times = append(p.times, t)
			}
			m[t.UnixMilli()] = s.Values[i]
		}
	}
	var out []Ranged
	for _, key := range order {
		p := byInstance[key]
		slices.SortFunc(p.times, func(a, b time.Time) int { return a.Compare(b) })
		r := Ranged{Labels: p.labels}
		for _, t := range p.times {
			k := t.UnixMilli()
			hi, ok := p.q1[k]
			if n, counted := p.cnt[k]; !ok || math.IsNaN(hi) || (counted && n == 0) {
				continue // no pause yet (the quantiles are 0 or NaN until the first GC)
			}
			lo := hi
			if n, ok := p.cnt[k]; !ok || n > 100 {
				lo = 0
				if q75, ok := p.q75[k]; ok && !math.IsNaN(q75) {
					lo = min(q75, hi)
				}
			}
			r.Times = append(r.Times, t)
			r.Values, r.Low, r.High = append(r.Values, hi), append(r.Low, lo), append(r.High, hi)
		}
		if len(r.Times) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
