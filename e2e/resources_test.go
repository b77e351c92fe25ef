package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/e2e/harness"
)

// TestCallResourceLabelValues asks the label-values resource for the job label
// through the plugin protocol: a JSON array of strings that names the demo job. A label
// that is not a label name is refused, by the resource and the label_values variable.
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

			// A label name that would climb out of /api/v1/label/<name>/values is refused
			// before Prometheus sees it; a UTF-8 name reaches it escaped, as one name.
			const traversal = "../../../api/v1/status/config"
			rr, err = p.client.CallResource(ctx, ds, http.MethodGet, "label-values?label="+url.QueryEscape(traversal), nil)
			if err != nil {
				t.Fatalf("CallResource traversal: %v", err)
			}
			if rr.Status != http.StatusBadRequest || !strings.Contains(string(rr.Body), "is not a label name") {
				t.Errorf("label-values?label=%s: HTTP %d %s, want 400 saying it is not a label name", traversal, rr.Status, rr.Body)
			}
			rr, err = p.client.CallResource(ctx, ds, http.MethodGet, "label-values?label=http.method", nil)
			if err != nil {
				t.Fatalf("CallResource http.method: %v", err)
			}
			if rr.Status != http.StatusOK || strings.TrimSpace(string(rr.Body)) != "[]" {
				t.Errorf("label-values?label=http.method: HTTP %d %s, want 200 and no values (Prometheus 2 has no such label)", rr.Status, rr.Body)
			}
			variable := func(label string) harness.Query {
				return harness.Query{RefID: label, Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": label}}}
			}
			resp, err := p.client.QueryData(ctx, ds, variable("job"), variable(traversal))
			if err != nil {
				t.Fatalf("QueryData: %v", err)
			}
			if r := resp.Responses["job"]; r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() == 0 {
				t.Errorf("label_values job: %v %v, want the job names", r.Error, r.Frames)
			}
			if r := resp.Responses[traversal]; r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), "is not a label name") {
				t.Errorf("label_values %s: %d %v, want 400 saying it is not a label name", traversal, r.Status, r.Error)
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
