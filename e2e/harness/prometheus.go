package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// ReadyTimeout bounds the wait for a server to become ready.
const ReadyTimeout = 30 * time.Second

// PrometheusOptions configures StartPrometheus. Jobs of the provisioned
// configuration whose targets are not given here are dropped, so that the test
// Prometheus only ever scrapes loopback addresses.
type PrometheusOptions struct {
	// DemoTargets replaces the targets of job "demo" (host:port).
	DemoTargets []string
	// AlertmanagerAddr (host:port) replaces the targets of job "alertmanager" and
	// the alerting target. Empty drops both.
	AlertmanagerAddr string
	// Targets replaces the targets of any other job by name; an empty list drops the
	// job (Targets["prometheus"] = nil: no self-scrape).
	Targets map[string][]string
	// Global are keys added to the configuration's global section, such as Prometheus 3's
	// scrape_native_histograms (which Prometheus 2 refuses).
	Global map[string]any
	// TargetLabels are labels given to a job's targets, by job name (on top of the
	// provisioned ones), such as OpenTelemetry's service.name.
	TargetLabels map[string]map[string]string
	// ExtraRuleFiles are added to rule_files (absolute paths or globs).
	ExtraRuleFiles []string
	// NoProvisionedRules drops the provisioned rule_files.
	NoProvisionedRules bool
	// ScrapeInterval and EvaluationInterval default to 1s.
	ScrapeInterval     time.Duration
	EvaluationInterval time.Duration
	// ConfigPath is the configuration to derive from; default
	// provisioning/prometheus/prometheus.yml.
	ConfigPath string
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
	// ExternalLabels are the global external_labels: what a Thanos sidecar attaches to
	// every series and rule of this Prometheus, e.g. {"replica": "a"} for one of an HA
	// pair. They are also attached to the alerts sent to the Alertmanager, unless
	// dropped with AlertLabelDrop.
	ExternalLabels map[string]string
	// AlertLabelDrop are labels removed from alerts before they are sent to the
	// Alertmanager (alert_relabel_configs, labeldrop): the replica label of an HA pair,
	// so that the Alertmanager sees one alert, not one per replica.
	AlertLabelDrop []string

	// NativeHistograms scrapes native histograms and keeps the classic buckets of
	// histograms that have both (scrape_native_histograms and
	// always_scrape_classic_histograms), on Prometheus 3; Prometheus 2 scrapes the
	// classic buckets only (see NativeHistogramsSupported).
	NativeHistograms bool
}

// NativeHistogramsSupported tells whether the Prometheus binary the harness runs scrapes
// native histograms beside the classic buckets (Prometheus 3), and its version.
func NativeHistogramsSupported(t testing.TB) (bool, string) {
	t.Helper()
	v := PrometheusBinaryVersion(t)
	return !strings.HasPrefix(v, "2.") && !strings.HasPrefix(v, "1."), v
}

// PrometheusBinaryVersion is the version the Prometheus binary the harness runs reports
// (prometheus --version), such as "3.16.0".
func PrometheusBinaryVersion(t testing.TB) string {
	t.Helper()
	out, err := exec.Command(PrometheusBinary(t), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("harness: prometheus --version: %v: %s", err, out)
	}
	// "prometheus, version 3.16.0 (branch: …"
	_, after, ok := strings.Cut(string(out), "version ")
	if !ok {
		t.Fatalf("harness: prometheus --version: no version in %q", out)
	}
	return strings.Fields(after)[0]
}

// Prometheus is a running Prometheus server.
type Prometheus struct {
	*Process
	Addr       string // 127.0.0.1:port
	URL        string // http://127.0.0.1:port
	ConfigFile string // the derived configuration
	DataDir    string // the TSDB directory (--storage.tsdb.path)
}

// StartPrometheus writes a configuration derived from the provisioned one (see
// PrometheusOptions), starts /usr/bin/prometheus on a free loopback port with a
// temporary TSDB, and waits for /-/ready.
func StartPrometheus(t testing.TB, opts PrometheusOptions) *Prometheus {
	t.Helper()
	bin := PrometheusBinary(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	var data string
	p, addr := startServer(t, func(addr string) ProcessOpts {
		t.Helper()
		b, err := PrometheusConfig(t, addr, opts)
		if err != nil {
			t.Fatalf("harness: prometheus config: %v", err)
		}
		if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
			t.Fatalf("harness: write prometheus config: %v", err)
		}
		data, err = os.MkdirTemp(dir, "tsdb-")
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		args := []string{
			"--config.file=" + cfgPath,
			"--storage.tsdb.path=" + data,
			"--web.listen-address=" + addr,
			// Links (an alert's generator URL) name the loopback address, not the host.
			"--web.external-url=http://" + addr + "/",
			"--log.level=info",
			// Alerts evaluated before the Alertmanager is discovered are dropped; resend
			// every second (not every minute) so that tests see them at once.
			"--rules.alert.resend-delay=1s",
		}
		args = append(args, opts.ExtraArgs...)
		return ProcessOpts{Name: "prometheus", Binary: bin, Args: args, Dir: dir}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/-/ready")
	})
	return &Prometheus{Process: p, Addr: addr, URL: "http://" + addr, ConfigFile: cfgPath, DataDir: data}
}

// Version returns the version Prometheus reports in its build info.
func (p *Prometheus) Version(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := BuildInfoVersion(ctx, p.URL)
	if err != nil {
		t.Fatalf("harness: prometheus version: %v", err)
	}
	return v
}

// PrometheusConfig derives a test configuration from the provisioned one: targets
// rewritten to loopback addresses (self is selfAddr), rule_files made absolute,
// intervals shortened, remote read/write removed.
func PrometheusConfig(t testing.TB, selfAddr string, opts PrometheusOptions) ([]byte, error) {
	t.Helper()
	cfg, baseDir, err := readConfig(t, opts.ConfigPath, "prometheus", "prometheus.yml")
	if err != nil {
		return nil, err
	}

	scrape := opts.ScrapeInterval
	if scrape <= 0 {
		scrape = time.Second
	}
	eval := opts.EvaluationInterval
	if eval <= 0 {
		eval = time.Second
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
	}
	global["scrape_interval"] = promDuration(scrape)
	global["scrape_timeout"] = promDuration(scrape)
	global["evaluation_interval"] = promDuration(eval)
	for k, v := range opts.Global {
		global[k] = v
	}
	if ok, _ := NativeHistogramsSupported(t); opts.NativeHistograms && ok {
		global["scrape_native_histograms"] = true
		global["always_scrape_classic_histograms"] = true
	}
	if len(opts.ExternalLabels) > 0 {
		ext, _ := global["external_labels"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		for k, v := range opts.ExternalLabels {
			ext[k] = v
		}
		global["external_labels"] = ext
	}
	cfg["global"] = global

	var rules []any
	if !opts.NoProvisionedRules {
		list, _ := cfg["rule_files"].([]any)
		for _, r := range list {
			s, ok := r.(string)
			if !ok {
				continue
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(baseDir, s)
			}
			rules = append(rules, s)
		}
	}
	for _, r := range opts.ExtraRuleFiles {
		rules = append(rules, r)
	}
	if len(rules) > 0 {
		cfg["rule_files"] = rules
	} else {
		delete(cfg, "rule_files")
	}

	if opts.AlertmanagerAddr != "" {
		alerting, _ := cfg["alerting"].(map[string]any)
		if alerting == nil {
			alerting = map[string]any{}
		}
		ams, _ := alerting["alertmanagers"].([]any)
		if len(ams) == 0 {
			ams = []any{map[string]any{}}
		}
		for _, a := range ams {
			am, ok := a.(map[string]any)
			if !ok {
				continue
			}
			stripServiceDiscovery(am)
			am["static_configs"] = []any{map[string]any{"targets": []any{opts.AlertmanagerAddr}}}
		}
		alerting["alertmanagers"] = ams
		if len(opts.AlertLabelDrop) > 0 {
			alerting["alert_relabel_configs"] = []any{map[string]any{
				"action": "labeldrop",
				"regex":  strings.Join(opts.AlertLabelDrop, "|"),
			}}
		}
		cfg["alerting"] = alerting
	} else {
		delete(cfg, "alerting")
	}
	delete(cfg, "remote_write")
	delete(cfg, "remote_read")

	targets := map[string][]string{"prometheus": {selfAddr}}
	if len(opts.DemoTargets) > 0 {
		targets["demo"] = opts.DemoTargets
	}
	if opts.AlertmanagerAddr != "" {
		targets["alertmanager"] = []string{opts.AlertmanagerAddr}
	}
	for job, tg := range opts.Targets {
		targets[job] = tg
	}
	jobs, _ := cfg["scrape_configs"].([]any)
	var kept []any
	seen := map[string]bool{}
	for _, j := range jobs {
		job, ok := j.(map[string]any)
		if !ok {
			continue
		}
		name, _ := job["job_name"].(string)
		tg, ok := targets[name]
		if !ok || len(tg) == 0 {
			t.Logf("harness: prometheus: dropping job %q (no loopback target for it)", name)
			continue
		}
		seen[name] = true
		rewriteJob(job, tg, scrape, opts.TargetLabels[name])
		kept = append(kept, job)
	}
	// Jobs asked for but not provisioned are added.
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if seen[name] || len(targets[name]) == 0 {
			continue
		}
		job := map[string]any{"job_name": name}
		rewriteJob(job, targets[name], scrape, opts.TargetLabels[name])
		kept = append(kept, job)
	}
	cfg["scrape_configs"] = kept
	return yaml.Marshal(cfg)
}

func rewriteJob(job map[string]any, targets []string, interval time.Duration, extra map[string]string) {
	labels := map[string]any{}
	if scs, ok := job["static_configs"].([]any); ok {
		for _, sc := range scs {
			if m, ok := sc.(map[string]any); ok {
				if l, ok := m["labels"].(map[string]any); ok {
					for k, v := range l {
						labels[k] = v
					}
				}
			}
		}
	}
	for k, v := range extra {
		labels[k] = v
	}
	stripServiceDiscovery(job)
	tg := make([]any, len(targets))
	for i, s := range targets {
		tg[i] = s
	}
	sc := map[string]any{"targets": tg}
	if len(labels) > 0 {
		sc["labels"] = labels
	}
	job["static_configs"] = []any{sc}
	job["scrape_interval"] = promDuration(interval)
	job["scrape_timeout"] = promDuration(interval)
}

// stripServiceDiscovery removes static and dynamic target discovery from a job
// or an alertmanager config.
func stripServiceDiscovery(m map[string]any) {
	for k := range m {
		if k == "static_configs" || strings.HasSuffix(k, "_sd_configs") {
			delete(m, k)
		}
	}
}

func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// readConfig reads a YAML configuration: src, or provisioning/<dir>/<file> when src is
// empty. It returns the document and the folder relative paths in it are resolved from.
func readConfig(t testing.TB, src, dir, file string) (map[string]any, string, error) {
	t.Helper()
	if src == "" {
		src = RepoPath(t, "provisioning", dir, file)
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		return nil, "", err
	}
	cfg := map[string]any{}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", src, err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	return cfg, filepath.Dir(src), nil
}
