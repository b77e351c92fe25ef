package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// TestHarnessStackScrapesDemo proves the harness: the demo, Alertmanager and
// Prometheus start on loopback ports, Prometheus scrapes all three jobs and knows
// the Alertmanager.
func TestHarnessStackScrapesDemo(t *testing.T) {
	t.Parallel()
	s := harness.StartStack(t)

	for _, job := range []string{"demo", "prometheus", "alertmanager"} {
		harness.WaitForTargetUp(t, s.Prometheus.URL, job, harness.ScrapeTimeout)
	}
	samples := harness.WaitForQuery(t, s.Prometheus.URL, `up{job="demo"}`, 10*time.Second)
	if got := samples[0].Metric["instance"]; got != s.Demo.Addr {
		t.Errorf(`up{job="demo"} instance = %q, want %q`, got, s.Demo.Addr)
	}
	if v := s.Prometheus.Version(t); !strings.HasPrefix(v, "2.") && !strings.HasPrefix(v, "3.") {
		t.Errorf("prometheus version = %q", v)
	}
	if v := s.Alertmanager.Version(t); v == "" {
		t.Error("alertmanager version is empty")
	}
	harness.Eventually(t, 20*time.Second, 250*time.Millisecond, "prometheus discovers the alertmanager", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		code, body, err := harness.HTTPGet(ctx, s.Prometheus.URL+"/api/v1/alertmanagers")
		if err != nil {
			return err
		}
		if code != http.StatusOK || !strings.Contains(string(body), s.Alertmanager.Addr) {
			return &unexpected{code: code, body: string(body)}
		}
		return nil
	})
}

// TestHarnessVictoriaMetricsScrapesDemo proves StartVictoriaMetrics: it serves the
// Prometheus query API with the demo's samples.
func TestHarnessVictoriaMetricsScrapesDemo(t *testing.T) {
	t.Parallel()
	demo := harness.StartDemo(t)
	vm := harness.StartVictoriaMetrics(t, map[string][]string{"demo": {demo.Addr}})
	harness.WaitForTargetUp(t, vm.URL, "demo", harness.ScrapeTimeout)
}

// TestHarnessPluginAnswersOverGRPC launches the plugin binary through go-plugin
// and checks that every service answers a well-formed gRPC reply.
func TestHarnessPluginAnswersOverGRPC(t *testing.T) {
	t.Parallel()
	c := harness.StartPlugin(t)
	if c.PID == 0 {
		t.Error("plugin PID is 0")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ds := &harness.Settings{URL: "http://" + harness.FreeAddr(t)}

	health, err := c.CheckHealth(ctx, ds)
	if err != nil {
		t.Fatalf("CheckHealth over gRPC: %v", err)
	}
	if health.Message == "" {
		t.Errorf("CheckHealth against a closed port: empty message (status %v)", health.Status)
	}

	metrics, err := c.Diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: ds.PluginContext()})
	if err != nil {
		t.Fatalf("CollectMetrics over gRPC: %v", err)
	}
	if metrics.Metrics == nil || len(metrics.Metrics.Prometheus) == 0 {
		t.Error("CollectMetrics returned no Prometheus text")
	}

	resp, err := c.QueryData(ctx, ds, harness.Query{RefID: "A", Model: map[string]any{"queryType": "no-such-type"}})
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	if _, ok := resp.Responses["A"]; !ok {
		t.Errorf("QueryData: no response for refId A: %+v", resp.Responses)
	}

	rr, err := c.CallResource(ctx, ds, http.MethodGet, "no-such-resource", nil)
	if err != nil {
		t.Fatalf("CallResource over gRPC: %v", err)
	}
	if rr.Status < 400 {
		t.Errorf("CallResource of an unknown path: HTTP %d, want an error status", rr.Status)
	}
}

type unexpected struct {
	code int
	body string
}

func (u *unexpected) Error() string {
	if len(u.body) > 300 {
		u.body = u.body[:300]
	}
	return "HTTP " + http.StatusText(u.code) + ": " + u.body
}
