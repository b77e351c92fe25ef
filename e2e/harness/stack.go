package harness

import (
	"fmt"
	"testing"
	"time"
)

// ScrapeTimeout bounds StartStack's wait for Prometheus to have scraped the demo.
const ScrapeTimeout = 30 * time.Second

// StackOptions configures StartStackWith.
type StackOptions struct {
	// Loadgen also starts the load generator against the demo.
	Loadgen    bool
	LoadgenRPS float64 // default 20
	// NoAlertmanager leaves Alertmanager out (Prometheus gets no alerting target).
	NoAlertmanager bool
	// Alertmanager is passed to StartAlertmanagerWith.
	Alertmanager AlertmanagerOptions
	// Prometheus is passed to StartPrometheus; its DemoTargets and
	// AlertmanagerAddr are set by the stack.
	Prometheus PrometheusOptions
}

// Stack is the demo stack: demo, (load generator), Alertmanager, Prometheus.
type Stack struct {
	Demo         *Demo
	Loadgen      *Loadgen // nil unless StackOptions.Loadgen
	Alertmanager *Alertmanager
	Prometheus   *Prometheus
}

// StartStack starts the demo, Alertmanager and Prometheus (provisioned config,
// loopback targets, 1s intervals) and waits until Prometheus has scraped the demo
// (up{job="demo"} == 1), failing the test after ScrapeTimeout.
func StartStack(t testing.TB) *Stack {
	t.Helper()
	return StartStackWith(t, StackOptions{})
}

// StartStackWith is StartStack with options.
func StartStackWith(t testing.TB, opts StackOptions) *Stack {
	t.Helper()
	start := time.Now()
	s := &Stack{Demo: StartDemo(t)}
	if opts.Loadgen {
		rps := opts.LoadgenRPS
		if rps <= 0 {
			rps = 20
		}
		s.Loadgen = StartLoadgen(t, s.Demo.URL, rps)
	}
	po := opts.Prometheus
	po.DemoTargets = []string{s.Demo.Addr}
	if !opts.NoAlertmanager {
		s.Alertmanager = StartAlertmanagerWith(t, opts.Alertmanager)
		po.AlertmanagerAddr = s.Alertmanager.Addr
	}
	s.Prometheus = StartPrometheus(t, po)
	WaitForTargetUp(t, s.Prometheus.URL, "demo", ScrapeTimeout)
	t.Logf("harness: stack ready in %v (demo %s, prometheus %s)", time.Since(start).Round(time.Millisecond), s.Demo.URL, s.Prometheus.URL)
	return s
}

// WaitForTargetUp waits (bounded) until up{job="<job>"} == 1 at the
// Prometheus-compatible API at baseURL.
func WaitForTargetUp(t testing.TB, baseURL, job string, timeout time.Duration) {
	t.Helper()
	expr := fmt.Sprintf(`up{job=%q} == 1`, job)
	if err := poll(timeout, 250*time.Millisecond, func() error {
		_, err := nonEmpty(baseURL, expr)
		return err
	}); err != nil {
		t.Fatalf("harness: Prometheus at %s has not scraped job %q within %v: %v (see %s/targets)", baseURL, job, timeout, err, baseURL)
	}
}
