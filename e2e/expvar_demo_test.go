package e2e

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goexpvar/expvartest"
)

// The flattener reads the running demo's /debug/vars as the unit tests read the recorded
// one (pkg/goexpvar/testdata).
func TestFlattenDemoApp(t *testing.T) {
	demo := harness.StartDemo(t)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	// a few requests so that business vars exist
	for _, p := range []string{"/api/browse?page=home", "/api/login", "/api/orders"} {
		if resp, err := client.Get(demo.URL + p); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	resp, err := client.Get(demo.URL + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /debug/vars: %s", resp.Status)
	}
	vars, err := goexpvar.Flatten(resp.Body, goexpvar.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo /debug/vars: %d vars", len(vars))
	expvartest.CheckDemoDocument(t, vars)
}

// The poller reads the running demo, fills the history and marks a broken target down.
func TestPollerAgainstTheDemo(t *testing.T) {
	demo := harness.StartDemo(t)
	expvartest.CheckPoller(t, demo.URL+"/debug/vars", demo.Addr)
}
