package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/upstream"
)

// TestAlertmanagerClient: the Alertmanager client against a real Alertmanager that
// holds two alerts sent by a real Prometheus, one of them silenced. With -record, the
// answers are written to pkg/alertmanager/testdata for the client's unit tests.
func TestAlertmanagerClient(t *testing.T) {
	t.Parallel()
	am, prom := startAlerting(t)
	harness.WaitForQuery(t, prom.URL, `count(ALERTS{alertstate="firing"}) == 2`, 30*time.Second)
	ctx := context.Background()
	c := alertmanagerClient(t, am.URL)

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := am.Version(t); st.Version != want || st.String() != "Alertmanager "+want+" (cluster disabled)" {
		t.Errorf("status %+v (%s), want version %s, clustering disabled", st, st, want)
	}
	_, err = alertmanagerClient(t, am.URL+"/nope").Status(ctx)
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != 404 || ue.Service != "Alertmanager" || !strings.Contains(err.Error(), "/nope/api/v2/status not found (404)") {
		t.Errorf("a wrong path: %v, want an Alertmanager 404 naming /nope/api/v2/status", err)
	}

	harness.Eventually(t, 30*time.Second, 250*time.Millisecond, "Alertmanager holds the two firing alerts", func() error {
		alerts, err := c.Alerts(ctx)
		if err != nil || len(alerts) != 2 {
			return fmt.Errorf("alerts %+v, %v", alerts, err)
		}
		return nil
	})
	silence(t, am.URL, "E2EHighLatency")
	harness.Eventually(t, 30*time.Second, 250*time.Millisecond, "the silenced alert is suppressed", func() error {
		alerts, err := c.Alerts(ctx)
		if err != nil {
			return err
		}
		return checkSilencedAlerts(alerts)
	})
	recordAlertmanager(t, am.URL)
}

// checkSilencedAlerts checks what TestAlertmanagerClient's Alertmanager holds once
// E2EHighLatency is silenced: E2EServiceDown active, E2EHighLatency suppressed by a
// silence, both with their labels, annotations, start and the receiver of their severity.
func checkSilencedAlerts(alerts []alertmanager.Alert) error {
	byName := map[string]alertmanager.Alert{}
	for _, a := range alerts {
		byName[a.Labels["alertname"]] = a
	}
	down, slow := byName["E2EServiceDown"], byName["E2EHighLatency"]
	if len(alerts) != 2 || down.Status.State != "active" || len(down.Status.SilencedBy) != 0 ||
		slow.Status.State != "suppressed" || len(slow.Status.SilencedBy) != 1 {
		return fmt.Errorf("alerts %+v, want E2EServiceDown active and E2EHighLatency silenced", alerts)
	}
	if down.Labels["severity"] != "P0" || down.Labels["instance"] != "e2e-a:8080" || down.Annotations["summary"] != "e2e-a is down" ||
		slow.Labels["severity"] != "P1" || slow.Annotations["summary"] != "p99 above 0.5 s" {
		return fmt.Errorf("labels or annotations lost: %+v", alerts)
	}
	for a, receiver := range map[*alertmanager.Alert]string{&down: "pager", &slow: "oncall"} {
		if a.StartsAt.IsZero() || time.Since(a.StartsAt) > time.Hour || len(a.Receivers) != 1 || a.Receivers[0].Name != receiver {
			return fmt.Errorf("%s: start %v, receivers %+v, want %s", a.Labels["alertname"], a.StartsAt, a.Receivers, receiver)
		}
	}
	return nil
}

// recordAlertmanager writes the Alertmanager's answers to /api/v2/status and
// /api/v2/alerts to pkg/alertmanager/testdata when -record is set.
func recordAlertmanager(t *testing.T, base string) {
	t.Helper()
	if !*record {
		return
	}
	for _, p := range []string{"status", "alerts"} {
		code, body, err := harness.HTTPGet(context.Background(), base+"/api/v2/"+p)
		if err != nil || code != http.StatusOK {
			t.Fatalf("/api/v2/%s: HTTP %d %v", p, code, err)
		}
		recordBody(t, body, "pkg", "alertmanager", "testdata", p+".json")
	}
}

func alertmanagerClient(t *testing.T, raw string) *alertmanager.Client {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return alertmanager.New(u, hc, nil)
}
