package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/gopulse/health/e2e/harness"
)

// TestOperatorTelemetry: what the built plugin tells Grafana's operator, read from its
// log (stderr) and its metrics endpoint over the gRPC protocol, with a real Prometheus,
// an Alertmanager and an expvar target that refuse connections, and a data source with
// a basic-auth password and a header token: the failed Alertmanager request and the
// sample limit are warnings, the expvar target going down is said once over several
// polls, no line carries a secret, Save & test details every component and the metrics
// show the target down.
func TestOperatorTelemetry(t *testing.T) {
	t.Parallel()
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{NoProvisionedRules: true})
	c := harness.StartPlugin(t)
	const password, token = "e2e-hunter2-password", "e2e-tok-7a6b5c4d"
	amAddr, targetAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	ds := &harness.Settings{
		URL: prom.URL, BasicAuthEnabled: true, BasicAuthUser: "alice",
		JSONData: map[string]any{
			"alertmanagerUrl": "http://" + amAddr, "httpHeaderName1": "X-Scope-OrgID", "maxSamples": 1000,
			"expvarPollInterval": "200ms",
			"expvarTargets":      []map[string]any{{"name": "api", "url": "http://" + targetAddr + "/debug/vars"}},
		},
		Secure: map[string]string{"basicAuthPassword": password, "httpHeaderValue1": token},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	resp, err := c.QueryData(ctx, ds,
		harness.Query{RefID: "limit", From: now.Add(-time.Hour), To: now, Interval: time.Second, MaxDataPoints: 11000,
			Model: map[string]any{"queryType": "promql", "expr": "vector(1)", "range": true}},
		harness.Query{RefID: "am", Model: map[string]any{"queryType": "alerts", "source": "alertmanager"}},
		harness.Query{RefID: "expvar", Model: map[string]any{"queryType": "expvar", "paths": []string{"goroutines"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"limit", "am"} {
		if resp.Responses[ref].Error == nil {
			t.Fatalf("query %s did not fail", ref)
		}
	}
	// Several polls of the target that is down (the back-off doubles the wait).
	harness.Eventually(t, 20*time.Second, 200*time.Millisecond, "three failed polls of the expvar target", func() error {
		res, err := c.CallResource(ctx, ds, "GET", "expvar-targets", nil)
		if err != nil {
			return err
		}
		var targets []struct{ Failures int }
		if err := json.Unmarshal(res.Body, &targets); err != nil {
			return err
		}
		if len(targets) != 1 || targets[0].Failures < 3 {
			return fmt.Errorf("targets %+v", targets)
		}
		return nil
	})

	health, err := c.CheckHealth(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	var details map[string]struct {
		Status, Message string
		Configured, Up  *int
	}
	if err := json.Unmarshal(health.JSONDetails, &details); err != nil {
		t.Fatalf("details %s: %v", health.JSONDetails, err)
	}
	if p := details["prometheus"]; p.Status != "ok" || !strings.Contains(p.Message, "Prometheus "+prom.Version(t)+" is working") {
		t.Errorf("prometheus details %+v", p)
	}
	if a := details["alertmanager"]; a.Status != "error" || !strings.Contains(a.Message, "connection refused by "+amAddr) {
		t.Errorf("alertmanager details %+v", a)
	}
	if e := details["expvar"]; e.Status != "error" || e.Configured == nil || *e.Configured != 1 || *e.Up != 0 {
		t.Errorf("expvar details %+v", e)
	}

	metrics, err := c.Diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: ds.PluginContext()})
	if err != nil {
		t.Fatal(err)
	}
	text := string(metrics.GetMetrics().GetPrometheus())
	for _, want := range []string{
		`gopulse_expvar_targets{datasource="` + ds.UID + `",state="down"} 1`,
		`gopulse_expvar_poll_duration_seconds_count{datasource="` + ds.UID + `"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	raw, err := os.ReadFile(c.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	count := func(parts ...string) int {
		n := 0
		for _, line := range strings.Split(log, "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				n++
			}
		}
		return n
	}
	for _, endpoint := range []string{"queryData", "checkHealth"} {
		if n := count("[WARN]", "upstream request failed", "service=Alertmanager", "host="+amAddr, "endpoint="+endpoint); n != 1 {
			t.Errorf("%s: %d warnings of the failed Alertmanager request, want 1", endpoint, n)
		}
	}
	if n := count("[WARN]", "Prometheus answer over a limit", "host="+prom.Addr, "1000 samples"); n != 1 {
		t.Errorf("%d warnings of the sample limit, want 1", n)
	}
	if n := count("expvar target down", "target=api", "host="+targetAddr); n != 1 {
		t.Errorf("%d 'expvar target down' lines over several polls, want 1", n)
	}
	// At the default level (info), the SDK's lines for every request are not written,
	// only those of the requests that failed.
	if n, failed := count("Plugin Request"), count("[ERROR]", "Plugin Request Completed"); n != failed {
		t.Errorf("%d per-request lines at the default log level, %d of them of failed requests; want only these", n, failed)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("alice:" + password))
	for _, secret := range []string{password, token, basic} {
		if strings.Contains(log, secret) {
			t.Errorf("the plugin log carries a secret (%d chars)", len(secret))
		}
	}
	if t.Failed() {
		t.Logf("plugin log:\n%s", log)
	}
}
