package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { RemoveBuilds() }))
}

func TestFreeAddrIsLoopback(t *testing.T) {
	a, b := FreeAddr(t), FreeAddr(t)
	if !strings.HasPrefix(a, "127.0.0.1:") || !strings.HasPrefix(b, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q, %q, want 127.0.0.1:port", a, b)
	}
}

func TestProcessStopEscalatesToSIGKILL(t *testing.T) {
	// A process that ignores SIGTERM (the ignored disposition survives exec, so
	// the PID we signal is the sleep itself: nothing is orphaned).
	p := StartProcess(t, ProcessOpts{Name: "stubborn", Binary: "/bin/sh", Args: []string{"-c", `trap "" TERM; echo started; exec sleep 60`}, Grace: 300 * time.Millisecond})
	Eventually(t, 10*time.Second, 20*time.Millisecond, "the process logs", func() error {
		if !strings.Contains(p.Logs(), "started") {
			return os.ErrNotExist
		}
		return nil
	})
	start := time.Now()
	err := p.Stop()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop of a process ignoring SIGTERM = %v, want a 'killed' error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Stop took %v with a 300ms grace", took)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("process still running after Stop")
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestProcessStopGraceful(t *testing.T) {
	p := StartProcess(t, ProcessOpts{Name: "sleeper", Binary: "/bin/sleep", Args: []string{"60"}})
	if err := p.Stop(); err != nil {
		t.Errorf("Stop = %v, want nil for a process that exits on SIGTERM", err)
	}
}

func TestProcessAllowExit(t *testing.T) {
	p := StartProcess(t, ProcessOpts{Name: "crasher", Binary: "/bin/sh", Args: []string{"-c", "exit 3"}})
	if err := p.Wait(10 * time.Second); err == nil {
		t.Fatal("Wait = nil, want exit status 3")
	}
	p.AllowExit()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after an allowed exit = %v", err)
	}
}

func TestStartProcessMissingBinary(t *testing.T) {
	_, err := startProcess(t, ProcessOpts{Name: "nothing", Binary: filepath.Join(t.TempDir(), "no-such-binary")})
	if err == nil || !strings.Contains(err.Error(), "no-such-binary") {
		t.Fatalf("startProcess of a missing binary = %v, want an error naming it", err)
	}
}

func TestTailLines(t *testing.T) {
	if got := tailLines("a\nb\nc\nd\n", 2); got != "c\nd" {
		t.Errorf("tailLines = %q", got)
	}
}

const provisionedPrometheus = `
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels: {env: demo}
rule_files: ["rules/*.yml", "/abs/extra.yml"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["alertmanager:9093"]
remote_write:
  - url: http://example.invalid/write
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
  - job_name: demo
    scrape_interval: 5s
    scrape_timeout: 4s
    static_configs:
      - targets: ["demo:8080"]
        labels: {team: shop}
  - job_name: alertmanager
    static_configs:
      - targets: ["alertmanager:9093"]
  - job_name: loadgen
    dns_sd_configs:
      - names: ["loadgen"]
`

type promCfg struct {
	Global struct {
		ScrapeInterval     string            `yaml:"scrape_interval"`
		ScrapeTimeout      string            `yaml:"scrape_timeout"`
		EvaluationInterval string            `yaml:"evaluation_interval"`
		ExternalLabels     map[string]string `yaml:"external_labels"`
	} `yaml:"global"`
	RuleFiles []string `yaml:"rule_files"`
	Alerting  *struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
		AlertRelabelConfigs []struct {
			Action string `yaml:"action"`
			Regex  string `yaml:"regex"`
		} `yaml:"alert_relabel_configs"`
	} `yaml:"alerting"`
	RemoteWrite   []any `yaml:"remote_write"`
	ScrapeConfigs []struct {
		JobName        string `yaml:"job_name"`
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
		StaticConfigs  []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
		DNSSD []any `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

func TestPrometheusConfigRewritesToLoopback(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(src, []byte(provisionedPrometheus), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := PrometheusConfig(t, "127.0.0.1:1000", PrometheusOptions{
		ConfigPath:       src,
		DemoTargets:      []string{"127.0.0.1:2000"},
		AlertmanagerAddr: "127.0.0.1:3000",
		ExtraRuleFiles:   []string{"/tmp/more.yml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var c promCfg
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if c.Global.ScrapeInterval != "1s" || c.Global.ScrapeTimeout != "1s" || c.Global.EvaluationInterval != "1s" {
		t.Errorf("global intervals = %+v, want 1s", c.Global)
	}
	if c.Global.ExternalLabels["env"] != "demo" {
		t.Errorf("external labels lost: %+v", c.Global.ExternalLabels)
	}
	wantRules := []string{filepath.Join(dir, "rules/*.yml"), "/abs/extra.yml", "/tmp/more.yml"}
	if strings.Join(c.RuleFiles, ",") != strings.Join(wantRules, ",") {
		t.Errorf("rule_files = %q, want %q", c.RuleFiles, wantRules)
	}
	if c.Alerting == nil || len(c.Alerting.Alertmanagers) != 1 || c.Alerting.Alertmanagers[0].StaticConfigs[0].Targets[0] != "127.0.0.1:3000" {
		t.Errorf("alerting = %+v, want the loopback alertmanager", c.Alerting)
	}
	if len(c.RemoteWrite) != 0 {
		t.Errorf("remote_write kept: %v", c.RemoteWrite)
	}
	got := map[string]string{}
	for _, j := range c.ScrapeConfigs {
		if len(j.StaticConfigs) != 1 || len(j.DNSSD) != 0 {
			t.Errorf("job %s: static %+v, dns %v", j.JobName, j.StaticConfigs, j.DNSSD)
			continue
		}
		if j.ScrapeInterval != "1s" || j.ScrapeTimeout != "1s" {
			t.Errorf("job %s: interval %q timeout %q, want 1s", j.JobName, j.ScrapeInterval, j.ScrapeTimeout)
		}
		got[j.JobName] = strings.Join(j.StaticConfigs[0].Targets, ",")
		if j.JobName == "demo" && j.StaticConfigs[0].Labels["team"] != "shop" {
			t.Errorf("demo target labels lost: %+v", j.StaticConfigs[0].Labels)
		}
	}
	want := map[string]string{"prometheus": "127.0.0.1:1000", "demo": "127.0.0.1:2000", "alertmanager": "127.0.0.1:3000"}
	if len(got) != len(want) {
		t.Errorf("jobs = %v, want %v (loadgen dropped: no loopback target)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("job %s targets = %q, want %q", k, got[k], v)
		}
	}

	// Without an Alertmanager the alerting section and its job go.
	b, err = PrometheusConfig(t, "127.0.0.1:1000", PrometheusOptions{ConfigPath: src, NoProvisionedRules: true})
	if err != nil {
		t.Fatal(err)
	}
	c = promCfg{}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Alerting != nil || len(c.RuleFiles) != 0 || len(c.ScrapeConfigs) != 1 {
		t.Errorf("minimal config kept alerting %+v, rules %v, jobs %d", c.Alerting, c.RuleFiles, len(c.ScrapeConfigs))
	}

	// Global keys and target labels are added; the provisioned labels stay.
	b, err = PrometheusConfig(t, "127.0.0.1:1000", PrometheusOptions{ConfigPath: src, NoProvisionedRules: true,
		DemoTargets:  []string{"127.0.0.1:2000"},
		Global:       map[string]any{"scrape_native_histograms": true},
		TargetLabels: map[string]map[string]string{"demo": {"service.name": "shop"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if g, _ := raw["global"].(map[string]any); g["scrape_native_histograms"] != true || g["scrape_interval"] != "1s" {
		t.Errorf("global = %v, want scrape_native_histograms added to the intervals", raw["global"])
	}
	c = promCfg{}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for _, j := range c.ScrapeConfigs {
		if l := j.StaticConfigs[0].Labels; j.JobName == "demo" && (l["service.name"] != "shop" || l["team"] != "shop") {
			t.Errorf("demo target labels %v, want service.name added to team", l)
		}
	}
}

// A replica of an HA pair: its replica label joins the provisioned external labels and
// is dropped from the alerts it sends; it does not scrape itself.
func TestPrometheusConfigOfAReplica(t *testing.T) {
	src := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(src, []byte(provisionedPrometheus), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := PrometheusConfig(t, "127.0.0.1:1000", PrometheusOptions{
		ConfigPath:       src,
		DemoTargets:      []string{"127.0.0.1:2000"},
		AlertmanagerAddr: "127.0.0.1:3000",
		Targets:          map[string][]string{"prometheus": nil},
		ExternalLabels:   map[string]string{"replica": "a"},
		AlertLabelDrop:   []string{"replica"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var c promCfg
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if c.Global.ExternalLabels["env"] != "demo" || c.Global.ExternalLabels["replica"] != "a" || len(c.Global.ExternalLabels) != 2 {
		t.Errorf("external labels %v, want env=demo and replica=a", c.Global.ExternalLabels)
	}
	if c.Alerting == nil || len(c.Alerting.AlertRelabelConfigs) != 1 || c.Alerting.AlertRelabelConfigs[0].Action != "labeldrop" || c.Alerting.AlertRelabelConfigs[0].Regex != "replica" {
		t.Errorf("alerting %+v, want the replica label dropped from alerts", c.Alerting)
	}
	var jobs []string
	for _, j := range c.ScrapeConfigs {
		jobs = append(jobs, j.JobName)
	}
	if strings.Join(jobs, ",") != "demo,alertmanager" {
		t.Errorf("jobs %v, want demo and alertmanager (no self-scrape)", jobs)
	}
}

func TestAlertmanagerConfigRewritesReceivers(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(src, []byte(`
route: {receiver: p0}
templates: ["templates/*.tmpl"]
receivers:
  - name: p0
    webhook_configs:
      - url: http://loadgen:8090/alerts
    email_configs:
      - to: oncall@example.invalid
  - name: blackhole
`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := AlertmanagerConfig(t, src, "http://127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"http://127.0.0.1:9/p0", filepath.Join(dir, "templates/*.tmpl"), "blackhole"} {
		if !strings.Contains(s, want) {
			t.Errorf("config lacks %q:\n%s", want, s)
		}
	}
	for _, gone := range []string{"loadgen:8090", "email_configs"} {
		if strings.Contains(s, gone) {
			t.Errorf("config still has %q:\n%s", gone, s)
		}
	}
}

func TestSettingsAreDistinctAndTouchChangesUpdated(t *testing.T) {
	a, b := &Settings{URL: "http://127.0.0.1:1"}, &Settings{URL: "http://127.0.0.1:1"}
	pa, pb := a.PluginContext(), b.PluginContext()
	if pa.DataSourceInstanceSettings.Uid == pb.DataSourceInstanceSettings.Uid || pa.DataSourceInstanceSettings.Id == pb.DataSourceInstanceSettings.Id {
		t.Error("two Settings share a UID or ID")
	}
	if pa.PluginId != PluginID || string(pa.DataSourceInstanceSettings.JsonData) != "{}" {
		t.Errorf("plugin context = %+v", pa)
	}
	before := pa.DataSourceInstanceSettings.LastUpdatedMS
	if again := a.PluginContext(); again.DataSourceInstanceSettings.LastUpdatedMS != before || again.DataSourceInstanceSettings.Uid != pa.DataSourceInstanceSettings.Uid {
		t.Error("the same Settings changed between calls")
	}
	a.Touch()
	if after := a.PluginContext().DataSourceInstanceSettings.LastUpdatedMS; after <= before {
		t.Errorf("Touch: LastUpdatedMS %d -> %d, want later", before, after)
	}
}

func TestQueryModelLikeGrafana(t *testing.T) {
	s := &Settings{URL: "http://127.0.0.1:1"}
	dq, err := Query{Model: map[string]any{"queryType": "promql", "expr": "up"}}.DataQuery(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	if dq.RefID != "B" || dq.QueryType != "promql" || dq.Interval != 15*time.Second || dq.MaxDataPoints != 1000 {
		t.Errorf("query = %+v", dq)
	}
	for _, want := range []string{`"refId":"B"`, `"intervalMs":15000`, `"maxDataPoints":1000`, `"datasource":{`, `"expr":"up"`} {
		if !strings.Contains(string(dq.JSON), want) {
			t.Errorf("model %s lacks %s", dq.JSON, want)
		}
	}
}

// A Thanos built without the slicelabels tag is told apart by its build information; a
// file that is no Go binary is not judged.
func TestMissingSliceLabels(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.invalid/tags\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", append(append([]string{"build", "-o", out}, args...), ".")...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, b)
		}
		return out
	}
	if !missingSliceLabels(build("plain")) {
		t.Error("a build without tags passed")
	}
	if missingSliceLabels(build("tagged", "-tags", "netgo,slicelabels")) {
		t.Error("a build with -tags netgo,slicelabels failed")
	}
	if missingSliceLabels(filepath.Join(dir, "main.go")) {
		t.Error("a file without build information was judged")
	}
}
