package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// loadBoards are the dashboards the viewers of BenchmarkDashboardLoad keep open.
var loadBoards = []string{"health-overview.json", "go-runtime.json"}

const (
	// loadRefresh is how often every viewer refreshes its dashboards: the default cache
	// TTL, so that a refresh finds no answer kept from the one before.
	loadRefresh = 15 * time.Second
	// loadPanelsAtOnce is how many panels of a dashboard a viewer's browser queries at once.
	loadPanelsAtOnce = 6
	// loadSpread is how far apart the first and the last viewer's refresh are.
	loadSpread = time.Second
	// loadTimeout bounds one refresh of one viewer.
	loadTimeout = 2 * time.Minute
)

// BenchmarkDashboardLoad: viewers keep the health overview and Go runtime dashboards open
// against the demo stack (under load) and refresh them together every loadRefresh, as a
// wall-board and a team on the same dashboards do. It runs the built plugin twice (over
// gRPC, as Grafana does): with the data source's defaults (identical upstream reads
// shared, answers kept a short time) and with coalesceRequests off, each with 1 viewer and
// then 50. One benchmark iteration is one refresh of every viewer. It reports:
//
//   - upstream/refresh: requests Prometheus and the Alertmanager served (their own request
//     counters, API endpoints) per refresh of all the viewers together;
//   - p50-ms, p99-ms: QueryData latency of the panels (one QueryData per panel);
//   - peak-RSS-MB: the plugin process's peak resident memory (VmHWM) so far;
//   - plugin-CPU-ms/refresh, viewers-CPU-ms/refresh: CPU time of the plugin process and
//     of the benchmark itself (the viewers: gRPC, decoding the frames) per refresh, on the
//     same cores, to tell the plugin's work from the viewers' in the latencies;
//   - errors: panels that failed or answered no rows (the first ones are logged).
//
// Loopback only, bounded: at most 50 viewers, each refresh within loadTimeout. Run it with
// go test ./e2e -run '^$' -bench DashboardLoad -benchtime 3x
func BenchmarkDashboardLoad(b *testing.B) {
	// The alert rules of TestDashboards, so that the alert panels have rows.
	rules := filepath.Join(b.TempDir(), "dashboards-e2e.yml")
	if err := os.WriteFile(rules, []byte(dashboardRules), 0o644); err != nil {
		b.Fatal(err)
	}
	s := harness.StartStackWith(b, harness.StackOptions{Loadgen: true, LoadgenRPS: 20,
		Prometheus: harness.PrometheusOptions{ExtraRuleFiles: []string{rules}}})
	harness.WaitForQuery(b, s.Prometheus.URL, `sum(rate(http_requests_total{job="demo"}[1m])) > 0 and on() count(ALERTS{alertname="DashboardsE2EFiring", alertstate="firing"}) > 0`, 45*time.Second)
	var boards []*dashboardFile
	for _, d := range loadDashboards(b) {
		if slices.Contains(loadBoards, d.file) {
			boards = append(boards, d)
		}
	}
	if len(boards) != len(loadBoards) {
		b.Fatalf("dashboards %v not all found", loadBoards)
	}
	for _, mode := range []struct {
		name     string
		coalesce bool
	}{{"coalescing", true}, {"no-coalescing", false}} {
		c := harness.StartPlugin(b)
		ds := provisionedDatasource(b, s)
		ds.JSONData["coalesceRequests"] = mode.coalesce
		ctx := context.Background()
		for _, d := range boards {
			d.resolveVariables(ctx, b, c, ds)
		}
		for _, viewers := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/viewers=%d", mode.name, viewers), func(b *testing.B) {
				var latencies []time.Duration
				upstream, errs := 0, 0
				var pluginCPU, clientCPU time.Duration
				next := time.Now().Add(loadRefresh) // nothing kept from the phase before
				for b.Loop() {
					time.Sleep(time.Until(next))
					next = time.Now().Add(loadRefresh)
					before, cpuBefore, selfBefore := upstreamRequests(b, s), cpuTime(b, c.PID), selfCPU()
					l, e := refresh(c, ds, boards, viewers)
					upstream += upstreamRequests(b, s) - before
					pluginCPU += cpuTime(b, c.PID) - cpuBefore
					clientCPU += selfCPU() - selfBefore
					latencies = append(latencies, l...)
					errs += len(e)
					for _, err := range e[:min(len(e), 3)] {
						b.Logf("panel failed: %v", err)
					}
				}
				slices.Sort(latencies)
				b.ReportMetric(float64(upstream)/float64(b.N), "upstream/refresh")
				b.ReportMetric(ms(quantile(latencies, 0.5)), "p50-ms")
				b.ReportMetric(ms(quantile(latencies, 0.99)), "p99-ms")
				b.ReportMetric(float64(peakRSS(b, c.PID))/(1<<20), "peak-RSS-MB")
				b.ReportMetric(ms(pluginCPU)/float64(b.N), "plugin-CPU-ms/refresh")
				b.ReportMetric(ms(clientCPU)/float64(b.N), "viewers-CPU-ms/refresh")
				b.ReportMetric(float64(errs), "errors")
			})
		}
	}
}

// refresh has every viewer refresh every board at once: each board's panels, at most
// loadPanelsAtOnce at a time. It returns the QueryData latency of every panel and the
// errors of the panels that failed or answered no rows.
func refresh(c *harness.Client, ds *harness.Settings, boards []*dashboardFile, viewers int) ([]time.Duration, []error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      []error
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	start := time.Now()
	for v := range viewers {
		// Each viewer's refresh comes a little after the one before (loadSpread in all),
		// and evaluates its time range once for all its panels, as Grafana does.
		now := start.Add(loadSpread * time.Duration(v) / time.Duration(viewers))
		for _, d := range boards {
			places := make(chan struct{}, loadPanelsAtOnce)
			for _, p := range d.panels {
				if p["type"] == "row" || p["type"] == "text" {
					continue
				}
				if targets, _ := p["targets"].([]any); len(targets) > 0 {
					if _, reuse := d.resultsOf(targets); reuse {
						// Grafana's "-- Dashboard --" data source: the browser shows the
						// other panel's results, no query reaches the plugin.
						continue
					}
				}
				wg.Go(func() {
					time.Sleep(time.Until(now))
					places <- struct{}{}
					defer func() { <-places }()
					start := time.Now()
					err := d.runPanelAt(ctx, c, ds, p, now)
					took := time.Since(start)
					mu.Lock()
					defer mu.Unlock()
					latencies = append(latencies, took)
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: %q: %w", d.file, p["title"], err))
					}
				})
			}
		}
	}
	wg.Wait()
	return latencies, errs
}

// upstreamRequests is how many API requests Prometheus and the Alertmanager have served,
// from their own counters (Prometheus: prometheus_http_requests_total of its /api/v1
// handlers; Alertmanager: alertmanager_http_request_duration_seconds_count of its GET
// /api/ handlers, so that the alerts Prometheus sends it do not count).
func upstreamRequests(tb testing.TB, s *harness.Stack) int {
	tb.Helper()
	n := counterSum(tb, s.Prometheus.URL+"/metrics", "prometheus_http_requests_total{", func(labels string) bool {
		return strings.Contains(labels, `handler="/api/v1/`)
	})
	if s.Alertmanager != nil {
		n += counterSum(tb, s.Alertmanager.URL+"/metrics", "alertmanager_http_request_duration_seconds_count{", func(labels string) bool {
			return strings.Contains(labels, `handler="/api/`) && strings.Contains(labels, `method="get"`)
		})
	}
	return n
}

// counterSum sums the samples of a metrics page whose line starts with prefix and whose
// labels match.
func counterSum(tb testing.TB, url, prefix string, match func(labels string) bool) int {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 || !match(line[len(prefix):end]) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err == nil {
			total += v
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return int(total)
}

// peakRSS is the peak resident memory of process pid (VmHWM), in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM in /proc status")
	return 0
}

// cpuTime is the CPU time (user and system) process pid has used.
func cpuTime(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// the fields after the command (in parentheses, which may hold spaces)
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU times.
const clockTicks = 100

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
