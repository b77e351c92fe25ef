package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/e2e/harness"
)

// TestAlertsTable: Prometheus evaluates real rules (two firing at once, one pending for
// an hour); an alerts query through the plugin's gRPC protocol lists them most urgent
// first, filtered by state, matchers and severity, and bad filters fail alone.
func TestAlertsTable(t *testing.T) {
	t.Parallel()
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{
		NoProvisionedRules: true,
		ExtraRuleFiles:     []string{harness.RepoPath(t, "e2e", "testdata", "e2e-alerts.yml")},
	})
	harness.WaitForQuery(t, prom.URL, `count(ALERTS{alertstate="firing"}) == 2 and on() count(ALERTS{alertstate="pending"}) == 1`, 30*time.Second)
	now := time.Now()
	alertsQuery := func(refID string, model map[string]any) harness.Query {
		model["queryType"] = "alerts"
		return lastMinutes(harness.Query{RefID: refID, Model: model}, now)
	}
	queries := []harness.Query{
		alertsQuery("all", map[string]any{"format": "table"}),
		alertsQuery("firing-p0", map[string]any{"states": []string{"firing"}, "severities": []string{"P0"}}),
		alertsQuery("matchers", map[string]any{"matchers": `instance="e2e-a:8080"`}),
		alertsQuery("bad-matchers", map[string]any{"matchers": `instance="e2e`}),
		alertsQuery("bad-state", map[string]any{"states": []string{"resolved"}}),
		alertsQuery("am-source", map[string]any{"source": "alertmanager"}),
	}
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := p.client.QueryData(ctx, &harness.Settings{URL: prom.URL}, queries...)
			if err != nil {
				t.Fatal(err)
			}
			r := resp.Responses
			rows := func(refID string) []string {
				requireNoError(t, r[refID])
				f := r[refID].Frames[0]
				var out []string
				for i := range f.Rows() {
					out = append(out, f.Fields[3].At(i).(string)+" "+f.Fields[1].At(i).(string)+" "+f.Fields[0].At(i).(string)+" "+f.Fields[4].At(i).(string))
				}
				return out
			}
			for refID, want := range map[string]string{
				"all":       "P0 firing E2EServiceDown e2e-a:8080|P1 firing E2EHighLatency e2e-b:8080|P2 pending E2ESlowBurn e2e-a:8080",
				"firing-p0": "P0 firing E2EServiceDown e2e-a:8080",
				"matchers":  "P0 firing E2EServiceDown e2e-a:8080|P2 pending E2ESlowBurn e2e-a:8080",
			} {
				if got := strings.Join(rows(refID), "|"); got != want {
					t.Errorf("%s:\n got %s\nwant %s", refID, got, want)
				}
			}
			f := r["all"].Frames[0]
			if v, _ := f.Fields[7].FloatAt(1); v != 0.7 {
				t.Errorf("value of E2EHighLatency %v, want 0.7", v)
			}
			if s := f.Fields[8].At(0).(string); s != "e2e-a is down" {
				t.Errorf("summary %q", s)
			}
			for refID, want := range map[string]string{
				"bad-matchers": "not a label-matcher list",
				"bad-state":    `state "resolved" is unknown`,
				"am-source":    "not available yet",
			} {
				res := r[refID]
				if res.Error == nil || !strings.Contains(res.Error.Error(), want) || res.Status != backend.StatusBadRequest {
					t.Errorf("%s: got %d %v, want 400 with %q", refID, res.Status, res.Error, want)
				}
			}
		})
	}
}
