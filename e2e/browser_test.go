package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/e2e/host"
)

// chromiumBinary is the browser the tests drive: $GOPULSE_CHROMIUM_BIN, else Debian's
// chromium. A missing browser fails the test (Playwright downloads none).
func chromiumBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("GOPULSE_CHROMIUM_BIN")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("chromium is missing (apt-get install chromium, or set GOPULSE_CHROMIUM_BIN): %v", err)
	}
	return bin
}

// browserCheck is one check of e2e/host/browser.mjs: its name ("promql/renders",
// "dashboard/health-overview.json"), whether it held, and what it saw.
type browserCheck struct {
	Name   string          `json:"name"`
	OK     bool            `json:"ok"`
	Detail string          `json:"detail"`
	Report json.RawMessage `json:"report,omitempty"`
}

// TestBrowser runs GoPulse's built frontend (dist/) in Debian's Chromium, driven by
// Playwright, against the built plugin binary over gRPC and the demo stack under load
// with an alert firing: the host (e2e/host) serves the frontend and forwards its API
// calls to the plugin. It checks every editor (renders, its pickers list the demo's
// values, the query answers with data, a bad input shows its message), the ConfigEditor's
// Save & test, and every bundled dashboard through the frontend's own code. Screenshots
// of the editors are written to the test's artifact directory (go test -artifacts).
func TestBrowser(t *testing.T) {
	chromium := chromiumBinary(t)
	node := host.Node(t)
	root := harness.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("node_modules has no playwright-core (run `npm ci`): %v", err)
	}
	dist := host.Dist(t)
	page := host.BuildPage(t)

	st := startVerdictStack(t)
	s := st.Stack

	ds := provisionedDatasource(t, s)
	ds.Name = "GoPulse"
	// The verdicts come from the alerts and the down target alone: latency, GC pauses and
	// errors of the demos on a busy machine must not turn the ok instance into a warning.
	ds.JSONData["healthThresholds"] = map[string]any{
		"latency_p99":  map[string]float64{"warning": 5, "critical": 10},
		"gc_pause_p99": map[string]float64{"warning": 1, "critical": 2},
		"error_ratio":  map[string]float64{"warning": 0.5, "critical": 0.9},
	}
	client := harness.StartPlugin(t)
	h := host.Start(t, host.Options{Dist: dist, Page: page, Client: client, Settings: ds})
	// The demo state: the expvar poller has polled the demo often enough for a rate.
	harness.Eventually(t, 30*time.Second, 500*time.Millisecond, "an expvar rate of the demo", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := client.QueryData(ctx, ds, harness.Query{Model: map[string]any{"queryType": "expvar", "mode": "rate", "paths": []string{"memstats.NumGC"}}})
		if err != nil {
			return err
		}
		r := resp.Responses["A"]
		if r.Error != nil {
			return r.Error
		}
		for _, f := range r.Frames {
			if n, _ := f.RowLen(); n > 0 {
				return nil
			}
		}
		return fmt.Errorf("no rows yet")
	})

	dashboards := map[string]json.RawMessage{}
	files, err := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dashboards[filepath.Base(f)] = b
	}

	if hold := os.Getenv("GOPULSE_BROWSER_HOLD"); hold != "" {
		// For working on the checks: the host stays up this long (a Go duration).
		d, err := time.ParseDuration(hold)
		if err != nil {
			t.Fatalf("GOPULSE_BROWSER_HOLD: %v", err)
		}
		t.Logf("host at %s/?uid=%s for %v", h.URL, h.UID, d)
		time.Sleep(d)
	}
	artifacts := t.ArtifactDir()
	cfg := map[string]any{
		"url":        h.URL,
		"uid":        h.UID,
		"chromium":   chromium,
		"artifacts":  artifacts,
		"dashboards": dashboards,
		"demo": map[string]any{
			"job":          "demo",
			"instance":     s.Demo.Addr,
			"firingAlert":  "BrowserCritical",
			"prometheus":   s.Prometheus.URL,
			"alertmanager": s.Alertmanager.URL,
		},
	}
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	reportFile := filepath.Join(t.TempDir(), "report.json")
	cfg["report"] = reportFile
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "host", "browser.mjs"), cfgFile)
	cmd.Dir = root
	out, runErr := cmd.CombinedOutput()
	t.Logf("browser run: %v, artifacts in %s", time.Since(start).Round(time.Millisecond), artifacts)
	var checks []browserCheck
	rb, err := os.ReadFile(reportFile)
	if err == nil {
		err = json.Unmarshal(rb, &checks)
	}
	if err != nil || len(checks) == 0 {
		t.Fatalf("the browser run wrote no report (%v; node: %v):\n%s", err, runErr, tail(string(out), 60))
	}
	if runErr != nil {
		t.Errorf("node: %v\n%s", runErr, tail(string(out), 60))
	}
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) {
			if !c.OK {
				if len(c.Report) > 0 {
					t.Logf("report: %s", c.Report)
				}
				t.Error(c.Detail)
				return
			}
			t.Log(c.Detail)
		})
	}
}

// browserRules make one verdict per demo instance: BrowserCritical fires (P1: critical) on
// the first, BrowserWarning (P3: a warning) on the second; BrowserPending stays pending.
const browserRules = `groups:
  - name: gopulse-browser-e2e
    rules:
      - alert: BrowserCritical
        expr: up{job="demo", instance="{{critical}}"} == 1
        labels: {severity: P1}
        annotations: {summary: 'critical on purpose for the browser test'}
      - alert: BrowserWarning
        expr: up{job="demo", instance="{{warning}}"} == 1
        labels: {severity: P3}
        annotations: {summary: 'a warning on purpose for the browser test'}
      - alert: BrowserPending
        expr: up{job="demo"} == 1
        for: 1h
        labels: {severity: P2}
        annotations: {summary: 'pending on purpose for the browser test'}
`

// verdictStack is the demo state of the browser test: four instances of job demo, one per
// health verdict — critical (an alert at P1), warning (an alert at P3), ok, and down (a
// scrape target where nothing listens) —, the three live ones under load, Alertmanager,
// and Prometheus scraping them all.
type verdictStack struct {
	*harness.Stack
	OK, Warning, Down string // instance addresses; Stack.Demo is the critical one
}

func startVerdictStack(t *testing.T) *verdictStack {
	t.Helper()
	critical, warning, ok := harness.StartDemo(t), harness.StartDemo(t), harness.StartDemo(t)
	down := harness.FreeAddr(t)
	var loadgen *harness.Loadgen
	for _, d := range []*harness.Demo{critical, warning, ok} {
		l := harness.StartLoadgen(t, d.URL, 10)
		if d == critical {
			loadgen = l
		}
	}
	rules := filepath.Join(t.TempDir(), "browser-e2e.yml")
	text := strings.NewReplacer("{{critical}}", critical.Addr, "{{warning}}", warning.Addr).Replace(browserRules)
	if err := os.WriteFile(rules, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	am := harness.StartAlertmanager(t)
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{
		DemoTargets:      []string{critical.Addr, warning.Addr, ok.Addr, down},
		AlertmanagerAddr: am.Addr,
		ExtraRuleFiles:   []string{rules},
	})
	harness.WaitForQuery(t, prom.URL, `count(up{job="demo"} == 1) == 3 and on() count(up{job="demo"} == 0) == 1`, 45*time.Second)
	harness.WaitForQuery(t, prom.URL, `count(ALERTS{alertname=~"BrowserCritical|BrowserWarning", alertstate="firing"}) == 2 and on() count(rate(http_requests_total{job="demo"}[1m]) > 0) > 0`, 45*time.Second)
	return &verdictStack{
		Stack:   &harness.Stack{Demo: critical, Loadgen: loadgen, Alertmanager: am, Prometheus: prom},
		OK:      ok.Addr,
		Warning: warning.Addr,
		Down:    down,
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
