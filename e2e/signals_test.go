package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
)

// TestRuntimeBusinessVariables runs runtime, business and variable queries, and the
// editor's resources, through the plugin's gRPC protocol against Prometheus and
// VictoriaMetrics scraping the demo under load.
func TestRuntimeBusinessVariables(t *testing.T) {
	t.Parallel()
	stack, engines := startEngines(t)
	plugins := startPlugins(t)
	now := time.Now()
	q := func(refID, queryType string, model map[string]any) harness.Query {
		model["queryType"] = queryType
		return lastMinutes(harness.Query{RefID: refID, Model: model}, now)
	}
	queries := []harness.Query{
		q("goroutines", "runtime", map[string]any{"signal": "goroutines", "job": "demo"}),
		q("heap", "runtime", map[string]any{"signal": "heap_inuse", "job": "demo", "instance": ".*"}),
		q("alloc-rate", "runtime", map[string]any{"signal": "alloc_rate", "job": "demo"}),
		q("unknown-signal", "runtime", map[string]any{"signal": "goroutine"}),
		q("expvar-source", "runtime", map[string]any{"signal": "goroutines", "source": "expvar"}),
		q("bad-instance", "runtime", map[string]any{"signal": "goroutines", "instance": "(("}),
		q("requests", "business", map[string]any{"metric": "http_requests_total", "job": "demo", "groupBy": []string{"path"}}),
		q("latency", "business", map[string]any{"metric": "http_request_duration_seconds", "job": "demo", "quantiles": []float64{0.5, 0.99}}),
		q("events", "business", map[string]any{"metric": "demo_events_total", "groupBy": []string{"event_type", "page", "element_id"}, "topN": 5}),
		q("orders", "business", map[string]any{"metric": "demo_orders_total", "groupBy": []string{"status"}}),
		q("payments", "business", map[string]any{"metric": "demo_payments_total", "groupBy": []string{"status"}}),
		q("sessions", "business", map[string]any{"metric": "demo_active_sessions", "aggregation": "max"}),
		q("summary-sum", "business", map[string]any{"metric": "go_gc_duration_seconds", "job": "demo", "aggregation": "sum"}),
		q("no-metadata", "business", map[string]any{"metric": "no_such_metric"}),
		q("var-jobs", "variable", map[string]any{"variableQuery": map[string]any{"kind": "label_values", "label": "job"}}),
		q("var-metrics", "variable", map[string]any{"variableQuery": map[string]any{"kind": "metric_names", "regex": "/^demo_(.*)_total$/"}}),
		q("var-result", "variable", map[string]any{"variableQuery": map[string]any{"kind": "query_result", "expr": `up{job="demo"}`, "regex": `/instance="([^"]+)"/`}}),
		q("var-bad", "variable", map[string]any{"variableQuery": map[string]any{"kind": "series"}}),
	}
	for _, e := range engines {
		// VictoriaMetrics 1.79 keeps no metric metadata: /api/v1/metadata answers an empty
		// list for every metric. Business queries then read _total metrics as counters
		// (with a notice) and refuse the others.
		business := len(businessMetadata(t, e.url, "http_request_duration_seconds")) > 0
		t.Logf("%s keeps metric metadata: %v", e.name, business)
		if !business && e.name != "victoriametrics" {
			t.Fatalf("%s has no metadata for the demo's latency histogram", e.name)
		}
		for _, p := range plugins {
			t.Run(e.name+"/"+p.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				ds := &harness.Settings{URL: e.url, JSONData: map[string]any{"scrapeInterval": "1s"}}
				resp, err := p.client.QueryData(ctx, ds, queries...)
				if err != nil {
					t.Fatalf("QueryData: %v", err)
				}
				r := resp.Responses
				for refID, unit := range map[string]string{"goroutines": "short", "heap": "bytes", "alloc-rate": "Bps"} {
					t.Run("runtime "+refID, func(t *testing.T) {
						requireNoError(t, r[refID])
						if len(r[refID].Frames) == 0 || len(r[refID].Frames[0].Fields) != 2 {
							t.Fatalf("frames %v, want one series per instance", r[refID].Frames)
						}
						f := r[refID].Frames[0]
						v := f.Fields[1]
						if f.Meta.Type != data.FrameTypeTimeSeriesMulti || v.Config.Unit != unit || v.Labels["instance"] != stack.Demo.Addr || v.Config.DisplayNameFromDS != stack.Demo.Addr {
							t.Errorf("frame %s unit %q", describeFields(f), v.Config.Unit)
						}
						if x, _ := v.FloatAt(v.Len() - 1); !(x > 0) {
							t.Errorf("last value %v, want > 0", x)
						}
					})
				}
				if business {
					for refID, want := range map[string][]string{
						"requests": {"/api/items"},
						"latency":  {"p50", "p99"},
						"events":   {""},
						"orders":   {"created"},
						"payments": {""},
						"sessions": {""},
					} {
						t.Run("business "+refID, func(t *testing.T) {
							requireNoError(t, r[refID])
							var names []string
							for _, f := range r[refID].Frames {
								if len(f.Fields) == 2 { // a frame without fields is "no series"
									names = append(names, f.Fields[1].Config.DisplayNameFromDS)
								}
							}
							if len(names) == 0 {
								t.Fatalf("no series")
							}
							all := strings.Join(names, "|")
							for _, w := range want {
								if !strings.Contains(all, w) {
									t.Errorf("series %q, want one naming %q", all, w)
								}
							}
						})
					}
					// topk is per step: over a range more series can appear, never more than
					// five at one time.
					perTime := map[time.Time]int{}
					for _, f := range r["events"].Frames {
						for i := range f.Rows() {
							perTime[f.Fields[0].At(i).(time.Time)]++
						}
					}
					for ts, n := range perTime {
						if n > 5 {
							t.Errorf("topN 5 gave %d series at %v", n, ts)
						}
					}
				}
				bad := map[string]string{
					"unknown-signal": "goroutines",
					"expvar-source":  "expvar source is not configured",
					"bad-instance":   "((",
					"var-bad":        `variable kind "series" is unknown`,
				}
				bad["no-metadata"] = "no_such_metric"
				if business {
					bad["summary-sum"] = "summary quantiles cannot be aggregated with sum"
				} else {
					for _, refID := range []string{"latency", "sessions", "summary-sum"} {
						bad[refID] = "this server keeps no metric metadata"
					}
					t.Run("business without metadata", func(t *testing.T) {
						for refID, metric := range map[string]string{"requests": "http_requests_total", "orders": "demo_orders_total"} {
							requireNoError(t, r[refID])
							f := r[refID].Frames[0]
							if len(f.Fields) != 2 || f.Rows() == 0 {
								t.Errorf("%s: frame %s, want the counter's rate", refID, describeFields(f))
							}
							want := "This server keeps no metric metadata (as VictoriaMetrics): " + metric + " is read as a counter because its name ends in _total"
							if f.Meta == nil || len(f.Meta.Notices) != 1 || f.Meta.Notices[0].Text != want {
								t.Errorf("%s: notices %+v, want %q", refID, f.Meta, want)
							}
						}
					})
				}
				for refID, want := range bad {
					t.Run("bad input "+refID, func(t *testing.T) {
						res := r[refID]
						if res.Error == nil || !strings.Contains(res.Error.Error(), want) || res.Status != backend.StatusBadRequest {
							t.Errorf("got %d %v, want 400 with %q", res.Status, res.Error, want)
						}
					})
				}
				t.Run("variables", func(t *testing.T) {
					for refID, want := range map[string][2]string{
						"var-jobs":    {"demo", "demo"},
						"var-metrics": {"orders", "orders"},
						"var-result":  {stack.Demo.Addr, stack.Demo.Addr},
					} {
						requireNoError(t, r[refID])
						f := r[refID].Frames[0]
						texts, values := column(f, "text"), column(f, "value")
						if !contains(texts, want[0]) || !contains(values, want[1]) {
							t.Errorf("%s: texts %v values %v, want %q", refID, texts, values, want)
						}
					}
				})
				t.Run("resources", func(t *testing.T) {
					var metrics []string
					getJSON(ctx, t, p.client, ds, "metrics?match=demo_.*", &metrics)
					if !contains(metrics, "demo_orders_total") || contains(metrics, "up") {
						t.Errorf("metrics %v", metrics)
					}
					var labels []string
					getJSON(ctx, t, p.client, ds, "labels?match[]=http_requests_total", &labels)
					if !contains(labels, "path") || !contains(labels, "code") {
						t.Errorf("labels %v", labels)
					}
					var catalogue []struct{ ID, Unit string }
					getJSON(ctx, t, p.client, ds, "runtime-catalogue", &catalogue)
					if len(catalogue) < 20 {
						t.Errorf("catalogue of %d signals", len(catalogue))
					}
					var md []struct{ Metric, Type string }
					getJSON(ctx, t, p.client, ds, "metadata?metric=http_request_duration_seconds", &md)
					if business && (len(md) != 1 || md[0].Type != "histogram") || !business && len(md) != 0 {
						t.Errorf("metadata %+v", md)
					}
				})
			})
		}
	}
}

func column(f *data.Frame, name string) []string {
	for _, fl := range f.Fields {
		if fl.Name == name {
			out := make([]string, fl.Len())
			for i := range out {
				out[i] = fl.At(i).(string)
			}
			return out
		}
	}
	return nil
}

func getJSON(ctx context.Context, t *testing.T, c *harness.Client, ds *harness.Settings, path string, into any) {
	t.Helper()
	res, err := c.CallResource(ctx, ds, "GET", path, nil)
	if err != nil || res.Status != 200 {
		t.Fatalf("GET %s: %v %+v", path, err, res)
	}
	if err := res.JSON(into); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
