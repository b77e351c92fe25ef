package harness

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// VictoriaMetrics is a running single-node VictoriaMetrics, which serves the
// Prometheus query API under its root URL.
type VictoriaMetrics struct {
	*Process
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port (Prometheus API at /api/v1/...)
}

// StartVictoriaMetrics starts /usr/bin/victoria-metrics on a free loopback port
// with a temporary storage dir, scraping targets (job name -> host:port list)
// every second, and waits for /health. Freshly scraped samples are visible at
// once (-search.latencyOffset=1s, cache disabled).
func StartVictoriaMetrics(t testing.TB, targets map[string][]string) *VictoriaMetrics {
	t.Helper()
	bin := VictoriaMetricsBinary(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "scrape.yml")
	var jobs []any
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		jobs = append(jobs, map[string]any{
			"job_name":       name,
			"static_configs": []any{map[string]any{"targets": targets[name]}},
		})
	}
	b, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s"},
		"scrape_configs": jobs,
	})
	if err != nil {
		t.Fatalf("harness: victoria-metrics scrape config: %v", err)
	}
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatalf("harness: %v", err)
	}
	p, addr := startServer(t, func(addr string) ProcessOpts {
		data, err := os.MkdirTemp(dir, "data-")
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		return ProcessOpts{Name: "victoria-metrics", Binary: bin, Dir: dir, Args: []string{
			"-httpListenAddr=" + addr,
			"-storageDataPath=" + data,
			"-promscrape.config=" + cfgPath,
			"-search.latencyOffset=1s",
			"-search.disableCache",
			"-selfScrapeInterval=0",
		}}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/health")
	})
	return &VictoriaMetrics{Process: p, Addr: addr, URL: "http://" + addr}
}
