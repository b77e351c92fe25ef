package e2e

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
)

// engine is a Prometheus-compatible server scraping the demo under load.
type engine struct {
	name string
	url  string
}

// startEngines starts the demo with its load generator, and Prometheus and
// VictoriaMetrics both scraping it, and waits until both have a request rate.
func startEngines(t *testing.T) (*harness.Stack, []engine) {
	t.Helper()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 20, NoAlertmanager: true})
	vm := harness.StartVictoriaMetrics(t, map[string][]string{"demo": {s.Demo.Addr}})
	ready := `sum(rate(http_requests_total{job="demo"}[1m])) > 0 and on() count_over_time(up{job="demo"}[1m]) >= 4`
	harness.WaitForQuery(t, s.Prometheus.URL, ready, 45*time.Second)
	harness.WaitForQuery(t, vm.URL, ready, 45*time.Second)
	return s, []engine{{"prometheus-" + s.Prometheus.Version(t), s.Prometheus.URL}, {"victoriametrics", vm.URL}}
}

func lastMinutes(q harness.Query, now time.Time) harness.Query {
	q.From, q.To = now.Add(-3*time.Minute), now
	q.Interval = time.Second
	q.MaxDataPoints = 500
	return q
}

// TestPromQLFormats runs every promql shape through the plugin's gRPC protocol against
// both engines: range and instant, time_series, table and heatmap, macros, scalars and
// strings, and the bad inputs, each failing alone.
func TestPromQLFormats(t *testing.T) {
	t.Parallel()
	stack, engines := startEngines(t)
	plugins := startPlugins(t)
	now := time.Now()
	promql := func(refID string, model map[string]any) harness.Query {
		model["queryType"] = "promql"
		return lastMinutes(harness.Query{RefID: refID, Model: model}, now)
	}
	queries := []harness.Query{
		promql("instant", map[string]any{"expr": `sum by (job, instance) (rate(http_requests_total{job="demo"}[$__rate_interval]))`, "range": false, "instant": true, "legendFormat": "{{instance}}"}),
		promql("both", map[string]any{"expr": `up{job="demo"}`, "range": true, "instant": true}),
		promql("table-range", map[string]any{"expr": `sum by (job, instance, path) (rate(http_requests_total{job="demo"}[$__rate_interval]))`, "format": "table"}),
		promql("table-instant", map[string]any{"expr": `up{job="demo"}`, "range": false, "instant": true, "format": "table"}),
		promql("heatmap", map[string]any{"expr": `sum by (le) (rate(http_request_duration_seconds_bucket{job="demo"}[$__rate_interval]))`, "format": "heatmap"}),
		promql("range-s", map[string]any{"expr": `vector($__range_s)`, "range": false, "instant": true}),
		promql("scalar", map[string]any{"expr": `1+1`, "range": false, "instant": true}),
		promql("empty-expr", map[string]any{"expr": "  "}),
		promql("bad-format", map[string]any{"expr": "up", "format": "csv"}),
		promql("heatmap-of-gauge", map[string]any{"expr": `up{job="demo"}`, "format": "heatmap"}),
		{RefID: "capped", From: now.Add(-30 * 24 * time.Hour), To: now, Interval: time.Second, MaxDataPoints: 50000,
			Model: map[string]any{"queryType": "promql", "expr": "vector(1)"}},
		{RefID: "end-before-start", From: now, To: now.Add(-time.Minute), Interval: time.Second, MaxDataPoints: 100,
			Model: map[string]any{"queryType": "promql", "expr": "up"}},
	}
	for _, e := range engines {
		for _, p := range plugins {
			t.Run(e.name+"/"+p.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				resp, err := p.client.QueryData(ctx, &harness.Settings{URL: e.url, JSONData: map[string]any{"scrapeInterval": "1s"}}, queries...)
				if err != nil {
					t.Fatalf("QueryData: %v", err)
				}
				r := resp.Responses
				t.Run("instant", func(t *testing.T) {
					requireNoError(t, r["instant"])
					f := onlyFrame(t, r["instant"].Frames, data.FrameTypeNumericMulti)
					if len(f.Fields) != 1 || f.Fields[0].Labels["instance"] != stack.Demo.Addr || f.Fields[0].Config.DisplayNameFromDS != stack.Demo.Addr {
						t.Errorf("fields %s", describeFields(f))
					}
					if v, _ := f.Fields[0].FloatAt(0); !(v > 0) {
						t.Errorf("request rate %v, want > 0", v)
					}
				})
				t.Run("range and instant", func(t *testing.T) {
					requireNoError(t, r["both"])
					kinds := map[data.FrameType]int{}
					for _, f := range r["both"].Frames {
						kinds[f.Meta.Type]++
					}
					if kinds[data.FrameTypeTimeSeriesMulti] != 1 || kinds[data.FrameTypeNumericMulti] != 1 {
						t.Errorf("frame types %v, want one timeseries-multi and one numeric-multi", kinds)
					}
				})
				t.Run("table of a range", func(t *testing.T) {
					requireNoError(t, r["table-range"])
					f := onlyFrame(t, r["table-range"].Frames, data.FrameTypeTimeSeriesLong)
					names := fieldNames(f)
					if strings.Join(names, ",") != "Time,instance,job,path,Value" {
						t.Fatalf("columns %v", names)
					}
					for i := 1; i < f.Rows(); i++ {
						if f.Fields[0].At(i).(time.Time).Before(f.Fields[0].At(i - 1).(time.Time)) {
							t.Fatalf("row %d is earlier than row %d", i, i-1)
						}
					}
					if f.Rows() < 3 {
						t.Errorf("%d rows", f.Rows())
					}
				})
				t.Run("table of an instant", func(t *testing.T) {
					requireNoError(t, r["table-instant"])
					f := onlyFrame(t, r["table-instant"].Frames, data.FrameTypeNumericLong)
					if names := fieldNames(f); strings.Join(names, ",") != "__name__,instance,job,Value" || f.Rows() != 1 {
						t.Errorf("columns %v, %d rows", names, f.Rows())
					}
				})
				t.Run("heatmap", func(t *testing.T) {
					requireNoError(t, r["heatmap"])
					f := onlyFrame(t, r["heatmap"].Frames, "heatmap-rows")
					if f.Fields[0].Name != "Time" || len(f.Fields) < 5 {
						t.Fatalf("fields %s", describeFields(f))
					}
					prev := math.Inf(-1)
					for _, b := range f.Fields[1:] {
						le, err := strconv.ParseFloat(b.Name, 64)
						if err != nil || le <= prev {
							t.Fatalf("bucket %q after %v: bounds must be numbers in increasing order", b.Name, prev)
						}
						prev = le
						for i := range b.Len() {
							if v, _ := b.FloatAt(i); v < 0 {
								t.Fatalf("bucket %s has a negative count %v: not de-cumulated correctly", b.Name, v)
							}
						}
					}
					if !math.IsInf(prev, 1) {
						t.Errorf("last bucket %v, want +Inf", prev)
					}
					// Prometheus 3 stores le normalised (le="1.0"): the demo's bucket 1
					// keeps its name.
					if names := fieldNames(f); !slices.Contains(names, "1") || slices.Contains(names, "1.0") {
						t.Errorf("buckets %v, want 1 named as the demo declares it", names)
					}
				})
				t.Run("macros expanded in the backend", func(t *testing.T) {
					requireNoError(t, r["range-s"])
					f := onlyFrame(t, r["range-s"].Frames, data.FrameTypeNumericMulti)
					if v, _ := f.Fields[0].FloatAt(0); v != 180 {
						t.Errorf("$__range_s = %v, want 180", v)
					}
				})
				t.Run("step raised to the 11,000-point cap, and said", func(t *testing.T) {
					requireNoError(t, r["capped"])
					f := onlyFrame(t, r["capped"].Frames, data.FrameTypeTimeSeriesMulti)
					if f.Rows() > 11000 || len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "no series has more than 11000 points") {
						t.Errorf("%d rows, notices %+v", f.Rows(), f.Meta.Notices)
					}
				})
				t.Run("scalar", func(t *testing.T) {
					requireNoError(t, r["scalar"])
					f := onlyFrame(t, r["scalar"].Frames, data.FrameTypeNumericMulti)
					if v, _ := f.Fields[0].FloatAt(0); v != 2 {
						t.Errorf("1+1 = %v", v)
					}
				})
				for refID, want := range map[string]string{
					"empty-expr":       "expr is empty",
					"bad-format":       `format "csv" is unknown`,
					"heatmap-of-gauge": "no le label",
					"end-before-start": "time range is empty",
				} {
					t.Run("bad input "+refID, func(t *testing.T) {
						res := r[refID]
						if res.Error == nil || !strings.Contains(res.Error.Error(), want) || res.Status != backend.StatusBadRequest {
							t.Errorf("got %d %v, want 400 with %q", res.Status, res.Error, want)
						}
					})
				}
			})
		}
	}
}

// TestPromQLLimits: an answer over the data source's limits fails with a message that
// names the limit, and the other queries of the request still answer.
func TestPromQLLimits(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{NoAlertmanager: true})
	harness.WaitForQuery(t, s.Prometheus.URL, `count_over_time(up{job="demo"}[1m]) >= 3`, 45*time.Second)
	now := time.Now()
	// vector(1) answers a sample at every step whatever the data: 3 h at 1 s is 10,801.
	big := harness.Query{RefID: "big", From: now.Add(-3 * time.Hour), To: now, Interval: time.Second, MaxDataPoints: 11000,
		Model: map[string]any{"queryType": "promql", "expr": `vector(1)`}}
	small := lastMinutes(harness.Query{RefID: "small", Model: map[string]any{"queryType": "promql", "expr": `up{job="demo"}`, "range": false, "instant": true}}, now)
	p := harness.StartPlugin(t)
	for name, c := range map[string]struct {
		jsonData map[string]any
		want     string
	}{
		"samples": {map[string]any{"maxSamples": 1000}, "1000 samples"},
		"bytes":   {map[string]any{"maxResponseBytes": 4096}, "larger than the configured limit (4096 bytes)"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := p.QueryData(context.Background(), &harness.Settings{URL: s.Prometheus.URL, JSONData: c.jsonData}, big, small)
			if err != nil {
				t.Fatal(err)
			}
			res := resp.Responses["big"]
			if res.Error == nil || !strings.Contains(res.Error.Error(), c.want) || res.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("big query: %v (%s), want a downstream error with %q", res.Error, res.ErrorSource, c.want)
			}
			requireNoError(t, resp.Responses["small"])
		})
	}
}

func onlyFrame(t *testing.T, frames data.Frames, kind data.FrameType) *data.Frame {
	t.Helper()
	if len(frames) != 1 {
		t.Fatalf("%d frames, want 1", len(frames))
	}
	f := frames[0]
	if f.Meta == nil || f.Meta.Type != kind {
		t.Fatalf("frame meta %+v, want type %s", f.Meta, kind)
	}
	if len(f.Fields) == 0 {
		t.Fatalf("no series (a %s frame without fields)", kind)
	}
	return f
}

func fieldNames(f *data.Frame) []string {
	names := make([]string, len(f.Fields))
	for i, fl := range f.Fields {
		names[i] = fl.Name
	}
	return names
}
