package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/gopulse/health/pkg/telemetry/logtest"
)

// Two services behind one host (as Mimir serves Prometheus and Alertmanager under path
// prefixes): a failure is named by the longest matching base URL, an answer cut at the
// response size limit is one warning, a 400 (the query's fault), a cancelled request and
// the failure of a quiet request (its caller logs it once per change) are debug lines.
func TestLogFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/prometheus/api/v1/query":
			http.Error(w, "bad_data", http.StatusBadRequest)
		case "/prometheus/api/v1/labels":
			_, _ = w.Write([]byte(strings.Repeat("x", 4096)))
		case "/alertmanager/api/v2/alerts":
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	at := func(p string) *url.URL { u := *base; u.Path = p; return &u }
	rec := logtest.New()
	hc, err := httpclient.New(httpclient.Options{Middlewares: []httpclient.Middleware{
		LogFailures(rec, Service{"Prometheus", at("/prometheus")}, Service{"Alertmanager", at("/alertmanager")}),
		httpclient.ResponseLimitMiddleware(1024),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	get := func(ctx context.Context, p string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+p, nil)
		res, err := hc.Do(req)
		if err != nil {
			return
		}
		_, _ = io.ReadAll(res.Body)
		_ = res.Body.Close()
	}
	get(context.Background(), "/alertmanager/api/v2/alerts")
	get(context.Background(), "/prometheus/api/v1/labels")
	get(context.Background(), "/prometheus/api/v1/query")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	get(cancelled, "/prometheus/api/v1/query")
	get(Quiet(context.Background()), "/alertmanager/api/v2/alerts")

	var got []string
	for _, l := range rec.Lines() {
		if l.Arg("host") != base.Host {
			t.Errorf("line without the host: %s", l)
		}
		got = append(got, l.String())
	}
	want := []string{
		"warn upstream request failed service=Alertmanager host=" + base.Host + " status=503 path=/alertmanager/api/v2/alerts",
		"warn upstream answer over the response size limit service=Prometheus host=" + base.Host,
		"debug upstream request rejected service=Prometheus host=" + base.Host + " status=400 path=/prometheus/api/v1/query",
		"debug upstream request cancelled service=Prometheus host=" + base.Host,
		"debug upstream request failed service=Alertmanager host=" + base.Host + " status=503",
	}
	if len(got) != len(want) {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d: %s\nwant prefix %s", i, got[i], want[i])
		}
	}
	if rec.At(log.Warn)[1].Arg("error") == nil {
		t.Error("the limit line does not say the limit")
	}
}
