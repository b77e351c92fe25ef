// Package provisioning holds the demo stack's configuration; its tests check it with the
// servers' own tools (promtool, amtool) and check the conventions the dashboards and the
// plugin rely on.
package provisioning

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// tool finds a command-line tool; missing, it skips the test, except in CI where the
// Debian package must have been installed.
func tool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH: CI must install the Debian package %s", name, debianPackage)
		}
		t.Skipf("%s is not on PATH (Debian package %s)", name, debianPackage)
	}
	return path
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPrometheusConfig(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	runTool(t, promtool, "check", "config", "prometheus/prometheus.yml")
}

func TestAlertRules(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	rules, _ := filepath.Glob("prometheus/rules/*.yml")
	if len(rules) == 0 {
		t.Fatal("no rule files")
	}
	runTool(t, promtool, append([]string{"check", "rules"}, rules...)...)
	tests, _ := filepath.Glob("prometheus/tests/*.yml")
	runTool(t, promtool, append([]string{"test", "rules"}, tests...)...)
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	const config = "--config.file=alertmanager/alertmanager.yml"
	runTool(t, amtool, "check-config", "alertmanager/alertmanager.yml")
	for severity, receiver := range map[string]string{"P0": "pager", "P1": "oncall", "P2": "ticket", "": "ticket"} {
		runTool(t, amtool, "config", "routes", "test", config, "--verify.receivers="+receiver,
			"alertname=GoServiceDown", "job=demo", "instance=demo:8080", "severity="+severity)
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// The rules carry what the alerts query type, the health join and Alertmanager's routes
// read: a severity P0, P1 or P2, a summary and a description; each has a unit test; the
// design's set is there.
func TestRuleConventions(t *testing.T) {
	var rf ruleFile
	readYAML(t, "prometheus/rules/gopulse-demo.yml", &rf)
	tests, err := os.ReadFile("prometheus/tests/gopulse-demo.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	bySeverity := map[string][]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			sev := r.Labels["severity"]
			if !slices.Contains([]string{"P0", "P1", "P2"}, sev) {
				t.Errorf("%s: severity %q, want P0, P1 or P2", r.Alert, sev)
			}
			bySeverity[sev] = append(bySeverity[sev], r.Alert)
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: want both summary and description annotations", r.Alert)
			}
			if d, err := time.ParseDuration(r.For); err != nil || d < 30*time.Second || d > time.Minute {
				t.Errorf("%s: for %q, want 30s to 1m for a demo", r.Alert, r.For)
			}
			if !strings.Contains(string(tests), "alertname: "+r.Alert+"\n") {
				t.Errorf("%s has no promtool unit test", r.Alert)
			}
		}
	}
	if len(bySeverity["P0"]) != 1 || len(bySeverity["P1"]) != 2 || len(bySeverity["P2"]) != 2 {
		t.Errorf("alerts by severity %v, want 1 P0 (down), 2 P1 (latency, errors), 2 P2 (goroutines, memory)", bySeverity)
	}
}

func TestGrafanaDataSource(t *testing.T) {
	var f struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, UID, URL, Access string
			JSONData                     map[string]any `yaml:"jsonData"`
			SecureJSONData               map[string]any `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, "datasources/gopulse.yml", &f)
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("want apiVersion 1 and one data source: %+v", f)
	}
	ds := f.Datasources[0]
	if ds.Type != "gopulse-health-datasource" || ds.UID != "gopulse" || ds.Access != "proxy" || ds.URL != "http://prometheus:9090" {
		t.Errorf("data source %+v", ds)
	}
	for k, want := range map[string]any{"alertmanagerUrl": "http://alertmanager:9093", "timeout": 30, "queryTimeout": "30s"} {
		if got := ds.JSONData[k]; got != want {
			t.Errorf("jsonData.%s = %#v, want %#v", k, got, want)
		}
	}
	if len(ds.SecureJSONData) != 0 {
		t.Errorf("the demo needs no secrets: %v", ds.SecureJSONData)
	}
	entries, _ := os.ReadDir("datasources")
	if len(entries) != 1 {
		t.Errorf("datasources/ holds %d files, want only gopulse.yml", len(entries))
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
