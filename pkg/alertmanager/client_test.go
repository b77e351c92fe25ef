package alertmanager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gopulse/health/e2e/harness"
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

func TestStatusRealAlertmanager(t *testing.T) {
	am := harness.StartAlertmanager(t)
	st, err := client(t, am.URL).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := am.Version(t); st.Version != want || !strings.HasPrefix(st.String(), "Alertmanager "+want) {
		t.Errorf("status %+v (%s), want version %s", st, st, want)
	}
	_, err = client(t, am.URL+"/nope").Status(context.Background())
	assertUpstream(t, err, 404, "/nope/api/v2/status not found (404)")
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
