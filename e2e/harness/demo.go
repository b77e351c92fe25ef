package harness

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Demo is a running demo mini-program (demo/cmd/app).
type Demo struct {
	*Process
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port
}

// StartDemo builds ./demo/cmd/app (once per test binary), starts it with
// -listen on a free loopback port and waits for /metrics.
func StartDemo(t testing.TB, extraArgs ...string) *Demo {
	t.Helper()
	bin := GoBuild(t, "./demo/cmd/app")
	p, addr := startServer(t, func(addr string) ProcessOpts {
		return ProcessOpts{Name: "demo", Binary: bin, Args: append([]string{"-listen", addr}, extraArgs...)}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/metrics")
	})
	return &Demo{Process: p, Addr: addr, URL: "http://" + addr}
}

// Restart starts the demo again on the same address once it has exited (crash mode), so
// that Prometheus scrapes the new process as the same instance, and waits for /metrics.
// Process becomes the new process.
func (d *Demo) Restart(t testing.TB, extraArgs ...string) {
	t.Helper()
	if exited, _ := d.Exited(); !exited {
		t.Fatalf("harness: demo restart: the demo at %s is still running", d.Addr)
	}
	bin := GoBuild(t, "./demo/cmd/app")
	p, err := startProcess(t, ProcessOpts{Name: "demo", Binary: bin, Args: append([]string{"-listen", d.Addr}, extraArgs...)})
	if err != nil {
		t.Fatalf("harness: demo restart: %v", err)
	}
	if err := p.waitReady(ReadyTimeout, func() error { return expect200(d.URL + "/metrics") }); err != nil {
		_ = p.Stop()
		t.Fatalf("harness: demo restart on %s: %v", d.Addr, err)
	}
	d.Process = p
}

// Loadgen is a running load generator (demo/cmd/loadgen).
type Loadgen struct {
	*Process
	ControlAddr string // 127.0.0.1:port
	ControlURL  string // http://127.0.0.1:port
}

// StartLoadgen builds ./demo/cmd/loadgen (once per test binary) and starts it
// against targetURL at rps requests per second, with its control endpoint on a
// free loopback port. It waits until GET /mode answers 200.
func StartLoadgen(t testing.TB, targetURL string, rps float64, extraArgs ...string) *Loadgen {
	t.Helper()
	bin := GoBuild(t, "./demo/cmd/loadgen")
	p, addr := startServer(t, func(addr string) ProcessOpts {
		args := append([]string{"-target", targetURL, "-rps", strconv.FormatFloat(rps, 'f', -1, 64), "-listen", addr}, extraArgs...)
		return ProcessOpts{Name: "loadgen", Binary: bin, Args: args}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/mode")
	})
	return &Loadgen{Process: p, ControlAddr: addr, ControlURL: "http://" + addr}
}

// Load generator modes (POST /mode?mode=...).
const (
	ModeNormal  = "normal"
	ModeSlow    = "slow"
	ModeFailing = "failing"
	ModeLeak    = "leak"
	ModeCrash   = "crash"
)

// Mode returns the current mode (GET /mode), trimmed.
func (l *Loadgen) Mode(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, body, err := HTTPGet(ctx, l.ControlURL+"/mode")
	if err != nil || code != 200 {
		t.Fatalf("harness: loadgen mode: HTTP %d %v: %.200s", code, err, body)
	}
	return strings.TrimSpace(string(body))
}

// SetMode switches the load generator's mode through its control endpoint.
func (l *Loadgen) SetMode(t testing.TB, mode string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, body, err := HTTPPost(ctx, l.ControlURL+"/mode?"+url.Values{"mode": {mode}}.Encode())
	if err != nil {
		t.Fatalf("harness: loadgen mode %s: %v", mode, err)
	}
	if code < 200 || code > 299 {
		t.Fatalf("harness: loadgen mode %s: %v", mode, fmt.Errorf("HTTP %d: %.200s", code, body))
	}
}
