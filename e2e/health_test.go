package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// TestCheckHealth runs "Save & test" through the plugin protocol, against the
// real Prometheus and Alertmanager and against fake servers for each failure.
// Every failure has its own message (substrings the backend promises, compared
// case-insensitively).
func TestCheckHealth(t *testing.T) {
	t.Parallel()
	am := harness.StartAlertmanager(t)
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{AlertmanagerAddr: am.Addr})
	promVersion := prom.Version(t)
	amVersion := am.Version(t)

	unauthorized := fakeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="prometheus"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	})
	forbidden := fakeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	html := fakeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><html><body><h1>Welcome</h1></body></html>"))
	})
	hanging := hangingServer(t)

	cases := []struct {
		name       string
		ds         *harness.Settings
		wantStatus backend.HealthStatus
		want       []string
	}{
		{
			name:       "healthy",
			ds:         &harness.Settings{URL: prom.URL},
			wantStatus: backend.HealthStatusOk,
			want:       []string{"Prometheus", promVersion},
		},
		{
			name:       "with alertmanager",
			ds:         &harness.Settings{URL: prom.URL, JSONData: map[string]any{"alertmanagerUrl": am.URL}},
			wantStatus: backend.HealthStatusOk,
			want:       []string{"Prometheus", promVersion, "Alertmanager", amVersion},
		},
		{
			name:       "alertmanager down",
			ds:         &harness.Settings{URL: prom.URL, JSONData: map[string]any{"alertmanagerUrl": closedURL(t)}},
			wantStatus: backend.HealthStatusError,
			want:       []string{"Alertmanager", "Prometheus", promVersion},
		},
		{
			name:       "unsupported scheme",
			ds:         &harness.Settings{URL: "ftp://x"},
			wantStatus: backend.HealthStatusError,
			want:       []string{"URL"},
		},
		{
			name:       "unparsable URL",
			ds:         &harness.Settings{URL: "::bad"},
			wantStatus: backend.HealthStatusError,
			want:       []string{"URL"},
		},
		{
			name:       "connection refused",
			ds:         &harness.Settings{URL: closedURL(t)},
			wantStatus: backend.HealthStatusError,
			want:       []string{"connection refused"},
		},
		{
			name:       "timeout",
			ds:         &harness.Settings{URL: hanging.URL, JSONData: map[string]any{"timeout": 1}},
			wantStatus: backend.HealthStatusError,
			want:       []string{"timed out"},
		},
		{
			name:       "401",
			ds:         &harness.Settings{URL: unauthorized.URL},
			wantStatus: backend.HealthStatusError,
			want:       []string{"401", "authentication"},
		},
		{
			name:       "403",
			ds:         &harness.Settings{URL: forbidden.URL},
			wantStatus: backend.HealthStatusError,
			want:       []string{"403"},
		},
		{
			name:       "not a Prometheus API",
			ds:         &harness.Settings{URL: html.URL},
			wantStatus: backend.HealthStatusError,
			want:       []string{"not a Prometheus API"},
		},
		{
			name:       "wrong path",
			ds:         &harness.Settings{URL: prom.URL + "/nope"},
			wantStatus: backend.HealthStatusError,
			want:       []string{"404"},
		},
	}

	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					start := time.Now()
					res, err := p.client.CheckHealth(ctx, tc.ds)
					if err != nil {
						t.Fatalf("CheckHealth: gRPC error: %v", err)
					}
					took := time.Since(start)
					t.Logf("status %v in %v: %s", res.Status, took.Round(time.Millisecond), res.Message)
					if res.Status != tc.wantStatus {
						t.Errorf("status = %v, want %v (message %q)", res.Status, tc.wantStatus, res.Message)
					}
					if missing := containsFold(res.Message, tc.want...); len(missing) > 0 {
						t.Errorf("message %q does not mention %q", res.Message, missing)
					}
					if tc.name == "timeout" && took > 10*time.Second {
						t.Errorf("the check took %v with a 1 s timeout", took)
					}
				})
			}
		})
	}
}
