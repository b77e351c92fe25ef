package health

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
)

// readVector reads a recorded instant-query answer of Prometheus (testdata/, written by
// e2e's TestVerdictPerMode with -record: the demo in slow mode): float samples, or
// native histogram samples.
func readVector(t *testing.T, file string) []prometheus.Series {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Data struct {
			Result []struct {
				Metric    map[string]string  `json:"metric"`
				Value     [2]json.RawMessage `json:"value"`
				Histogram [2]json.RawMessage `json:"histogram"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	num := func(raw json.RawMessage) float64 {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var f float64
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatalf("%s: %s is not a number", file, raw)
			}
			return f
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", file, s, err)
		}
		return v
	}
	var out []prometheus.Series
	for _, r := range answer.Data.Result {
		s := prometheus.Series{Labels: data.Labels(r.Metric)}
		if r.Histogram[1] != nil {
			var h struct {
				Count   json.RawMessage      `json:"count"`
				Sum     json.RawMessage      `json:"sum"`
				Buckets [][4]json.RawMessage `json:"buckets"`
			}
			if err := json.Unmarshal(r.Histogram[1], &h); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			hist := prometheus.Histogram{Count: num(h.Count), Sum: num(h.Sum)}
			for _, b := range h.Buckets {
				var boundaries int
				_ = json.Unmarshal(b[0], &boundaries)
				hist.Buckets = append(hist.Buckets, prometheus.Bucket{Boundaries: boundaries, Lower: num(b[1]), Upper: num(b[2]), Count: num(b[3])})
			}
			s.HistTimes, s.Histograms = []time.Time{time.UnixMilli(int64(num(r.Histogram[0]) * 1000))}, []prometheus.Histogram{hist}
		} else {
			s.Times, s.Values = []time.Time{time.UnixMilli(int64(num(r.Value[0]) * 1000))}, []float64{num(r.Value[1])}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no sample", file)
	}
	return out
}

// recordedVerdict joins the recorded ranged signal of the demo instance (up, at the
// recording's time) and returns its row.
func recordedVerdict(t *testing.T, sig SignalID, r []Ranged, th Thresholds) map[string]string {
	t.Helper()
	if len(r) != 1 {
		t.Fatalf("%d instances, want the demo's", len(r))
	}
	at := r[0].Times[0]
	in := &Input{Grid: Grid{Start: at, Points: 1}}
	in.Series[Index(Up)] = []prometheus.Series{{Labels: r[0].Labels, Times: []time.Time{at}, Values: []float64{1}}}
	in.Ranged[Index(sig)] = r
	o := opts()
	o.Thresholds = DefaultThresholds().With(th)
	for _, row := range tableRows(t, NewJoin(in, o).Table()) {
		return row
	}
	return nil
}

// The demo in slow mode, as Prometheus recorded it: the latency p99 from the classic
// buckets and from the native histogram is critical, and its reason states no figure
// beyond the upper bound of the largest bucket holding observations.
func TestRecordedSlowLatency(t *testing.T) {
	buckets := readVector(t, "slow-latency-buckets.json")
	// The largest bound holding observations: the least le whose count is the total.
	total, top, largest := 0.0, math.Inf(1), 0.0
	for _, s := range buckets {
		if le, _ := strconv.ParseFloat(s.Labels["le"], 64); math.IsInf(le, 1) {
			total = s.Values[0]
		} else {
			largest = max(largest, le)
		}
	}
	for _, s := range buckets {
		if le, _ := strconv.ParseFloat(s.Labels["le"], 64); s.Values[0] >= total && le < top {
			top = le
		}
	}
	top = min(top, largest)
	row := recordedVerdict(t, LatencyP99, histogramQuantile(0.99, buckets), nil)
	if row["status"] != "critical" {
		t.Errorf("classic buckets: %q %q, want critical", row["status"], row["reason"])
	}
	for _, f := range figures(t, cutThreshold(row["reason"])) {
		if f > top {
			t.Errorf("classic buckets: reason %q states %v s, beyond %v s, the largest bound holding observations", row["reason"], f, top)
		}
	}
	t.Logf("classic buckets: %s", row["reason"])

	if _, err := os.Stat(filepath.Join("testdata", "slow-latency-native.json")); err != nil {
		t.Skip("no native histogram recorded (recorded against Prometheus 2)")
	}
	native := readVector(t, "slow-latency-native.json")
	nativeTop := 0.0
	for _, b := range native[0].Histograms[0].Buckets {
		if b.Count > 0 {
			nativeTop = max(nativeTop, b.Upper)
		}
	}
	r := nativeQuantile(0.99, native)
	row = recordedVerdict(t, LatencyP99, r, nil)
	if row["status"] != "critical" || r[0].High[0] > r[0].Low[0]*1.1 {
		t.Errorf("native histogram: %q %q, range %v–%v: want critical, a bucket at most 10%% wide", row["status"], row["reason"], r[0].Low, r[0].High)
	}
	for _, f := range figures(t, cutThreshold(row["reason"])) {
		if f > nativeTop {
			t.Errorf("native histogram: reason %q states %v s, beyond %v s, the largest bound holding observations", row["reason"], f, nativeTop)
		}
	}
	t.Logf("native histogram: %s", row["reason"])
}

// The demo's GC pause summary, as recorded: the p99 stated (with thresholds of 0, so
// that it is stated) is never above the largest pause.
func TestRecordedGCPause(t *testing.T) {
	series := readVector(t, "slow-gc-summary.json")
	largest := math.NaN()
	for _, s := range series {
		if q, err := strconv.ParseFloat(s.Labels["quantile"], 64); err == nil && q == 1 { // "1", or "1.0" (Prometheus 3)
			largest = s.Values[0]
		}
	}
	if math.IsNaN(largest) {
		t.Fatal("the recording has no largest pause (quantile 1)")
	}
	zero := 0.0
	row := recordedVerdict(t, GCPauseP99, summaryPauseP99(series), Thresholds{GCPauseP99: {Warning: &zero, Critical: &zero}})
	fs := figures(t, cutThreshold(row["reason"]))
	if row["status"] != "critical" || len(fs) == 0 {
		t.Fatalf("%q %q, want critical with its figures", row["status"], row["reason"])
	}
	for _, f := range fs {
		if f > largest {
			t.Errorf("reason %q states %v s, beyond the largest pause %v s", row["reason"], f, largest)
		}
	}
	t.Logf("%s (largest pause %v s)", row["reason"], largest)
}

// cutThreshold is a reason without its thresholds ("≥ 500 ms"): the figures of the data.
func cutThreshold(reason string) string {
	out := []rune{}
	skip := false
	for _, r := range reason {
		switch r {
		case '≥':
			skip = true
		case ';':
			skip = false
		}
		if !skip {
			out = append(out, r)
		}
	}
	return string(out)
}
