package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/plugin"
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
