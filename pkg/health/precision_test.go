package health

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
)

// demoLabels are the labels of the demo instance in the recorded answers.
var demoLabels = data.Labels{"instance": "a:1", "job": "demo"}

// bucketRates is a classic histogram's answer at t0: the rate of each cumulative
// bucket by le, as `sum by (job, instance, le) (rate(..._bucket[…]))` gives it.
func bucketRates(les []string, cum []float64) []prometheus.Series {
	out := make([]prometheus.Series, len(les))
	for i, le := range les {
		l := prometheus.WithoutLabel(demoLabels, "")
		l["le"] = le
		out[i] = prometheus.Series{Labels: l, Times: []time.Time{t0}, Values: []float64{cum[i]}}
	}
	return out
}

// The demo's latency buckets.
var demoLes = []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "+Inf"}

// verdictOf joins one instance that is up with the given ranged signal and returns its
// table row.
func verdictOf(t *testing.T, sig SignalID, r []Ranged) map[string]string {
	t.Helper()
	in := instant(map[string]map[SignalID]float64{"a:1": {Up: 1}})
	in.Ranged[Index(sig)] = r
	return tableRows(t, NewJoin(in, opts()).Table())["a:1"]
}

// figures are the numbers a reason states, in seconds (ms and s units).
func figures(t *testing.T, reason string) []float64 {
	t.Helper()
	var out []float64
	f := strings.Fields(strings.NewReplacer("(", " ", ")", " ", ";", " ", ",", " ").Replace(reason))
	for i, w := range f {
		v, err := strconv.ParseFloat(w, 64)
		if err != nil || i+1 >= len(f) {
			continue
		}
		switch f[i+1] {
		case "ms":
			out = append(out, v/1000)
		case "s":
			out = append(out, v)
		}
	}
	return out
}

// Slow mode as the demo recorded it: requests sleep 0.6–1 s, most land in (0.75, 1],
// the slowest few just past 1 s. Interpolation would say 1.76 s; the reason says the
// bucket, and no figure above its bound.
func TestLatencyRangeFromClassicBuckets(t *testing.T) {
	// 20 req/s, 2% of them just past 1 s (handler time on top of the sleep).
	cum := []float64{0, 0, 0, 0, 0, 0, 0, 7.6, 19.6, 20, 20, 20}
	r := histogramQuantile(0.99, bucketRates(demoLes, cum))
	if len(r) != 1 || r[0].Low[0] != 1 || r[0].High[0] != 2.5 {
		t.Fatalf("p99 range %+v, want (1, 2.5]", r)
	}
	row := verdictOf(t, LatencyP99, r)
	if row["status"] != "critical" || row["reason"] != "critical: latency p99 between 1 s and 2.5 s (≥ 500 ms)" {
		t.Errorf("slow: %q %q", row["status"], row["reason"])
	}
	for _, f := range figures(t, row["reason"]) {
		if f > 2.5 {
			t.Errorf("reason %q states %v s, above the largest bound holding observations", row["reason"], f)
		}
	}

	// Everything in (0.75, 1]: p99 is there, critical.
	row = verdictOf(t, LatencyP99, histogramQuantile(0.99, bucketRates(demoLes, []float64{0, 0, 0, 0, 0, 0, 0, 3, 20, 20, 20, 20})))
	if row["status"] != "critical" || row["reason"] != "critical: latency p99 between 750 ms and 1 s (≥ 500 ms)" {
		t.Errorf("slow, inside 1 s: %q %q", row["status"], row["reason"])
	}
	// Normal: a few ms; ok, the value lies in its bucket.
	row = verdictOf(t, LatencyP99, histogramQuantile(0.99, bucketRates(demoLes, []float64{15, 19.9, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20})))
	if row["status"] != "ok" || row["reason"] != "" {
		t.Errorf("normal: %q %q", row["status"], row["reason"])
	}
	if v, _ := strconv.ParseFloat(strings.TrimSuffix(row["latency_p99"], " ms"), 64); v < 5 || v > 10 {
		t.Errorf("normal latency %q, want inside (5 ms, 10 ms]", row["latency_p99"])
	}
	// Beyond the largest finite bound: "above 5 s", never a figure past it.
	row = verdictOf(t, LatencyP99, histogramQuantile(0.99, bucketRates(demoLes, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 20})))
	if row["reason"] != "critical: latency p99 above 5 s (≥ 500 ms)" || row["latency_p99"] != "5 s" {
		t.Errorf("past the last bucket: %q, value %q", row["reason"], row["latency_p99"])
	}
	// A bucket straddling a threshold does not cross it: (0.1, 1] holds 0.25 and 0.5.
	coarse := []string{"0.1", "1", "+Inf"}
	row = verdictOf(t, LatencyP99, histogramQuantile(0.99, bucketRates(coarse, []float64{10, 20, 20})))
	if row["status"] != "ok" {
		t.Errorf("p99 somewhere in (0.1, 1] s: %q %q, want ok (not proven past 250 ms)", row["status"], row["reason"])
	}
	// No requests: no value.
	if r := histogramQuantile(0.99, bucketRates(demoLes, make([]float64, len(demoLes)))); len(r) != 0 {
		t.Errorf("no observations: %+v, want no value", r)
	}
}

// Several instances and steps in one answer, buckets in any order and a step where the
// +Inf bucket's rate lags behind le="1" (not monotonic): one range per instance and step.
func TestHistogramQuantileGroups(t *testing.T) {
	var in []prometheus.Series
	for _, inst := range []string{"b:1", "a:1"} {
		for i, le := range []string{"+Inf", "0.5", "1"} {
			in = append(in, prometheus.Series{Labels: data.Labels{"instance": inst, "le": le},
				Times:  []time.Time{t0, t0.Add(time.Minute)},
				Values: [][]float64{{10, 9.99}, {0, 0.2}, {10, 10}}[i]})
		}
	}
	r := histogramQuantile(0.99, in)
	if len(r) != 2 || r[0].Labels["instance"] != "b:1" || len(r[0].Times) != 2 {
		t.Fatalf("%+v", r)
	}
	if r[1].Low[0] != 0.5 || r[1].High[0] != 1 || r[1].Low[1] != 0.5 || r[1].High[1] != 1 {
		t.Errorf("a:1 ranges %v–%v, want (0.5, 1] at both steps", r[1].Low, r[1].High)
	}
}

// A native histogram (factor 1.1) resolves p99 to a bucket about 10% wide: the reason
// gives that bucket.
func TestLatencyRangeFromNativeHistogram(t *testing.T) {
	h := prometheus.Histogram{Count: 100, Sum: 80, Buckets: []prometheus.Bucket{
		{Lower: 0.8408964152537144, Upper: 0.9170040432046712, Count: 60},
		{Lower: 0.9170040432046712, Upper: 1, Count: 38},
		{Lower: 1, Upper: 1.0905077326652577, Count: 2},
	}}
	r := nativeQuantile(0.99, []prometheus.Series{{Labels: demoLabels, HistTimes: []time.Time{t0}, Histograms: []prometheus.Histogram{h}}})
	if len(r) != 1 || r[0].Low[0] != 1 || r[0].High[0] != 1.0905077326652577 || r[0].Values[0] < 1 || r[0].Values[0] > r[0].High[0] {
		t.Fatalf("%+v", r)
	}
	row := verdictOf(t, LatencyP99, r)
	if row["reason"] != "critical: latency p99 between 1 s and 1.09 s (≥ 500 ms)" {
		t.Errorf("native: %q", row["reason"])
	}
	if r := nativeQuantile(0.99, []prometheus.Series{{Labels: demoLabels, HistTimes: []time.Time{t0}, Histograms: []prometheus.Histogram{{}}}}); len(r) != 0 {
		t.Errorf("empty histogram: %+v", r)
	}
}

// summary is the GC pause summary's answer at t0: the 75th percentile, the largest
// pause and the pause count.
func summary(q75, q1, count float64) []prometheus.Series {
	var out []prometheus.Series
	for q, v := range map[string]float64{"0.75": q75, "1": q1, "count": count} {
		l := prometheus.WithoutLabel(demoLabels, "")
		l["quantile"] = q
		out = append(out, prometheus.Series{Labels: l, Times: []time.Time{t0}, Values: []float64{v}})
	}
	return out
}

// The cases seen on the demo: a process whose largest pause was 81.8 ms was judged
// "critical: 107 ms" from the coarse runtime/metrics histogram. From the summary, the
// p99 of its first pauses (at most 100) is that largest pause, exactly; later it lies
// between the 75th percentile and the largest, and no figure passes the largest.
func TestGCPauseFromSummary(t *testing.T) {
	row := verdictOf(t, GCPauseP99, summaryPauseP99(summary(0.00021, 0.0818, 40)))
	if row["status"] != "warning" || row["reason"] != "warning: gc pause p99 81.8 ms ≥ 25 ms" {
		t.Errorf("young process: %q %q", row["status"], row["reason"])
	}
	row = verdictOf(t, GCPauseP99, summaryPauseP99(summary(0.00021, 0.0143, 5000)))
	if row["status"] != "ok" || row["gc_pause_p99"] != "14.3 ms" {
		t.Errorf("largest pause 14.3 ms: %q %q, value %q", row["status"], row["reason"], row["gc_pause_p99"])
	}
	// Many pauses, one long: p99 may be anywhere from 0.21 to 107 ms; not proven past 25 ms.
	row = verdictOf(t, GCPauseP99, summaryPauseP99(summary(0.00021, 0.107, 5000)))
	if row["status"] != "ok" {
		t.Errorf("one long pause among many: %q %q, want ok", row["status"], row["reason"])
	}
	// A service whose pauses are long throughout: the 75th percentile proves it.
	row = verdictOf(t, GCPauseP99, summaryPauseP99(summary(0.03, 0.12, 5000)))
	if row["status"] != "warning" || row["reason"] != "warning: gc pause p99 between 30 ms and 120 ms (≥ 25 ms)" {
		t.Errorf("long pauses: %q %q", row["status"], row["reason"])
	}
	for _, f := range figures(t, row["reason"]) {
		if f > 0.12 {
			t.Errorf("reason %q states %v s, above the largest pause", row["reason"], f)
		}
	}
	// Prometheus 3 writes the quantile label as a float.
	prom3 := summary(0.00021, 0.0818, 40)
	for i := range prom3 {
		if prom3[i].Labels["quantile"] == "1" {
			prom3[i].Labels["quantile"] = "1.0"
		}
	}
	if r := summaryPauseP99(prom3); len(r) != 1 || r[0].High[0] != 0.0818 {
		t.Errorf("quantile 1.0: %+v, want the largest pause", r)
	}
	// No GC yet: the summary's quantiles are NaN, or 0.
	if r := append(summaryPauseP99(summary(math.NaN(), math.NaN(), 0)), summaryPauseP99(summary(0, 0, 0))...); len(r) != 0 {
		t.Errorf("no pause yet: %+v, want no value", r)
	}
}

// The runtime/metrics pause histogram (when the summary is missing) puts both default
// thresholds in one bucket: a p99 in (10.5, 117] ms proves neither.
func TestGCPauseFromCoarseHistogram(t *testing.T) {
	les := []string{"9.999999999999999e-10", "9.999999999999999e-09", "1.0239999999999999e-07", "1.0485759999999997e-06", "1.0737418239999996e-05", "0.00010995116277759996", "0.0011258999068426236", "0.011529215046068471", "0.11805916207174082", "+Inf"}
	row := verdictOf(t, GCPauseP99, histogramQuantile(0.99, bucketRates(les, []float64{0, 0, 0, 0, 0.1, 0.5, 0.9, 0.98, 1, 1})))
	if row["status"] != "ok" || row["reason"] != "" {
		t.Errorf("coarse histogram: %q %q, want ok", row["status"], row["reason"])
	}
}

// An exact series of the same signal (an expvar target's) fills the steps a ranged one
// has no value at, and states its figure as is.
func TestRangedBeforeExact(t *testing.T) {
	g := Grid{Start: t0, Step: time.Minute, Points: 2}
	in := &Input{Grid: g}
	in.Series[Index(Up)] = []prometheus.Series{{Labels: demoLabels, Times: []time.Time{g.At(0), g.At(1)}, Values: []float64{1, 1}}}
	in.Ranged[Index(GCPauseP99)] = []Ranged{{Labels: demoLabels, Times: []time.Time{g.At(0)}, Values: []float64{0.12}, Low: []float64{0.03}, High: []float64{0.12}}}
	in.Series[Index(GCPauseP99)] = []prometheus.Series{{Labels: demoLabels, Times: []time.Time{g.At(0), g.At(1)}, Values: []float64{0.5, 0.2}}}
	fr := NewJoin(in, opts()).TimeSeries()
	st, _ := fr[0].FieldByName("status")
	gc, _ := fr[0].FieldByName("gc_pause_p99")
	if st.At(0).(float64) != 1 || gc.At(0).(float64) != 0.12 || st.At(1).(float64) != 2 || gc.At(1).(float64) != 0.2 {
		t.Errorf("status %v %v, gc %v %v; want warning from the range, then critical from the exact 200 ms", st.At(0), st.At(1), gc.At(0), gc.At(1))
	}
}

// Reasons cut figures to their digits, never rounding past what the source recorded.
func TestFiguresAreCutNotRounded(t *testing.T) {
	for _, c := range []struct {
		id   SignalID
		v    float64
		want string
	}{
		{GCPauseP99, 0.000275658, "0.275 ms"},
		{GCPauseP99, 0.0818, "81.8 ms"},
		{GCPauseP99, 0.29, "290 ms"},
		{LatencyP99, 1.0905077326652577, "1.09 s"},
		{LatencyP99, 0.9999, "999 ms"},
		{LatencyP99, 2.5, "2.5 s"},
		{ErrorRatio, 0.27777, "27.7%"},
		{HeapInuse, 1 << 30, "1.0 GiB"},
		{HeapInuse, 1023.99 * (1 << 20), "1023.9 MiB"},
		{GoroutineGrowth, 199.96, "199/s"},
		{Goroutines, 20990, "20990"},
	} {
		if got := format(Index(c.id), c.v); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.id, c.v, got, c.want)
		}
	}
}
