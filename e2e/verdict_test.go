package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/plugin"
)

// verdict is an instance's row of a health table.
type verdict struct {
	status, reason, alerts string
	values                 map[string]float64
}

// healthTable runs a health table query now and returns its rows by instance.
func healthTable(ctx context.Context, c *harness.Client, ds *harness.Settings, model map[string]any) (map[string]verdict, backend.DataResponse, error) {
	model["queryType"] = "health"
	resp, err := c.QueryData(ctx, ds, harness.Query{RefID: "health", Model: model, From: time.Now().Add(-5 * time.Minute), To: time.Now()})
	if err != nil {
		return nil, backend.DataResponse{}, err
	}
	r := resp.Responses["health"]
	if len(r.Frames) != 1 {
		return nil, r, fmt.Errorf("%d frames (error %v), want one table", len(r.Frames), r.Error)
	}
	f := r.Frames[0]
	out := map[string]verdict{}
	for i := range f.Rows() {
		v := verdict{values: map[string]float64{}}
		var inst string
		for _, fl := range f.Fields {
			switch x := fl.At(i).(type) {
			case string:
				switch fl.Name {
				case "instance":
					inst = x
				case "status":
					v.status = x
				case "reason":
					v.reason = x
				case "alerts":
					v.alerts = x
				}
			case *float64:
				if x != nil {
					v.values[fl.Name] = *x
				}
			}
		}
		out[inst] = v
	}
	return out, r, nil
}

// TestHealthFollowsTheDemo drives the demo's load generator through normal → slow →
// failing → goroutine leak → crash, and at each stage asserts the verdict of a health
// query on the demo instance, through the built plugin binary over gRPC as Grafana runs
// it: the status, the signal the reason names, and the matching alert of the provisioned
// rules once it fires, silenced once silenced. Then the time-series format of the instance over the whole run
// shows the same transitions, and the numeric format (alert rules) gives status 3.
func TestHealthFollowsTheDemo(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 20})
	c := harness.StartPlugin(t)
	ds := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{
		"scrapeInterval": "1s", "alertmanagerUrl": s.Alertmanager.URL, "healthGrowthWindow": "1m",
		"expvarPollInterval": "1s",
		// On this shared 2-core machine under -race a GC pause can pass 10.5 ms, the bucket
		// bound under the 25 ms default: with a few cycles a minute its p99 jumps high.
		"healthThresholds": map[string]any{"gc_pause_p99": map[string]any{"warning": 0.5, "critical": 1}},
		// The same /debug/vars under an instance Prometheus does not scrape: the join
		// gives it a row of its own from expvar alone.
		"expvarTargets": []map[string]string{{"name": "demo-expvar", "url": s.Demo.URL + "/debug/vars", "instance": "expvar-only"}},
	}}
	start := time.Now()
	harness.WaitForQuery(t, s.Prometheus.URL, `sum(rate(http_requests_total{job="demo"}[1m])) > 0 and on() count_over_time(up{job="demo"}[1m]) >= 5`, 45*time.Second)

	expect := func(stage string, timeout time.Duration, status string, reason ...string) verdict {
		t.Helper()
		began := time.Now()
		var last verdict
		harness.Eventually(t, timeout, time.Second, stage+": the demo is "+status+" because of "+strings.Join(reason, ", "), func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rows, r, err := healthTable(ctx, c, ds, map[string]any{"job": "demo"})
			if err != nil || r.Error != nil {
				return fmt.Errorf("query: %v %v", err, r.Error)
			}
			last = rows[s.Demo.Addr]
			if last.status != status || len(containsFold(last.reason, reason...)) > 0 {
				return fmt.Errorf("status %q, reason %q", last.status, last.reason)
			}
			return nil
		})
		t.Logf("%s: %s after %v: %s", stage, status, time.Since(began).Round(time.Second), last.reason)
		return last
	}

	normal := expect("normal", 30*time.Second, "ok")
	// Goroutine growth is computed within the process only: a quarter of the growth
	// window (15 s) after the demo started, it has a value.
	harness.Eventually(t, 30*time.Second, time.Second, "normal: the young demo's goroutine growth", func() error {
		if _, ok := normal.values["goroutine_growth"]; ok {
			return nil
		}
		normal = expect("normal", 10*time.Second, "ok")
		return fmt.Errorf("no goroutine growth yet: %v", normal.values)
	})
	for _, sig := range []string{"up", "goroutines", "goroutine_growth", "heap_inuse", "gc_pause_p99", "request_rate", "error_ratio", "latency_p99"} {
		if _, ok := normal.values[sig]; !ok {
			t.Errorf("normal: signal %s has no value: %v", sig, normal.values)
		}
	}
	if normal.values["up"] != 1 || normal.values["request_rate"] < 5 || normal.values["goroutines"] < 5 || normal.reason != "" || normal.alerts != "" {
		t.Errorf("normal: %+v", normal)
	}
	t.Run("expvar-only instance", func(t *testing.T) {
		rows, r, err := healthTable(context.Background(), c, ds, map[string]any{"instance": "expvar-only"})
		if err != nil || r.Error != nil {
			t.Fatal(err, r.Error)
		}
		v := rows["expvar-only"]
		if len(rows) != 1 || v.status != "ok" || v.values["up"] != 1 || v.values["goroutines"] < 5 || v.values["heap_inuse"] <= 0 {
			t.Errorf("the expvar target's instance: %d rows, %+v", len(rows), v)
		}
		if _, ok := v.values["request_rate"]; ok {
			t.Errorf("expvar has no request rate, yet %v", v.values)
		}
	})
	t.Run("alerts source fails", func(t *testing.T) {
		// Prometheus answers every query but its alerts: the verdict cannot be ok.
		target, _ := url.Parse(s.Prometheus.URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		faulty := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/alerts" {
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
				return
			}
			proxy.ServeHTTP(w, r)
		})
		rows, r, err := healthTable(context.Background(), c, &harness.Settings{URL: faulty.URL, JSONData: ds.JSONData}, map[string]any{"job": "demo"})
		if err != nil {
			t.Fatal(err)
		}
		v := rows[s.Demo.Addr]
		if v.status != "unknown" || !strings.Contains(v.reason, "unknown: alerts:") || v.values["up"] != 1 {
			t.Errorf("with the alerts missing: %+v", v)
		}
		if r.Error == nil || r.ErrorSource != backend.ErrorSourceDownstream || len(r.Frames[0].Meta.Notices) == 0 {
			t.Errorf("a partial answer carries the downstream error and a notice: %v %q %v", r.Error, r.ErrorSource, r.Frames[0].Meta)
		}
	})

	s.Loadgen.SetMode(t, harness.ModeSlow)
	expect("slow", 60*time.Second, "critical", "critical: latency p99")
	expect("slow", 120*time.Second, "critical", "critical: latency p99", "alert GoHighLatencyP99 (P1) firing")

	s.Loadgen.SetMode(t, harness.ModeFailing)
	expect("failing", 60*time.Second, "critical", "critical: error ratio")
	expect("failing", 120*time.Second, "critical", "critical: error ratio", "alert GoHighErrorRatio (P1) firing")

	s.Loadgen.SetMode(t, harness.ModeLeak)
	expect("leak", 90*time.Second, "critical", "critical: goroutine growth")
	expect("leak", 150*time.Second, "critical", "goroutine growth", "alert GoGoroutineGrowth (P2) firing")

	s.Demo.AllowExit()
	s.Loadgen.SetMode(t, harness.ModeCrash)
	// Every scrape that starts after this has nothing to answer it.
	harness.Eventually(t, 30*time.Second, 100*time.Millisecond, "crash: the demo exits", func() error {
		if exited, _ := s.Demo.Exited(); !exited {
			return fmt.Errorf("still running")
		}
		return nil
	})
	exited := time.Now()
	expect("crash", 60*time.Second, "down", "down: up = 0")
	expect("crash", 90*time.Second, "down", "down: up = 0", "alert GoServiceDown (P0) firing")
	// The on-call engineer silences the page: the instance is still down, and the reason
	// says that the alert is silenced (Alertmanager's state, joined by label set).
	silence(t, s.Alertmanager.URL, "GoServiceDown")
	expect("crash, silenced", 30*time.Second, "down", "down: up = 0", "alert GoServiceDown (P0) firing, silenced")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.QueryData(ctx, ds,
		harness.Query{RefID: "series", From: start, To: time.Now(), Interval: time.Second, MaxDataPoints: 2000,
			Model: map[string]any{"queryType": "health", "job": "demo", "instance": s.Demo.Addr, "format": "time_series"}},
		harness.Query{RefID: "numeric", Model: map[string]any{"queryType": "health", "job": "demo", "format": "numeric"}})
	if err != nil {
		t.Fatal(err)
	}
	requireNoError(t, resp.Responses["series"])
	fr := resp.Responses["series"].Frames
	if len(fr) != 1 || fr[0].Meta.Type != data.FrameTypeTimeSeriesWide || len(fr[0].Fields) != 10 {
		t.Fatalf("time series: %d frames, want one wide frame of time, status and 8 signals: %v", len(fr), fr)
	}
	ts, st := fr[0].Fields[0], fr[0].Fields[1]
	status := map[float64]string{-1: "unknown", 0: "ok", 1: "warning", 2: "critical", 3: "down"}
	// What a user reads off the verdict panel: the verdicts in turn (repeats collapsed),
	// from the first step with data on (before the demo's first scrape nothing is known).
	var changes, timeline []string
	var afterExit []string // the verdicts of the steps at or after the exit, collapsed
	for i := range st.Len() {
		name, at := status[st.At(i).(float64)], ts.At(i).(time.Time)
		if len(changes) == 0 && name == "unknown" {
			continue
		}
		if len(changes) == 0 || changes[len(changes)-1] != name {
			changes = append(changes, name)
			timeline = append(timeline, fmt.Sprintf("%s at %v", name, at.Sub(start).Round(time.Second)))
		}
		if !at.Before(exited) && (len(afterExit) == 0 || afterExit[len(afterExit)-1] != name) {
			afterExit = append(afterExit, name)
		}
	}
	t.Logf("status over the run (times from its start; the demo exited at %v): %s", exited.Sub(start).Round(time.Second), strings.Join(timeline, " → "))
	// ok first, critical while slow, failing and leaking, down at the end. Between them
	// the verdict may pass through ok (the seconds between the end of failing and the
	// leak crossing its threshold) or down (a scrape that timed out on a loaded machine:
	// up is 0 then), but nothing is unknown once data exists.
	if got := strings.Join(changes, " "); !regexp.MustCompile(`^ok .*critical .*down$`).MatchString(got) || slices.Contains(changes, "unknown") {
		t.Errorf("status over the run %q, want ok, then critical, then down at the end", got)
	}
	// Once the process is gone the instance is down at the first failed scrape and stays
	// down: the steps before that scrape keep the last answer, none after it says
	// anything but down.
	if i := slices.Index(afterExit, "down"); i < 0 || i != len(afterExit)-1 {
		t.Errorf("status after the demo exited %q, want down from the first failed scrape on", strings.Join(afterExit, " "))
	}
	requireNoError(t, resp.Responses["numeric"])
	for _, f := range resp.Responses["numeric"].Frames {
		if v := f.Fields[0]; v.Labels["instance"] == s.Demo.Addr && v.At(0).(float64) != 3 {
			t.Errorf("numeric status of the crashed demo %v, want 3 (down)", v.At(0))
		}
	}
}

// TestHealthBadInput: bad health queries fail alone with a specific message while a good
// one in the same request answers.
func TestHealthBadInput(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{NoAlertmanager: true})
	c := harness.ServeInProcess(t, plugin.NewDatasource)
	ds := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"scrapeInterval": "1s",
		"healthThresholds": map[string]any{"latency_p99": map[string]any{"critical": 2}}}}
	h := func(refID string, model map[string]any) harness.Query {
		model["queryType"] = "health"
		return harness.Query{RefID: refID, Model: model}
	}
	resp, err := c.QueryData(context.Background(), ds,
		h("good", map[string]any{"job": "demo", "format": "numeric"}),
		h("format", map[string]any{"format": "graph"}),
		h("threshold", map[string]any{"thresholds": map[string]any{"latency_p99": map[string]any{"warning": 3}}}),
		h("signal", map[string]any{"thresholds": map[string]any{"latency": map[string]any{"warning": 1}}}),
		h("instance", map[string]any{"instance": "(("}),
		h("level", map[string]any{"alertCritical": "urgent"}),
		h("nobody", map[string]any{"job": "nobody"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses
	requireNoError(t, r["good"])
	if v := r["good"].Frames[0].Fields[0]; v.Labels["instance"] != s.Demo.Addr || v.At(0).(float64) < 0 {
		t.Errorf("good query: %v %v", v.Labels, v.At(0))
	}
	for refID, want := range map[string]string{
		"format":    `format "graph" is unknown: use table, numeric or time_series`,
		"threshold": "thresholds: latency_p99 warning 3 is above its critical 2 (the other bound is the data source's)",
		"signal":    `thresholds: unknown signal "latency"`,
		"instance":  `instance "((" is not a valid regular expression`,
		"level":     `alertCritical: "urgent" is not a P-level`,
	} {
		if e := r[refID].Error; e == nil || !strings.Contains(e.Error(), want) || r[refID].Status != backend.StatusBadRequest {
			t.Errorf("%s: %v (status %d), want 400 %q", refID, e, r[refID].Status, want)
		}
	}
	if n := r["nobody"]; n.Error != nil || len(n.Frames) != 1 || n.Frames[0].Meta == nil || len(n.Frames[0].Meta.Notices) == 0 ||
		!strings.Contains(n.Frames[0].Meta.Notices[0].Text, `no instance in {job="nobody"}`) {
		t.Errorf("an empty scope answers with a notice: %v %v", n.Error, n.Frames)
	}
	// The editor's thresholds: the data source's, signal by signal.
	var signals []struct {
		ID                string
		Unit              string
		Warning, Critical *float64
	}
	getJSON(context.Background(), t, c, ds, "health-signals", &signals)
	got := map[string]string{}
	for _, sg := range signals {
		got[sg.ID] = sg.Unit + " unset"
		if sg.Warning != nil && sg.Critical != nil {
			got[sg.ID] = fmt.Sprintf("%s %v %v", sg.Unit, *sg.Warning, *sg.Critical)
		}
	}
	if len(got) != 7 || got["latency_p99"] != "s 0.25 2" || got["request_rate"] != "reqps unset" || got["heap_inuse"] != "bytes 5.36870912e+08 1.073741824e+09" {
		t.Errorf("health-signals %v", got)
	}
}
