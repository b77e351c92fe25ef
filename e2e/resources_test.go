package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// TestCallResourceLabelValues asks the label-values resource for the job label
// through the plugin protocol: a JSON array of strings that names the demo job.
func TestCallResourceLabelValues(t *testing.T) {
	t.Parallel()
	demo := harness.StartDemo(t)
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{DemoTargets: []string{demo.Addr}})
	harness.WaitForTargetUp(t, prom.URL, "demo", harness.ScrapeTimeout)
	harness.WaitForTargetUp(t, prom.URL, "prometheus", harness.ScrapeTimeout)
	ds := &harness.Settings{URL: prom.URL}

	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			rr, err := p.client.CallResource(ctx, ds, http.MethodGet, "label-values?label=job", nil)
			if err != nil {
				t.Fatalf("CallResource: %v", err)
			}
			if rr.Status != http.StatusOK {
				t.Fatalf("label-values?label=job: HTTP %d: %s", rr.Status, rr.Body)
			}
			var jobs []string
			if err := rr.JSON(&jobs); err != nil {
				t.Fatal(err)
			}
			if !contains(jobs, "demo") || !contains(jobs, "prometheus") {
				t.Errorf("label-values?label=job = %q, want demo and prometheus among them", jobs)
			}
			if ct := rr.Headers.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}

			rr, err = p.client.CallResource(ctx, ds, http.MethodGet, "label-values", nil)
			if err != nil {
				t.Fatalf("CallResource without label: %v", err)
			}
			if rr.Status != http.StatusBadRequest {
				t.Errorf("label-values without label: HTTP %d, want 400: %s", rr.Status, rr.Body)
			}
			if missing := containsFold(string(rr.Body), "label"); len(missing) > 0 {
				t.Errorf("label-values without label: body %s does not say the label is missing", rr.Body)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
