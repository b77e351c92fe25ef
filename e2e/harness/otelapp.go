package harness

import "testing"

// OtelApp is a running second demo target (demo/cmd/otelapp): metric and label names with
// dots, as an OpenTelemetry-instrumented Go service exposes them, and native histograms.
type OtelApp struct {
	*Process
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port
}

// StartOtelApp builds ./demo/cmd/otelapp (once per test binary), starts it with -listen on
// a free loopback port and waits for /metrics.
func StartOtelApp(t testing.TB, extraArgs ...string) *OtelApp {
	t.Helper()
	bin := GoBuild(t, "./demo/cmd/otelapp")
	p, addr := startServer(t, func(addr string) ProcessOpts {
		return ProcessOpts{Name: "otelapp", Binary: bin, Args: append([]string{"-listen", addr}, extraArgs...)}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/metrics")
	})
	return &OtelApp{Process: p, Addr: addr, URL: "http://" + addr}
}
