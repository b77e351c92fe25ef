package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/plugin"
)

// echoing is a hostile upstream: a proxy that quotes the request's headers in its answer.
// The path's first segment picks the shape of the answer: /500 an error page, /json a
// Prometheus API error, /200 a success that is not JSON, /cut an error page in which the
// basic-auth header straddles the point where error excerpts are cut.
func echoing(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s; ", k, strings.Join(r.Header[k], ", "))
	}
	echo := "you sent " + b.String()
	shape, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch shape {
	case "json":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "bad_data", "error": echo})
	case "200":
		_, _ = fmt.Fprint(w, echo)
	case "cut":
		w.WriteHeader(http.StatusBadGateway)
		auth := r.Header.Get("Authorization")
		_, _ = fmt.Fprint(w, strings.Repeat("x", 190-len("Authorization: Basic ")+8)+" "+auth+" "+echo)
	default:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprint(w, echo)
	}
}

// TestNoSecretInWhatThePluginSays puts an echoing upstream in front of every client
// (Prometheus, Alertmanager, expvar target) and reads everything the plugin says: every
// query type's error and notices, Save & test, every resource and the plugin's log. No
// credential, in any form, may be in any of it.
func TestNoSecretInWhatThePluginSays(t *testing.T) {
	echo := startRecorder(t, "127.0.0.1", http.HandlerFunc(echoing))
	queries := []harness.Query{
		{Model: map[string]any{"queryType": "promql", "expr": "up", "instant": true}},
		{Model: map[string]any{"queryType": "runtime", "signal": "goroutines", "source": "auto"}},
		{Model: map[string]any{"queryType": "business", "metric": "http_requests_total"}},
		{Model: map[string]any{"queryType": "alerts", "source": "both"}},
		{Model: map[string]any{"queryType": "alerts", "format": "timeline"}},
		{Model: map[string]any{"queryType": "expvar", "paths": []string{"memstats.*"}}},
		{Model: map[string]any{"queryType": "health"}},
		{Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": "job"}}},
		{Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "alert_names"}}},
	}
	resources := []string{"label-values?label=job", "labels", "metrics", "metadata?metric=up", "expvar-targets", "expvar-vars?target=svc"}

	// The binary logs at debug, so that every line it can write is checked.
	plugins := []pluginUnderTest{
		{"binary", harness.StartPluginWith(t, harness.PluginOptions{Env: []string{"GF_PLUGIN_LOG_LEVEL=debug"}})},
		{"in-process", harness.ServeInProcess(t, plugin.NewDatasource)},
	}
	for _, p := range plugins {
		t.Run(p.name, func(t *testing.T) {
			var said []string
			for _, shape := range []string{"500", "json", "200", "cut"} {
				base := echo.srv.URL + "/" + shape
				s := withAlertmanagerAuth(withPrometheusAuth(&harness.Settings{URL: base, JSONData: map[string]any{
					"alertmanagerUrl": base,
					"expvarTargets":   []map[string]string{{"name": "svc", "url": base + "/debug/vars"}},
				}}))
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				res, err := p.client.QueryData(ctx, s, queries...)
				if err != nil {
					cancel()
					t.Fatal(err)
				}
				for ref, r := range res.Responses {
					if r.Error != nil {
						said = append(said, fmt.Sprintf("%s query %s error: %s", shape, ref, r.Error))
					}
					for _, f := range r.Frames {
						if f.Meta != nil {
							for _, n := range f.Meta.Notices {
								said = append(said, fmt.Sprintf("%s query %s notice: %s", shape, ref, n.Text))
							}
						}
					}
				}
				h, err := p.client.CheckHealth(ctx, s)
				if err != nil {
					cancel()
					t.Fatal(err)
				}
				said = append(said, shape+" Save & test: "+h.Message+" "+string(h.JSONDetails))
				harness.Eventually(t, 20*time.Second, 200*time.Millisecond, "the expvar target polled", func() error {
					rr, err := p.client.CallResource(ctx, s, http.MethodGet, "expvar-targets", nil)
					if err != nil || !strings.Contains(string(rr.Body), `"lastError":"expvar target svc`) {
						return fmt.Errorf("expvar-targets: %v %s", err, rr.Body)
					}
					return nil
				})
				for _, path := range resources {
					rr, err := p.client.CallResource(ctx, s, http.MethodGet, path, nil)
					if err != nil {
						cancel()
						t.Fatal(err)
					}
					said = append(said, fmt.Sprintf("%s resource %s (%d): %s", shape, path, rr.Status, rr.Body))
				}
				cancel()
			}
			if p.client.LogPath != "" {
				log, err := os.ReadFile(p.client.LogPath)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(log), "Plugin Request Completed") {
					t.Errorf("at log level debug, the plugin log has no request lines:\n%.2000s", log)
				}
				said = append(said, "log: "+string(log))
			}
			masked := 0
			for _, line := range said {
				if l := leaked(line); len(l) > 0 {
					t.Errorf("%v in: %.600s", l, line)
				}
				masked += strings.Count(line, "[redacted]")
			}
			// The test proves something only if the echo reached what the plugin says.
			if masked < 8 {
				t.Errorf("only %d masked secrets in what the plugin said; the echo did not reach the messages:\n%s", masked, strings.Join(said, "\n"))
			}
		})
	}
	got := echo.credentials()
	if !sameSet(got, []string{"Prometheus basic auth", "Prometheus token", "Alertmanager basic auth", "Alertmanager token"}) {
		t.Errorf("the echoing upstream got %v, want every configured credential (the test would prove nothing otherwise)", got)
	}
}
