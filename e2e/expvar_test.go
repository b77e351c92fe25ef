package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/gopulse/health/e2e/harness"
)

// TestExpvarQueries: a data source with the demo's real /debug/vars and a target that is
// down; latest values as a table, history as time series after a few polls, the target
// statuses as a resource, and bad input failing alone — through the plugin's gRPC protocol.
func TestExpvarQueries(t *testing.T) {
	t.Parallel()
	demo := harness.StartDemo(t)
	ds := &harness.Settings{URL: closedURL(t), JSONData: map[string]any{
		"expvarPollInterval": "200ms",
		"expvarTargets": []map[string]any{
			{"name": "demo", "url": demo.URL}, // the path defaults to /debug/vars
			{"name": "gone", "url": closedURL(t) + "/debug/vars", "instance": "gone:8080"},
		},
	}}
	now := time.Now()
	q := func(refID string, model map[string]any) harness.Query {
		model["queryType"] = "expvar"
		return harness.Query{RefID: refID, From: now.Add(-time.Minute), To: now.Add(time.Minute), Interval: time.Second, MaxDataPoints: 100, Model: model}
	}
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := p.client.QueryData(ctx, ds,
				q("latest", map[string]any{"paths": []string{"goroutines", "memstats.HeapAlloc", "cmdline[0]", "business.*"}}),
				q("unknown-target", map[string]any{"targets": []string{"nope"}, "paths": []string{"goroutines"}}),
				q("bad-path", map[string]any{"paths": []string{"memstats..HeapAlloc"}}),
			)
			if err != nil {
				t.Fatal(err)
			}
			r := resp.Responses
			requireNoError(t, r["latest"])
			f := r["latest"].Frames[0]
			rows := map[string]string{}
			for i := range f.Rows() {
				val := ""
				if text := f.Fields[4].At(i).(*string); text != nil {
					val = *text
				}
				if n, ok := f.Fields[3].At(i).(*float64); ok && n != nil && *n > 0 {
					val = "number"
				}
				rows[f.Fields[0].At(i).(string)+" "+f.Fields[2].At(i).(string)] = val
			}
			for _, want := range []string{"demo goroutines", "demo memstats.HeapAlloc"} {
				if rows[want] != "number" {
					t.Errorf("%s = %q, want a positive number (rows %v)", want, rows[want], rows)
				}
			}
			if !strings.Contains(rows["demo cmdline[0]"], "demo") {
				t.Errorf("cmdline[0] = %q", rows["demo cmdline[0]"])
			}
			if len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "expvar target gone is down") || !strings.Contains(f.Meta.Notices[0].Text, "connection refused") {
				t.Errorf("notices %+v", f.Meta.Notices)
			}
			for refID, want := range map[string]string{
				"unknown-target": `expvar target "nope" is not configured: known targets are demo, gone`,
				"bad-path":       "expected a key",
			} {
				if res := r[refID]; res.Error == nil || !strings.Contains(res.Error.Error(), want) || res.Status != backend.StatusBadRequest {
					t.Errorf("%s: %d %v, want 400 with %q", refID, res.Status, res.Error, want)
				}
			}

			// The history fills as the poller sweeps every 200 ms.
			harness.Eventually(t, 10*time.Second, 100*time.Millisecond, "three polls of NumGC in the history", func() error {
				resp, err := p.client.QueryData(ctx, ds, q("history", map[string]any{"targets": []string{"demo"}, "paths": []string{"memstats.NumGC"}, "mode": "history"}))
				if err != nil {
					return err
				}
				res := resp.Responses["history"]
				if res.Error != nil || len(res.Frames) != 1 || res.Frames[0].Rows() < 3 || res.Frames[0].Fields[1].Labels["path"] != "memstats.NumGC" {
					return errNotYet
				}
				return nil
			})

			t.Run("history of a string is said", func(t *testing.T) {
				resp, err := p.client.QueryData(ctx, ds, q("str", map[string]any{"targets": []string{"demo"}, "paths": []string{"cmdline[0]"}, "mode": "history"}))
				if err != nil {
					t.Fatal(err)
				}
				res := resp.Responses["str"]
				requireNoError(t, res)
				if n := res.Frames[0].Meta; n == nil || len(n.Notices) != 1 || !strings.Contains(n.Notices[0].Text, "cmdline[0] is a string, not a number") {
					t.Errorf("frames %v", res.Frames)
				}
			})
			t.Run("rate of a counter", func(t *testing.T) {
				resp, err := p.client.QueryData(ctx, ds, q("rate", map[string]any{"targets": []string{"demo"}, "paths": []string{"memstats.TotalAlloc"}, "mode": "rate"}))
				if err != nil {
					t.Fatal(err)
				}
				res := resp.Responses["rate"]
				requireNoError(t, res)
				if len(res.Frames) != 1 || res.Frames[0].Rows() < 2 {
					t.Fatalf("frames %v", res.Frames)
				}
				for i := range res.Frames[0].Rows() {
					if v, _ := res.Frames[0].Fields[1].FloatAt(i); v < 0 {
						t.Errorf("rate %v < 0", v)
					}
				}
			})
			t.Run("runtime signals from expvar", func(t *testing.T) {
				rt := func(refID, signal string) harness.Query {
					m := map[string]any{"queryType": "runtime", "signal": signal, "source": "expvar", "instance": demo.Addr}
					return harness.Query{RefID: refID, From: now.Add(-time.Minute), To: time.Now().Add(time.Minute), Interval: time.Second, MaxDataPoints: 100, Model: m}
				}
				resp, err := p.client.QueryData(ctx, ds, rt("heap", "heap_alloc"), rt("goroutines", "goroutines"), rt("alloc", "alloc_rate"), rt("pause", "gc_pause_p99"), rt("restarts", "restarts"))
				if err != nil {
					t.Fatal(err)
				}
				for refID, unit := range map[string]string{"heap": "bytes", "goroutines": "short", "alloc": "Bps"} {
					res := resp.Responses[refID]
					requireNoError(t, res)
					if len(res.Frames) != 1 || res.Frames[0].Rows() < 2 {
						t.Fatalf("%s: frames %v", refID, res.Frames)
					}
					v := res.Frames[0].Fields[1]
					if x, _ := v.FloatAt(v.Len() - 1); !(x > 0) || v.Config.Unit != unit || v.Labels["instance"] != demo.Addr {
						t.Errorf("%s: last %v unit %q labels %v", refID, x, v.Config.Unit, v.Labels)
					}
				}
				// GC pause p99 from the PauseNs ring, in seconds (the demo has run GCs by now).
				if res := resp.Responses["pause"]; res.Error != nil || len(res.Frames) != 1 {
					t.Errorf("gc_pause_p99 from expvar: %v", res.Error)
				} else if v := res.Frames[0].Fields[1]; v.Len() > 0 {
					if x, _ := v.FloatAt(v.Len() - 1); !(x > 0 && x < 1) || v.Config.Unit != "s" {
						t.Errorf("gc pause p99 %v %s", x, v.Config.Unit)
					}
				}
				// Restarts: NumGC never went down while the demo ran.
				if res := resp.Responses["restarts"]; res.Error != nil || len(res.Frames) != 1 || res.Frames[0].Rows() < 2 {
					t.Errorf("restarts from expvar: %v %v", res.Error, res.Frames)
				} else if v := res.Frames[0].Fields[1]; v.Config.Unit != "short" {
					t.Errorf("restarts unit %q", v.Config.Unit)
				} else {
					for i := range v.Len() {
						if x, _ := v.FloatAt(i); x != 0 {
							t.Errorf("restarts[%d] = %v, want 0", i, x)
						}
					}
				}
			})

			t.Run("variables and the vars resource", func(t *testing.T) {
				v := func(refID string, vq map[string]any) harness.Query {
					return harness.Query{RefID: refID, From: now.Add(-time.Minute), To: now, Interval: time.Second, MaxDataPoints: 100,
						Model: map[string]any{"queryType": "variable", "variableQuery": vq}}
				}
				resp, err := p.client.QueryData(ctx, ds, v("targets", map[string]any{"kind": "expvar_targets"}), v("paths", map[string]any{"kind": "expvar_paths", "label": "demo", "regex": `/^memstats\.Heap/`}))
				if err != nil {
					t.Fatal(err)
				}
				requireNoError(t, resp.Responses["targets"])
				requireNoError(t, resp.Responses["paths"])
				if got := strings.Join(column(resp.Responses["targets"].Frames[0], "text"), ","); got != "demo,gone" {
					t.Errorf("targets %s", got)
				}
				if paths := column(resp.Responses["paths"].Frames[0], "text"); !contains(paths, "memstats.HeapAlloc") || contains(paths, "goroutines") {
					t.Errorf("paths %v", paths)
				}
				var vars []struct {
					Path, Kind string
					Value      *float64
				}
				getJSON(ctx, t, p.client, ds, "expvar-vars?target=demo", &vars)
				found := false
				for _, x := range vars {
					if x.Path == "goroutines" && x.Kind == "number" && x.Value != nil && *x.Value > 0 {
						found = true
					}
				}
				if !found || len(vars) < 100 {
					t.Errorf("%d vars, goroutines found: %v", len(vars), found)
				}
			})

			var targets []struct {
				Target, Instance, LastError string
				Up                          bool
			}
			getJSON(ctx, t, p.client, ds, "expvar-targets", &targets)
			if len(targets) != 2 || !targets[0].Up || targets[0].Instance != demo.Addr || targets[1].Up || targets[1].Instance != "gone:8080" || !strings.Contains(targets[1].LastError, "connection refused") {
				t.Errorf("targets %+v", targets)
			}
		})
	}
}

type notYet struct{}

func (notYet) Error() string { return "not yet" }

var errNotYet error = notYet{}

// TestExpvarDiscovery: the demo's expvar endpoint found from Prometheus's active targets
// of job demo (same host and port as /metrics, path /debug/vars), polled, and queried by
// its job/instance name.
func TestExpvarDiscovery(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{NoAlertmanager: true})
	ds := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"expvarDiscoverJobs": []string{"demo"}}}
	p := harness.StartPlugin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var targets []struct {
		Target, Instance, Host, Job string
		Up                          bool
	}
	getJSON(ctx, t, p, ds, "expvar-targets", &targets)
	name := "demo/" + s.Demo.Addr
	if len(targets) != 1 || targets[0].Target != name || !targets[0].Up || targets[0].Instance != s.Demo.Addr || targets[0].Job != "demo" {
		t.Fatalf("targets %+v, want %s of job demo up", targets, name)
	}
	// An allow-list that names other hosts keeps the demo out; one that names it lets it in.
	for pattern, want := range map[string]int{"10.255.*": 0, "127.0.0.1": 1} {
		restricted := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"expvarDiscoverJobs": []string{"demo"}, "expvarDiscoverHosts": []string{pattern}}}
		var found []struct{ Target string }
		getJSON(ctx, t, p, restricted, "expvar-targets", &found)
		if len(found) != want {
			t.Errorf("allow-list %s: targets %+v, want %d", pattern, found, want)
		}
	}
	now := time.Now()
	resp, err := p.QueryData(ctx, ds, harness.Query{RefID: "A", From: now.Add(-time.Minute), To: now, Interval: time.Second, MaxDataPoints: 100,
		Model: map[string]any{"queryType": "expvar", "targets": []string{name}, "paths": []string{"goroutines"}}})
	if err != nil {
		t.Fatal(err)
	}
	requireNoError(t, resp.Responses["A"])
	if f := resp.Responses["A"].Frames[0]; f.Rows() != 1 || f.Fields[0].At(0) != name {
		t.Errorf("latest %v", f)
	}
}

// TestExpvarLive: a Grafana Live subscription to an expvar query gets the latest values
// pushed after each poll, over the plugin's stream protocol; a bad query is not found.
func TestExpvarLive(t *testing.T) {
	t.Parallel()
	demo := harness.StartDemo(t)
	ds := &harness.Settings{URL: closedURL(t), JSONData: map[string]any{
		"expvarPollInterval": "200ms",
		"expvarTargets":      []map[string]any{{"name": "demo", "url": demo.URL}},
	}}
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			subscribe := func(query string) pluginv2.SubscribeStreamResponse_Status {
				res, err := p.client.Stream.SubscribeStream(ctx, &pluginv2.SubscribeStreamRequest{PluginContext: ds.PluginContext(), Path: "expvar", Data: []byte(query)})
				if err != nil {
					t.Fatal(err)
				}
				return res.Status
			}
			if st := subscribe(`{"targets":["nope"],"paths":["goroutines"]}`); st != pluginv2.SubscribeStreamResponse_NOT_FOUND {
				t.Errorf("unknown target: %v, want NOT_FOUND", st)
			}
			q := `{"targets":["demo"],"paths":["goroutines","memstats.NumGC"]}`
			if st := subscribe(q); st != pluginv2.SubscribeStreamResponse_OK {
				t.Fatalf("subscribe: %v", st)
			}
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			stream, err := p.client.Stream.RunStream(runCtx, &pluginv2.RunStreamRequest{PluginContext: ds.PluginContext(), Path: "expvar", Data: []byte(q)})
			if err != nil {
				t.Fatal(err)
			}
			var times []time.Time
			for len(times) < 3 {
				packet, err := stream.Recv()
				if err != nil {
					t.Fatalf("after %d packets: %v", len(times), err)
				}
				var f data.Frame
				if err := json.Unmarshal(packet.Data, &f); err != nil {
					t.Fatal(err)
				}
				if len(f.Fields) != 3 || f.Fields[1].Labels["path"] != "goroutines" {
					t.Fatalf("frame %s", describeFields(&f))
				}
				if v, _ := f.Fields[1].FloatAt(0); !(v > 0) {
					t.Errorf("goroutines %v", v)
				}
				times = append(times, f.Fields[0].At(0).(time.Time))
			}
			if !times[2].After(times[0]) {
				t.Errorf("times %v: the pushes must follow the polls", times)
			}
		})
	}
}
