package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Asked for protobuf as Prometheus 3 asks (no escaping term), the service answers with
// UTF-8 names; a scraper that names an escaping gets it; text answers are untouched.
func TestUTF8InProtobuf(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "app.orders_total", Help: "h"}, []string{"order.status"})
	c.WithLabelValues("created").Inc()
	reg.MustRegister(c)
	srv := httptest.NewServer(utf8InProtobuf(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	defer srv.Close()
	const proto = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	for _, c := range []struct{ accept, escaping, name string }{
		{proto + ";q=0.6,text/plain;version=0.0.4;q=0.2,*/*;q=0.1", "escaping=allow-utf-8", "app.orders_total"},
		{proto + ";escaping=underscores", "escaping=underscores", "app_orders_total"},
		{"text/plain;version=0.0.4", "escaping=underscores", "app_orders_total"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Accept", c.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := new(strings.Builder)
		_, _ = io.Copy(body, resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, c.escaping) || !strings.Contains(body.String(), c.name) {
			t.Errorf("Accept %s: %s, body has %q: %v; want %s and %s", c.accept, ct, c.name, strings.Contains(body.String(), c.name), c.escaping, c.name)
		}
	}
}
