package alertmanager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func client(t *testing.T, raw string) *Client {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return New(u, hc, nil)
}

// recorded serves the answers of a real Alertmanager 0.25 recorded in testdata/ (by
// e2e's TestAlertmanagerClient with -record) at their paths; other paths are not found.
func recorded(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, name := range []string{"status", "alerts"} {
		body, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc("GET /api/v2/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestStatusRecorded(t *testing.T) {
	srv := recorded(t)
	st, err := client(t, srv.URL).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "0.25.0" || st.Cluster != "disabled" || st.String() != "Alertmanager 0.25.0 (cluster disabled)" {
		t.Errorf("status %+v (%s), want version 0.25.0, clustering disabled", st, st)
	}
	_, err = client(t, srv.URL+"/nope").Status(context.Background())
	assertUpstream(t, err, 404, "/nope/api/v2/status not found (404)")
}

// The recorded alerts: E2EServiceDown active, E2EHighLatency silenced, each routed to
// the receiver of its severity.
func TestAlertsRecorded(t *testing.T) {
	alerts, err := client(t, recorded(t).URL).Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 {
		t.Fatalf("%d alerts, want 2: %+v", len(alerts), alerts)
	}
	for _, a := range alerts {
		want := map[string]struct {
			severity, summary, state, receiver string
			silences                           int
		}{
			"E2EServiceDown": {"P0", "e2e-a is down", "active", "pager", 0},
			"E2EHighLatency": {"P1", "p99 above 0.5 s", "suppressed", "oncall", 1},
		}[a.Labels["alertname"]]
		if a.Labels["severity"] != want.severity || a.Labels["job"] != "e2e" || a.Annotations["summary"] != want.summary ||
			a.Status.State != want.state || len(a.Status.SilencedBy) != want.silences || len(a.Status.InhibitedBy) != 0 ||
			len(a.Receivers) != 1 || a.Receivers[0].Name != want.receiver || a.StartsAt.IsZero() {
			t.Errorf("alert %+v\nwant %+v", a, want)
		}
	}
}

// Answers a real Alertmanager cannot be made to give.
func TestStatusFaults(t *testing.T) {
	for name, c := range map[string]struct {
		body   string
		status int
		want   string
	}{
		"html":             {"<html>Grafana</html>", 502, "not an Alertmanager API"},
		"json, not status": {`{"status":"success","data":{}}`, 502, "has no versionInfo"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(c.body)) }))
			defer srv.Close()
			_, err := client(t, srv.URL).Status(context.Background())
			assertUpstream(t, err, c.status, c.want)
		})
	}
}

// An answer cut short (the connection closed in the middle of the JSON) or empty says
// so, and is not mistaken for a server that closed the connection without answering.
func TestAlertsCutShort(t *testing.T) {
	for name, c := range map[string]struct {
		handler http.HandlerFunc
		want    string
	}{
		"truncated": {func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[{"labels":{`)) },
			"/api/v2/alerts was cut short: the JSON ends before it is complete"},
		"shorter than its length": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`[{"labels":{"alertname":"Down"}`))
		}, "/api/v2/alerts was cut short: the JSON ends before it is complete"},
		"empty": {func(w http.ResponseWriter, r *http.Request) {}, "answered /api/v2/alerts with an empty body"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			_, err := client(t, srv.URL).Alerts(context.Background())
			assertUpstream(t, err, 502, c.want)
			if err != nil && strings.Contains(err.Error(), "without answering") {
				t.Errorf("%v: the server did answer", err)
			}
		})
	}
}

func assertUpstream(t *testing.T, err error, status int, want string) {
	t.Helper()
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != status || !strings.Contains(err.Error(), want) || ue.Service != "Alertmanager" {
		t.Errorf("got %v, want an Alertmanager %d error containing %q", err, status, want)
	}
}
