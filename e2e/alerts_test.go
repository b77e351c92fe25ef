package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/e2e/harness"
)

// startAlerting starts an Alertmanager and a Prometheus that sends it the alerts of
// e2e/testdata/e2e-alerts.yml (two firing, one pending).
func startAlerting(t *testing.T) (*harness.Alertmanager, *harness.Prometheus) {
	t.Helper()
	am := harness.StartAlertmanager(t)
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{
		NoProvisionedRules: true,
		AlertmanagerAddr:   am.Addr,
		ExtraRuleFiles:     []string{harness.RepoPath(t, "e2e", "testdata", "e2e-alerts.yml")},
	})
	return am, prom
}

// TestAlertsTable: Prometheus evaluates real rules (two firing at once, one pending for
// an hour); an alerts query through the plugin's gRPC protocol lists them most urgent
// first, filtered by state, matchers and severity, and bad filters fail alone.
func TestAlertsTable(t *testing.T) {
	t.Parallel()
	am, prom := startAlerting(t)
	// The timeline steps are whole seconds up to now: wait until the ALERTS samples are a
	// step old (Prometheus 3 hands alerts on within milliseconds of the first evaluation).
	harness.WaitForQuery(t, prom.URL, `count(ALERTS{alertstate="firing"} offset 2s) == 2 and on() count(ALERTS{alertstate="pending"} offset 2s) == 1`, 30*time.Second)
	// A silence created through Alertmanager's own API, once it holds both firing alerts.
	harness.Eventually(t, 30*time.Second, 250*time.Millisecond, "Alertmanager holds the two firing alerts", func() error {
		_, body, err := harness.HTTPGet(context.Background(), am.URL+"/api/v2/alerts")
		if err != nil || strings.Count(string(body), `"alertname":"E2E`) != 2 {
			return fmt.Errorf("alerts %s, %v", body, err)
		}
		return nil
	})
	silence(t, am.URL, "E2EHighLatency")
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
		alertsQuery("both", map[string]any{"source": "both"}),
		alertsQuery("counts", map[string]any{"source": "both", "format": "counts"}),
		alertsQuery("timeline", map[string]any{"format": "timeline", "matchers": `job="e2e"`}),
		alertsQuery("rules", map[string]any{"format": "rules"}),
		lastMinutes(harness.Query{RefID: "var-alertnames", Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "alert_names"}}}, now),
		lastMinutes(harness.Query{RefID: "var-severities", Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "severities"}}}, now),
		lastMinutes(harness.Query{RefID: "var-groups", Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "rule_groups"}}}, now),
		alertsQuery("am-only", map[string]any{"source": "alertmanager", "severities": []string{"P1"}}),
	}
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := p.client.QueryData(ctx, &harness.Settings{URL: prom.URL, JSONData: map[string]any{"alertmanagerUrl": am.URL}}, queries...)
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
			t.Run("merged with Alertmanager", func(t *testing.T) {
				f := r["both"].Frames[0]
				got := map[string]string{}
				for i := range f.Rows() {
					got[f.Fields[0].At(i).(string)] = fmt.Sprintf("silenced=%v receivers=%s source=%s", f.Fields[10].At(i), f.Fields[12].At(i), f.Fields[14].At(i))
				}
				want := map[string]string{
					"E2EServiceDown": "silenced=false receivers=pager source=both",
					"E2EHighLatency": "silenced=true receivers=oncall source=both",
					"E2ESlowBurn":    "silenced=false receivers= source=prometheus",
				}
				for name, w := range want {
					if got[name] != w {
						t.Errorf("%s: %s, want %s", name, got[name], w)
					}
				}
				if rows := rows("am-only"); strings.Join(rows, "|") != "P1 firing E2EHighLatency e2e-b:8080" {
					t.Errorf("alertmanager only: %v", rows)
				}
			})
			t.Run("timeline", func(t *testing.T) {
				requireNoError(t, r["timeline"])
				got := map[string]string{}
				for _, f := range r["timeline"].Frames {
					if len(f.Fields) < 2 || f.Fields[1].Len() == 0 {
						t.Errorf("timeline frame %q has no states: %d fields, %d rows", f.Name, len(f.Fields), f.Rows())
						continue
					}
					states := f.Fields[1]
					// Before Prometheus started: no data (not ok: nothing was evaluated);
					// at the end: the alert's state now.
					got[f.Name] = states.At(0).(string) + "→" + states.At(states.Len()-1).(string)
				}
				want := map[string]string{"E2EServiceDown e2e-a:8080": "no data→firing", "E2EHighLatency e2e-b:8080": "no data→firing", "E2ESlowBurn e2e-a:8080": "no data→pending"}
				for name, w := range want {
					if got[name] != w {
						t.Errorf("%s: %s, want %s (all: %v)", name, got[name], w, got)
					}
				}
			})
			t.Run("rules", func(t *testing.T) {
				requireNoError(t, r["rules"])
				f := r["rules"].Frames[0]
				var got []string
				for i := range f.Rows() {
					got = append(got, fmt.Sprintf("%s/%s %s %s %s %s", f.Fields[0].At(i), f.Fields[2].At(i), f.Fields[4].At(i), f.Fields[6].At(i), f.Fields[7].At(i), f.Fields[8].At(i)))
				}
				// By name within the group, not in file order: the same through Thanos.
				want := "gopulse-e2e/E2EHighLatency firing P1 ok |gopulse-e2e/E2EServiceDown firing P0 ok |gopulse-e2e/E2ESlowBurn pending P2 ok "
				if strings.Join(got, "|") != want {
					t.Errorf("rules\n got %s\nwant %s", strings.Join(got, "|"), want)
				}
			})
			t.Run("variables", func(t *testing.T) {
				for refID, want := range map[string]string{
					"var-alertnames": "E2EHighLatency,E2EServiceDown,E2ESlowBurn",
					"var-severities": "P0,P1,warning",
					"var-groups":     "gopulse-e2e",
				} {
					requireNoError(t, r[refID])
					if got := strings.Join(column(r[refID].Frames[0], "text"), ","); got != want {
						t.Errorf("%s: %s, want %s", refID, got, want)
					}
				}
			})
			t.Run("counts per P-level", func(t *testing.T) {
				requireNoError(t, r["counts"])
				var got []string
				for _, f := range r["counts"].Frames {
					v, _ := f.Fields[0].FloatAt(0)
					got = append(got, fmt.Sprintf("%s=%v", f.Fields[0].Labels["priority"], v))
				}
				if strings.Join(got, " ") != "P0=1 P1=1 P2=0" {
					t.Errorf("counts %v, want P0=1 P1=1 P2=0 (the P2 alert is pending)", got)
				}
			})
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
			} {
				res := r[refID]
				if res.Error == nil || !strings.Contains(res.Error.Error(), want) || res.Status != backend.StatusBadRequest {
					t.Errorf("%s: got %d %v, want 400 with %q", refID, res.Status, res.Error, want)
				}
			}
		})
	}
}

// silence silences an alert by name through Alertmanager's v2 API, for ten minutes.
func silence(t *testing.T, amURL, alertname string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"matchers":  []map[string]any{{"name": "alertname", "value": alertname, "isRegex": false, "isEqual": true}},
		"startsAt":  time.Now().UTC().Format(time.RFC3339),
		"endsAt":    time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339),
		"createdBy": "gopulse e2e",
		"comment":   "silenced by the alerts test",
	})
	resp, err := http.Post(amURL+"/api/v2/silences", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create silence: %d %s", resp.StatusCode, b)
	}
}

// TestAlertsAlertmanagerDown: with source both and Alertmanager down, the Prometheus part
// still answers, with a notice and a downstream error; source alertmanager without an
// Alertmanager URL is a clear error.
func TestAlertsAlertmanagerDown(t *testing.T) {
	t.Parallel()
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{
		NoProvisionedRules: true,
		ExtraRuleFiles:     []string{harness.RepoPath(t, "e2e", "testdata", "e2e-alerts.yml")},
	})
	harness.WaitForQuery(t, prom.URL, `count(ALERTS{alertstate="firing"}) == 2`, 30*time.Second)
	now := time.Now()
	both := lastMinutes(harness.Query{RefID: "both", Model: map[string]any{"queryType": "alerts", "source": "both"}}, now)
	am := lastMinutes(harness.Query{RefID: "am", Model: map[string]any{"queryType": "alerts", "source": "alertmanager"}}, now)
	p := harness.StartPlugin(t)
	resp, err := p.QueryData(context.Background(), &harness.Settings{URL: prom.URL, JSONData: map[string]any{"alertmanagerUrl": closedURL(t)}}, both)
	if err != nil {
		t.Fatal(err)
	}
	res := resp.Responses["both"]
	if res.Error == nil || res.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(res.Error.Error(), "connection refused") {
		t.Errorf("error %v (%s), want a downstream connection refused", res.Error, res.ErrorSource)
	}
	if len(res.Frames) != 1 || res.Frames[0].Rows() != 3 || len(res.Frames[0].Meta.Notices) != 1 || !strings.Contains(res.Frames[0].Meta.Notices[0].Text, "Alertmanager did not answer") {
		t.Errorf("frames %v", res.Frames)
	}
	resp, err = p.QueryData(context.Background(), &harness.Settings{URL: prom.URL}, am)
	if err != nil {
		t.Fatal(err)
	}
	if res := resp.Responses["am"]; res.Error == nil || !strings.Contains(res.Error.Error(), "no Alertmanager URL is configured") || res.Status != backend.StatusBadRequest {
		t.Errorf("alertmanager without URL: %d %v", res.Status, res.Error)
	}
}

// TestAlertsTimelineFollowsTheDemo: the demo is switched to failing and back; the
// timeline of its error alert shows ok → pending → firing → ok, and Alertmanager gets the
// alert while it fires.
func TestAlertsTimelineFollowsTheDemo(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 20, Prometheus: harness.PrometheusOptions{
		NoProvisionedRules: true,
		ExtraRuleFiles:     []string{harness.RepoPath(t, "e2e", "testdata", "e2e-demo-alerts.yml")},
	}})
	start := time.Now()
	harness.WaitForQuery(t, s.Prometheus.URL, `count_over_time(up{job="demo"}[1m]) >= 3`, 30*time.Second)
	s.Loadgen.SetMode(t, harness.ModeFailing)
	harness.WaitForQuery(t, s.Prometheus.URL, `ALERTS{alertname="E2EDemoErrors",alertstate="firing"}`, 45*time.Second)
	harness.Eventually(t, 30*time.Second, 250*time.Millisecond, "Alertmanager holds the firing alert", func() error {
		_, body, err := harness.HTTPGet(context.Background(), s.Alertmanager.URL+"/api/v2/alerts")
		if err != nil || !strings.Contains(string(body), `"alertname":"E2EDemoErrors"`) {
			return fmt.Errorf("alerts %s, %v", body, err)
		}
		return nil
	})
	s.Loadgen.SetMode(t, "normal")
	harness.Eventually(t, 45*time.Second, 250*time.Millisecond, "the alert resolves", func() error {
		samples, err := harness.PromQuery(context.Background(), s.Prometheus.URL, `ALERTS{alertname="E2EDemoErrors"}`)
		if err != nil || len(samples) > 0 {
			return fmt.Errorf("still active: %v %v", samples, err)
		}
		return nil
	})
	time.Sleep(1100 * time.Millisecond) // one more evaluation at which the alert is inactive
	end := time.Now()

	q := harness.Query{RefID: "timeline", From: start, To: end, Interval: time.Second, MaxDataPoints: 1000,
		Model: map[string]any{"queryType": "alerts", "format": "timeline", "matchers": `alertname="E2EDemoErrors"`}}
	resp, err := harness.StartPlugin(t).QueryData(context.Background(), &harness.Settings{URL: s.Prometheus.URL}, q)
	if err != nil {
		t.Fatal(err)
	}
	requireNoError(t, resp.Responses["timeline"])
	fr := resp.Responses["timeline"].Frames
	if len(fr) != 1 {
		t.Fatalf("%d frames, want one for the demo instance", len(fr))
	}
	states := column(fr[0], "state")
	var changes []string
	for i, st := range states {
		if i == 0 || st != states[i-1] {
			changes = append(changes, st)
		}
	}
	// The range starts when the stack is ready, which can precede Prometheus's first
	// scrape of the demo: those steps say "no data", never "ok".
	if len(changes) > 0 && changes[0] == "no data" {
		changes = changes[1:]
	}
	if got := strings.Join(changes, " → "); got != "ok → pending → firing → ok" {
		t.Errorf("timeline %s, want [no data →] ok → pending → firing → ok", got)
	}
}
