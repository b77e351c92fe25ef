package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// The demo's scrape interval (provisioning/prometheus/prometheus.yml) and the data
// source's default growth window: the times measured here are the demo's.
const (
	demoScrape   = 5 * time.Second
	growthWindow = time.Minute
)

// modeTiming is what TestVerdictPerMode measures of one mode.
type modeTiming struct {
	mode, verdict, reason string
	detect, recover       time.Duration
}

// TestVerdictPerMode drives the demo through each of its modes at the demo's 5 s scrapes
// (normal, slow, failing, leak, crash, back to normal) and measures, through the built
// plugin over gRPC, the time from the switch to the documented verdict, its reason, and
// the time from the switch back (the restart, after the crash) to ok. At every poll, no
// reason states a figure outside what the source recorded: a latency beyond the upper
// bound of the largest bucket holding observations, a GC pause beyond the largest pause.
// After the restart, goroutine growth has no value until the new process has lived a
// growth window: it is never computed across the restart. On Prometheus 3 the latency
// comes from the demo's native histogram, and the reason gives its narrow bucket.
func TestVerdictPerMode(t *testing.T) {
	t.Parallel()
	native, version := harness.NativeHistogramsSupported(t)
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 20, NoAlertmanager: true,
		Prometheus: harness.PrometheusOptions{ScrapeInterval: demoScrape, EvaluationInterval: demoScrape, NativeHistograms: true}})
	c := harness.StartPlugin(t)
	ds := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"scrapeInterval": "5s"}}
	inst := s.Demo.Addr
	t.Logf("Prometheus %s, native histograms scraped: %v", version, native)
	start := time.Now()
	harness.WaitForQuery(t, s.Prometheus.URL, `sum(rate(http_requests_total{job="demo"}[20s])) > 0 and on() count_over_time(up{job="demo"}[1m]) >= 4`, time.Minute)

	// check asserts that the figures of a reason lie within what the sources recorded.
	check := func(stage, reason string) {
		t.Helper()
		for _, part := range strings.Split(reason, "; ") {
			what, _, _ := strings.Cut(part, "≥") // the threshold is not a figure of the data
			what, _, _ = strings.Cut(what, "(")
			var bound float64
			var source string
			switch {
			case strings.Contains(what, "latency p99"):
				bound, source = latencyBound(t, s.Prometheus.URL, inst, native)
			case strings.Contains(what, "gc pause p99"):
				bound, source = maxPause(t, s.Prometheus.URL, inst), "the largest GC pause (go_gc_duration_seconds{quantile=\"1\"})"
			default:
				continue
			}
			if math.IsNaN(bound) {
				t.Errorf("%s: reason %q: the source recorded no bound to check it against (%s)", stage, part, source)
			}
			for _, f := range secondsIn(what) {
				if f > bound*(1+1e-9) {
					t.Errorf("%s: reason %q states %v s, beyond %v s, %s", stage, part, f, bound, source)
				}
			}
			if strings.Contains(what, "latency p99") && native && strings.Contains(what, "between") {
				if lo, hi := secondsIn(what)[0], secondsIn(what)[1]; hi > lo*1.1+0.001 {
					t.Errorf("%s: reason %q: a native histogram's bucket is at most 10%% wide", stage, part)
				}
			}
		}
	}
	poll := func(model map[string]any) verdict {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		model["job"] = "demo"
		rows, r, err := healthTable(ctx, c, ds, model)
		if err != nil || r.Error != nil {
			t.Fatalf("health query: %v %v", err, r.Error)
		}
		return rows[inst]
	}
	// strict are thresholds of 0: every signal with a value is in the reason, with its
	// figures, so that they are checked whatever the verdict.
	strict := map[string]any{}
	for _, sig := range []string{"gc_pause_p99", "latency_p99"} {
		strict[sig] = map[string]any{"warning": 0, "critical": 0}
	}
	// until polls every second from since until the verdict is status and the reason
	// names every one of reason, checking every reason on the way, and returns the time
	// it took and the reason.
	until := func(stage string, since time.Time, timeout time.Duration, status string, reason ...string) (time.Duration, string) {
		t.Helper()
		var last verdict
		var seen []string // the verdicts on the way, repeats collapsed
		var prev string
		harness.Eventually(t, timeout, time.Second, stage+": "+status+" ("+strings.Join(reason, ", ")+")", func() error {
			last = poll(map[string]any{})
			check(stage, last.reason)
			if now := fmt.Sprintf("%s %q", last.status, last.reason); now != prev {
				seen, prev = append(seen, fmt.Sprintf("%v %s", time.Since(since).Round(time.Second), now)), now
			}
			if last.status != status || len(containsFold(last.reason, reason...)) > 0 {
				return fmt.Errorf("status %q, reason %q", last.status, last.reason)
			}
			return nil
		})
		took := time.Since(since)
		if status != "down" {
			check(stage+" (thresholds 0)", poll(map[string]any{"thresholds": strict}).reason)
		}
		t.Logf("%s: %s after %v: %q (on the way: %s)", stage, status, took.Round(100*time.Millisecond), last.reason, strings.Join(seen, " → "))
		return took, last.reason
	}

	until("normal", start, time.Minute, "ok")
	t.Run("alert panels answer in the normal state", func(t *testing.T) {
		// The queries of the alert panels (dashboards/alerts.json): nothing firing or
		// pending is an answer, zeros per P-level and one timeline row that says so.
		alerts := func(refID string, model map[string]any) harness.Query {
			model["queryType"], model["matchers"] = "alerts", `job=~"demo"`
			return harness.Query{RefID: refID, Model: model, From: start.Add(-time.Minute), To: time.Now(), Interval: 5 * time.Second, MaxDataPoints: 100}
		}
		resp, err := c.QueryData(context.Background(), ds,
			alerts("firing", map[string]any{"format": "counts"}),
			alerts("pending", map[string]any{"format": "counts", "source": "prometheus", "states": []string{"pending"}}),
			alerts("timeline", map[string]any{"format": "timeline", "source": "prometheus"}))
		if err != nil {
			t.Fatal(err)
		}
		for _, state := range []string{"firing", "pending"} {
			r := resp.Responses[state]
			requireNoError(t, r)
			var got []string
			for _, f := range r.Frames {
				v, _ := f.Fields[0].FloatAt(0)
				got = append(got, fmt.Sprintf("%s %s=%v", f.Fields[0].Name, f.Fields[0].Labels["priority"], v))
			}
			if want := fmt.Sprintf("%[1]s P0=0 %[1]s P1=0 %[1]s P2=0", state); strings.Join(got, " ") != want {
				t.Errorf("%s counts %q, want %q", state, got, want)
			}
		}
		r := resp.Responses["timeline"]
		requireNoError(t, r)
		if len(r.Frames) != 1 || r.Frames[0].Name != "No alert pending or firing" {
			t.Fatalf("timeline: %d frames %v, want one saying no alert was active", len(r.Frames), r.Frames)
		}
		// Before Prometheus had data, no data; then ok to the end.
		states := column(r.Frames[0], "state")
		var changes []string
		for i, st := range states {
			if i == 0 || st != states[i-1] {
				changes = append(changes, st)
			}
		}
		if got := strings.Join(changes, " → "); got != "no data → ok" {
			t.Errorf("timeline %s, want no data → ok", got)
		}
	})
	var timings []modeTiming
	for _, m := range []struct{ mode, verdict, reason string }{
		{harness.ModeSlow, "critical", "critical: latency p99"},
		{harness.ModeFailing, "critical", "critical: error ratio"},
		{harness.ModeLeak, "critical", "critical: goroutine growth"},
	} {
		switched := time.Now()
		s.Loadgen.SetMode(t, m.mode)
		detect, reason := until(m.mode, switched, 2*time.Minute, m.verdict, m.reason)
		if m.mode == harness.ModeSlow {
			recordSources(t, s.Prometheus.URL, native)
		}
		switched = time.Now()
		s.Loadgen.SetMode(t, harness.ModeNormal)
		recover, _ := until(m.mode+" → normal", switched, 3*time.Minute, "ok")
		timings = append(timings, modeTiming{m.mode, m.verdict, reason, detect, recover})
	}

	// A restart while goroutines grow: the new process must not inherit the growth.
	s.Loadgen.SetMode(t, harness.ModeLeak)
	harness.WaitForQuery(t, s.Prometheus.URL, `deriv(go_goroutines{job="demo"}[30s]) > 50`, time.Minute)
	s.Demo.AllowExit()
	s.Loadgen.SetMode(t, harness.ModeCrash)
	harness.Eventually(t, 30*time.Second, 100*time.Millisecond, "crash: the demo exits", func() error {
		if exited, _ := s.Demo.Exited(); !exited {
			return fmt.Errorf("still running")
		}
		return nil
	})
	exited := time.Now()
	detect, reason := until("crash", exited, time.Minute, "down", "down: up = 0")
	// Down means down: the reason is the down state and firing alerts, never a signal
	// of the last scrape before the crash.
	for _, part := range strings.Split(reason, "; ") {
		if !strings.HasPrefix(part, "down: ") && !strings.Contains(part, ": alert ") {
			t.Errorf("crash: reason %q says %q: a down instance's reason is its down state and its firing alerts", reason, part)
		}
	}
	s.Demo.Restart(t)
	restarted := time.Now()
	recover, _ := until("restart", restarted, 2*time.Minute, "ok")
	timings = append(timings, modeTiming{harness.ModeCrash, "down", reason, detect, recover})
	// For a growth window after the restart, the growth of the new process (steady, in
	// normal mode) is near 0: never the leak of the process before, nor the drop from its
	// thousands of goroutines to the new one's few.
	grown := 0
	for time.Since(restarted) < growthWindow+10*time.Second {
		v := poll(map[string]any{})
		if g, ok := v.values["goroutine_growth"]; ok {
			grown++
			if math.Abs(g) >= 5 {
				t.Errorf("%v after the restart: goroutine growth %v/s, computed across the restart", time.Since(restarted).Round(time.Second), g)
			}
		}
		time.Sleep(2 * time.Second)
	}
	if grown == 0 {
		t.Errorf("no goroutine growth within a growth window after the restart")
	}

	var table strings.Builder
	for _, m := range timings {
		fmt.Fprintf(&table, "\n| %s | %s | %.0f s | %s | %.0f s |", m.mode, m.verdict, m.detect.Seconds(), m.reason, m.recover.Seconds())
	}
	t.Logf("measured at %v scrapes (Prometheus %s, native histograms %v):\n| mode | verdict | time to verdict | reason | time back to ok |\n|---|---|---|---|---|%s",
		demoScrape, version, native, table.String())
}

// secondsIn are the durations a text states (830 ms, 1.5 s), in seconds.
func secondsIn(text string) []float64 {
	var out []float64
	f := strings.Fields(text)
	for i := 0; i+1 < len(f); i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
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

// promValue is the value of a one-sample instant query, NaN without one.
func promValue(t *testing.T, promURL, expr string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := harness.PromQuery(ctx, promURL, expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(res) == 0 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(fmt.Sprint(res[0].Value[1]), 64)
	return v
}

// maxPause is the largest GC pause of the instance the runtime still holds.
func maxPause(t *testing.T, promURL, inst string) float64 {
	return promValue(t, promURL, fmt.Sprintf(`max(go_gc_duration_seconds{job="demo",instance=%q,quantile=~"1|1.0"})`, inst))
}

// latencyBound is the upper bound of the largest latency bucket holding observations of
// the last minute (a window the health query's rate interval lies inside): of the
// native histogram when Prometheus scrapes it, else of the classic buckets (the largest
// finite bound when the largest observations are in +Inf).
func latencyBound(t *testing.T, promURL, inst string, native bool) (float64, string) {
	t.Helper()
	sel := fmt.Sprintf(`{job="demo",instance=%q}`, inst)
	if native {
		return nativeTop(t, promURL, `sum(increase(http_request_duration_seconds`+sel+`[1m]))`), "the largest native bucket holding observations"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := harness.PromQuery(ctx, promURL, `sum by (le) (increase(http_request_duration_seconds_bucket`+sel+`[1m]))`)
	if err != nil {
		t.Fatal(err)
	}
	total, best, largest := 0.0, math.Inf(1), 0.0
	counts := map[float64]float64{}
	for _, r := range res {
		le, _ := strconv.ParseFloat(r.Metric["le"], 64)
		v, _ := strconv.ParseFloat(fmt.Sprint(r.Value[1]), 64)
		counts[le] = v
		if math.IsInf(le, 1) {
			total = v
		} else {
			largest = max(largest, le)
		}
	}
	for le, v := range counts {
		if v >= total && le < best {
			best = le
		}
	}
	if math.IsInf(best, 1) {
		best = largest
	}
	return best, "the largest classic bucket holding observations"
}

// nativeTop is the upper bound of the largest bucket with observations of the native
// histogram expr gives.
func nativeTop(t *testing.T, promURL, expr string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, body, err := harness.HTTPGet(ctx, promURL+"/api/v1/query?"+url.Values{"query": {expr}}.Encode())
	if err != nil || code != 200 {
		t.Fatalf("%s: HTTP %d %v", expr, code, err)
	}
	var r struct {
		Data struct {
			Result []struct {
				Histogram [2]json.RawMessage `json:"histogram"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || len(r.Data.Result) == 0 {
		t.Fatalf("%s: %v: %.300s", expr, err, body)
	}
	var h struct {
		Buckets [][4]json.RawMessage `json:"buckets"`
	}
	if err := json.Unmarshal(r.Data.Result[0].Histogram[1], &h); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	top := 0.0
	for _, b := range h.Buckets {
		var upper, count string
		_ = json.Unmarshal(b[2], &upper)
		_ = json.Unmarshal(b[3], &count)
		u, _ := strconv.ParseFloat(upper, 64)
		n, _ := strconv.ParseFloat(count, 64)
		if n > 0 {
			top = max(top, u)
		}
	}
	return top
}

// recordSources writes, with -record, the answers of the sources of the latency and GC
// pause signals at this moment (the queries the health join sends, over the demo's rate
// interval) for pkg/health's unit tests: the classic buckets, the native histogram (on
// Prometheus 3) and the pause summary.
func recordSources(t *testing.T, promURL string, native bool) {
	t.Helper()
	if !*record {
		return
	}
	queries := map[string]string{
		"slow-latency-buckets.json": `sum by (job, instance, le) (rate(http_request_duration_seconds_bucket{job="demo"}[20s]))`,
		"slow-gc-summary.json":      `max by (job, instance, quantile) (go_gc_duration_seconds{job="demo",quantile=~"0.75|1|1.0"}) or label_replace(max by (job, instance) (go_gc_duration_seconds_count{job="demo"}), "quantile", "count", "", "")`,
	}
	if native {
		queries["slow-latency-native.json"] = `sum by (job, instance) (rate(http_request_duration_seconds{job="demo"}[20s]))`
	}
	at := strconv.FormatInt(time.Now().Unix(), 10)
	for file, expr := range queries {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code, body, err := harness.HTTPGet(ctx, promURL+"/api/v1/query?"+url.Values{"query": {expr}, "time": {at}}.Encode())
		cancel()
		if err != nil || code != 200 {
			t.Fatalf("record %s: HTTP %d %v", file, code, err)
		}
		recordBody(t, body, "pkg", "health", "testdata", file)
	}
}
