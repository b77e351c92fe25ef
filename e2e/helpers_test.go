package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/plugin"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// pluginUnderTest is one way of running the plugin.
type pluginUnderTest struct {
	name   string
	client *harness.Client
}

// startPlugins returns the built binary launched through go-plugin (as Grafana
// runs it) and the same factory served in process, so that a test can prove both.
func startPlugins(t *testing.T) []pluginUnderTest {
	t.Helper()
	return []pluginUnderTest{
		{"binary", harness.StartPlugin(t)},
		{"in-process", harness.ServeInProcess(t, plugin.NewDatasource)},
	}
}

// queryEachPlugin sends the queries in one QueryData request to each plugin of
// startPlugins, in parallel subtests, and hands each answer to check.
func queryEachPlugin(t *testing.T, ds *harness.Settings, queries []harness.Query, check func(t *testing.T, resp *backend.QueryDataResponse)) {
	t.Helper()
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			resp, err := p.client.QueryData(ctx, ds, queries...)
			if err != nil {
				t.Fatalf("QueryData: %v", err)
			}
			check(t, resp)
		})
	}
}

// containsFold reports whether s contains every one of subs, ignoring case.
func containsFold(s string, subs ...string) (missing []string) {
	ls := strings.ToLower(s)
	for _, sub := range subs {
		if !strings.Contains(ls, strings.ToLower(sub)) {
			missing = append(missing, sub)
		}
	}
	return missing
}

// fakeServer starts an httptest server answering every request with h, closed in
// t.Cleanup.
func fakeServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// hangingServer starts a server that never answers (until the request is
// cancelled or the test ends).
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	// Cleanups run last-in first-out: release the handlers, then close.
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) })
	return s
}

// closedURL is an http URL on a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	return "http://" + harness.FreeAddr(t)
}
