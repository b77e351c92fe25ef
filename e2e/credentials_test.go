package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// The data source's credentials in these tests: Prometheus's basic auth and a custom
// header token, and the Alertmanager's own basic auth and header.
const (
	promUser     = "grafana"
	promPassword = "prom-pass-7f3a9c"
	promToken    = "prom-token-d41d8cd98f"
	amUser       = "am-reader"
	amPassword   = "am-pass-0cc175b9c0"
	amToken      = "am-tenant-92eb5ffee6"
)

// credentialForms are the ways a credential travels or is echoed: as is, and as the
// base64 of a basic-auth header.
func credentialForms() map[string]string {
	b64 := func(u, p string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":" + p)) }
	return map[string]string{
		"Prometheus password": promPassword, "Prometheus token": promToken,
		"Prometheus basic auth": b64(promUser, promPassword),
		"Alertmanager password": amPassword, "Alertmanager token": amToken,
		"Alertmanager basic auth": b64(amUser, amPassword),
	}
}

// leaked names the credentials found in s, whole or in part: any 12 characters of one
// (an excerpt cut in the middle of a credential leaks its first part).
func leaked(s string) []string {
	const part = 12
	var out []string
	for name, form := range credentialForms() {
		for i := 0; i+part <= len(form); i++ {
			if strings.Contains(s, form[i:i+part]) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// recorder is a loopback HTTP server that records the headers of every request it gets
// and answers with next (a reverse proxy to a real server, or a fault).
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

// startRecorder serves next on host (127.0.0.1, or 127.0.0.2 to stand for another host).
func startRecorder(t *testing.T, host string, next http.Handler) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", host, err)
	}
	r := &recorder{}
	r.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Header.Clone())
		r.mu.Unlock()
		next.ServeHTTP(w, req)
	})}}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.seen...)
}

// credentials returns the credentials that requests carried to the recorder.
func (r *recorder) credentials() []string {
	found := map[string]bool{}
	for _, h := range r.requests() {
		for k, vs := range h {
			for _, v := range vs {
				for _, name := range leaked(k + ": " + v) {
					found[name] = true
				}
			}
		}
	}
	var out []string
	for name := range found {
		out = append(out, name)
	}
	return out
}

// proxyTo is a reverse proxy to a real server.
func proxyTo(t *testing.T, raw string) http.Handler {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// redirecting answers /away/... with a 307 (the body kept) to the same path on other,
// /moved/... with a 307 to the same path on this host without the prefix, and proxies the rest to next.
func redirecting(other string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/away/"):
			http.Redirect(w, r, other+strings.TrimPrefix(r.URL.Path, "/away")+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, strings.TrimPrefix(r.URL.Path, "/moved")+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// withPrometheusAuth gives s Prometheus's basic auth and custom header.
func withPrometheusAuth(s *harness.Settings) *harness.Settings {
	s.BasicAuthEnabled, s.BasicAuthUser = true, promUser
	if s.JSONData == nil {
		s.JSONData = map[string]any{}
	}
	s.JSONData["httpHeaderName1"] = "X-Api-Token"
	if s.Secure == nil {
		s.Secure = map[string]string{}
	}
	s.Secure["basicAuthPassword"] = promPassword
	s.Secure["httpHeaderValue1"] = promToken
	return s
}

// withAlertmanagerAuth gives s the Alertmanager's own basic auth and custom header.
func withAlertmanagerAuth(s *harness.Settings) *harness.Settings {
	s.JSONData["alertmanagerBasicAuth"] = true
	s.JSONData["alertmanagerBasicAuthUser"] = amUser
	s.JSONData["alertmanagerHttpHeaderName1"] = "X-Scope-OrgID"
	s.Secure["alertmanagerBasicAuthPassword"] = amPassword
	s.Secure["alertmanagerHttpHeaderValue1"] = amToken
	return s
}

// TestCredentialsStayWithTheirHost checks, against the real demo stack, that no
// credential reaches a host it was not configured for: not through a redirect (from
// Prometheus, the Alertmanager or an expvar target to another host), not the
// Alertmanager's (unless shared explicitly), not an expvar target's, configured or
// discovered.
func TestCredentialsStayWithTheirHost(t *testing.T) {
	stack := harness.StartStack(t)
	elsewhere := startRecorder(t, "127.0.0.2", proxyTo(t, stack.Prometheus.URL))
	prom := startRecorder(t, "127.0.0.1", redirecting(elsewhere.srv.URL, proxyTo(t, stack.Prometheus.URL)))
	am := startRecorder(t, "127.0.0.1", redirecting(elsewhere.srv.URL, proxyTo(t, stack.Alertmanager.URL)))
	demo := startRecorder(t, "127.0.0.1", redirecting(elsewhere.srv.URL, proxyTo(t, stack.Demo.URL)))
	demoPort := demo.srv.Listener.Addr().(*net.TCPAddr).Port

	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			promql := harness.Query{Model: map[string]any{"queryType": "promql", "expr": "up"}}
			amAlerts := harness.Query{Model: map[string]any{"queryType": "alerts", "source": "alertmanager"}}

			t.Run("a redirect to another host is refused", func(t *testing.T) {
				before := len(elsewhere.requests())
				s := withPrometheusAuth(&harness.Settings{URL: prom.srv.URL + "/away", JSONData: map[string]any{
					"alertmanagerUrl": am.srv.URL + "/away",
					"expvarTargets":   []map[string]string{{"name": "demo", "url": demo.srv.URL + "/away/debug/vars"}},
					"expvarTimeout":   "2s",
				}})
				withAlertmanagerAuth(s)
				res, err := p.client.QueryData(ctx, s, promql, amAlerts,
					harness.Query{Model: map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": "job"}}})
				if err != nil {
					t.Fatal(err)
				}
				for ref, r := range res.Responses {
					if r.Error == nil || !strings.Contains(r.Error.Error(), "redirect to another host") {
						t.Errorf("query %s: error %v, want the redirect to another host refused", ref, r.Error)
					}
				}
				health, err := p.client.CheckHealth(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(health.Message, "redirect to another host") {
					t.Errorf("Save & test: %q, want the redirect refused", health.Message)
				}
				rr, err := p.client.CallResource(ctx, s, http.MethodGet, "label-values?label=job", nil)
				if err != nil {
					t.Fatal(err)
				}
				if rr.Status == http.StatusOK {
					t.Errorf("label-values through a redirect to another host answered 200: %s", rr.Body)
				}
				if n := len(elsewhere.requests()) - before; n != 0 {
					t.Errorf("the other host got %d requests, carrying %v; want none", n, elsewhere.credentials())
				}
				harness.Eventually(t, 20*time.Second, 200*time.Millisecond, "expvar target polled through the redirect", func() error {
					rr, err := p.client.CallResource(ctx, s, http.MethodGet, "expvar-targets", nil)
					if err != nil {
						return err
					}
					if !strings.Contains(string(rr.Body), "redirect to another host") {
						return fmt.Errorf("expvar-targets: %s", rr.Body)
					}
					return nil
				})
				if n := len(elsewhere.requests()) - before; n != 0 {
					t.Errorf("the other host got %d requests, carrying %v; want none", n, elsewhere.credentials())
				}
			})

			t.Run("a redirect on the same host is followed", func(t *testing.T) {
				s := withPrometheusAuth(&harness.Settings{URL: prom.srv.URL + "/moved"})
				res, err := p.client.QueryData(ctx, s, promql)
				if err != nil {
					t.Fatal(err)
				}
				if r := res.Responses["A"]; r.Error != nil || len(r.Frames) == 0 {
					t.Errorf("promql through a same-host redirect: %v, %d frames; want data", r.Error, len(r.Frames))
				}
			})

			alertmanagerCases := []struct {
				name  string
				setup func(s *harness.Settings)
				want  []string // the credentials the Alertmanager must get, no more
			}{
				{"the Alertmanager gets none of Prometheus's credentials", func(*harness.Settings) {}, nil},
				{"the Alertmanager gets its own credentials only", func(s *harness.Settings) { withAlertmanagerAuth(s) },
					[]string{"Alertmanager basic auth", "Alertmanager token"}},
				{"sharing Prometheus's credentials is explicit", func(s *harness.Settings) { s.JSONData["alertmanagerUsePrometheusAuth"] = true },
					[]string{"Prometheus basic auth", "Prometheus token"}},
			}
			for _, c := range alertmanagerCases {
				t.Run(c.name, func(t *testing.T) {
					s := withPrometheusAuth(&harness.Settings{URL: prom.srv.URL, JSONData: map[string]any{"alertmanagerUrl": am.srv.URL}})
					c.setup(s)
					first := len(am.requests())
					res, err := p.client.QueryData(ctx, s, amAlerts)
					if err != nil {
						t.Fatal(err)
					}
					if r := res.Responses["A"]; r.Error != nil {
						t.Fatalf("alerts from the Alertmanager: %v", r.Error)
					}
					got := (&recorder{seen: am.requests()[first:]}).credentials()
					if !sameSet(got, c.want) {
						t.Errorf("the Alertmanager got credentials %v, want %v", got, c.want)
					}
				})
			}

			t.Run("expvar targets, configured or discovered, get no credentials", func(t *testing.T) {
				first := len(demo.requests())
				s := withPrometheusAuth(&harness.Settings{URL: prom.srv.URL, JSONData: map[string]any{
					"expvarTargets":      []map[string]string{{"name": "static", "url": demo.srv.URL}},
					"expvarDiscoverJobs": []string{"demo"},
					"expvarDiscoverPort": demoPort,
				}})
				harness.Eventually(t, 30*time.Second, 250*time.Millisecond, "both expvar targets polled", func() error {
					res, err := p.client.QueryData(ctx, s, harness.Query{Model: map[string]any{"queryType": "expvar", "paths": []string{"memstats.NumGC"}}})
					if err != nil {
						return err
					}
					r := res.Responses["A"]
					if r.Error != nil || len(r.Frames) == 0 {
						return fmt.Errorf("expvar: %v", r.Error)
					}
					if n, _ := r.Frames[0].RowLen(); n < 2 {
						return fmt.Errorf("expvar latest has %d rows, want the static and the discovered target", n)
					}
					return nil
				})
				polls := (&recorder{seen: demo.requests()[first:]})
				if len(polls.seen) < 2 {
					t.Fatalf("the demo got %d expvar polls, want both targets'", len(polls.seen))
				}
				if got := polls.credentials(); len(got) != 0 {
					t.Errorf("expvar targets got %v", got)
				}
			})
		})
	}
	if got := prom.credentials(); !sameSet(got, []string{"Prometheus basic auth", "Prometheus token"}) {
		t.Errorf("Prometheus got credentials %v, want its own (the test would prove nothing otherwise)", got)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	for _, x := range b {
		if !in[x] {
			return false
		}
	}
	return true
}
