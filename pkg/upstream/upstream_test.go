package upstream

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func check(t *testing.T, err error, status int, want string) {
	t.Helper()
	var ue *Error
	if !errors.As(err, &ue) || !backend.IsDownstreamError(err) || ue.Status != status || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v (%#v), want a downstream %d containing %q", err, ue, status, want)
	}
}

func TestStatus(t *testing.T) {
	check(t, Status("Prometheus", 401, "/api/v1/query", nil), 401, "Prometheus: authentication failed (401")
	check(t, Status("Prometheus", 403, "/api/v1/query", nil), 403, "may not read /api/v1/query")
	check(t, Status("Alertmanager", 404, "/am/api/v2/status", []byte("404 page not found")), 404, "/am/api/v2/status not found (404)")
	check(t, Status("Prometheus", 429, "/", nil), 429, "rate limited")
	check(t, Status("Prometheus", 503, "/", []byte("  upstream connect error\nmore")), 502, "server error 503: upstream connect error")
	check(t, Status("Prometheus", 502, "/", []byte("<html>bad gateway</html>")), 502, "server error 502")
	long := Status("Prometheus", 500, "/", []byte(strings.Repeat("x", 1000)))
	if n := len(long.Error()); n > 260 {
		t.Errorf("a long body is quoted whole: %d characters", n)
	}
	check(t, Status("Prometheus", 418, "/", nil), 502, "unexpected answer 418")
}

// Transport errors as the standard library makes them, from real connections.
func TestTransport(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	hc := &http.Client{Timeout: 2 * time.Second}
	defer hc.CloseIdleConnections()

	_, err := hc.Get(tlsSrv.URL)
	check(t, Transport("Prometheus", "p:443", err), 502, "TLS certificate of p:443 not accepted: signed by an unknown authority")

	_, err = hc.Get(strings.Replace(plain.URL, "http://", "https://", 1))
	check(t, Transport("Prometheus", "p:80", err), 502, "does not speak TLS")

	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer insecure.CloseIdleConnections()
	resp, err := insecure.Get(tlsSrv.URL)
	if err != nil {
		t.Fatalf("skip verify: %v", err)
	}
	resp.Body.Close()

	check(t, Transport("Prometheus", "nowhere:9090", &net.DNSError{Name: "nowhere", Err: "no such host", IsNotFound: true}), 502, `host "nowhere" not found`)
	_, err = hc.Get("http://user:hunter2@127.0.0.1:1/")
	if e := Transport("Prometheus", "127.0.0.1:1", err); strings.Contains(e.Error(), "hunter2") || strings.Contains(e.Error(), "user:") {
		t.Errorf("%v shows the credentials", e)
	}
}

func TestSameHostRedirects(t *testing.T) {
	req := func(raw string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := []*http.Request{req("https://prom.example:9090/api/v1/query")}
	cases := []struct {
		to, want string
	}{
		{"https://prom.example:9090/prefix/api/v1/query", ""},
		{"https://evil.example:9090/api/v1/query", "redirect to another host (evil.example:9090) refused"},
		{"https://prom.example:9091/api/v1/query", "redirect to another host (prom.example:9091) refused"},
		{"http://prom.example:9090/api/v1/query", "redirect from https to http refused"},
	}
	for _, c := range cases {
		err := SameHostRedirects(req(c.to), first)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want followed", c.to, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.to, err, c.want)
		}
	}
	many := []*http.Request{first[0], first[0], first[0], first[0], first[0]}
	if err := SameHostRedirects(req("https://prom.example:9090/x"), many); err == nil {
		t.Error("a sixth redirect was followed")
	}
}
