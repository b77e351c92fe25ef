package business

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/internal/frametest"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/upstream"
)

// fakeProm knows the types of the metrics in types and answers every range query with
// one frame named after its legend. It records the metrics and queries it is asked for.
type fakeProm struct {
	types   map[string]string
	mdErr   error
	asked   []string
	queries []prometheus.Query
	// keepsErr fails KeepsMetadata; keepsAsked counts its calls. The server keeps
	// metadata when types is not empty.
	keepsErr   error
	keepsAsked int
}

func (p *fakeProm) KeepsMetadata(context.Context) (bool, error) {
	p.keepsAsked++
	return len(p.types) > 0, p.keepsErr
}

func (p *fakeProm) Metadata(_ context.Context, metric string) ([]prometheus.Metadata, bool, error) {
	p.asked = append(p.asked, metric)
	if p.mdErr != nil {
		return nil, false, p.mdErr
	}
	typ, ok := p.types[metric]
	if !ok {
		return nil, false, nil
	}
	return []prometheus.Metadata{{Metric: metric, Type: typ}}, false, nil
}

func (p *fakeProm) RangeFrames(_ context.Context, _ prometheus.Request, _ time.Duration, qs ...prometheus.Query) (data.Frames, error) {
	p.queries = append(p.queries, qs...)
	var out data.Frames
	for _, q := range qs {
		out = append(out, data.NewFrame(q.LegendFormat, data.NewField("Value", nil, []float64{1})))
	}
	return out, nil
}

// The metric's type in the metadata decides the expressions; Build's notices land on the
// first frame only; a legend format of the query replaces every generated legend.
func TestRun(t *testing.T) {
	prom := &fakeProm{types: map[string]string{
		"http_requests_total":           Counter,
		"demo_active_sessions":          Gauge,
		"http_request_duration_seconds": Histogram,
		"rpc_durations_seconds":         Summary,
	}}
	demo := scopeOf(t, "demo")
	for _, c := range []struct {
		name    string
		model   query.Business
		want    []prometheus.Query
		notices []string
	}{
		{"counter rate", query.Business{Metric: "http_requests_total", GroupBy: []string{"code"}},
			[]prometheus.Query{{Expr: `sum by (code) (rate(http_requests_total{job="demo"}[$__rate_interval]))`, LegendFormat: "{{code}}"}}, nil},
		{"gauge", query.Business{Metric: "demo_active_sessions", Aggregation: "max"},
			[]prometheus.Query{{Expr: `max(demo_active_sessions{job="demo"})`, LegendFormat: "demo_active_sessions"}}, nil},
		{"histogram quantiles", query.Business{Metric: "http_request_duration_seconds", Aggregation: "avg", Quantiles: []float64{0.5, 0.99}},
			[]prometheus.Query{
				{Expr: `histogram_quantile(0.5, sum (rate(http_request_duration_seconds{job="demo"}[$__rate_interval]))) or histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{job="demo"}[$__rate_interval])))`, LegendFormat: "p50"},
				{Expr: `histogram_quantile(0.99, sum (rate(http_request_duration_seconds{job="demo"}[$__rate_interval]))) or histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="demo"}[$__rate_interval])))`, LegendFormat: "p99"},
			},
			[]string{"aggregation avg does not apply to the histogram http_request_duration_seconds: its buckets are summed before each quantile"}},
		{"summary quantiles, legend override", query.Business{Metric: "rpc_durations_seconds", Quantiles: []float64{0.5, 0.9}, LegendFormat: "{{instance}}"},
			[]prometheus.Query{
				{Expr: `max(rpc_durations_seconds{job="demo",quantile="0.5"})`, LegendFormat: "{{instance}}"},
				{Expr: `max(rpc_durations_seconds{job="demo",quantile="0.9"})`, LegendFormat: "{{instance}}"},
			}, nil},
		{"_total counter without metadata", query.Business{Metric: "demo_orders_total"},
			[]prometheus.Query{{Expr: `sum(rate(demo_orders_total{job="demo"}[$__rate_interval]))`, LegendFormat: "demo_orders_total"}},
			[]string{"Prometheus has no metadata for demo_orders_total: it is read as a counter because its name ends in _total"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			prom.asked, prom.queries = nil, nil
			fr, err := Run(context.Background(), prom, demo, c.model, prometheus.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(prom.asked, []string{c.model.Metric}) {
				t.Errorf("metadata asked for %q, want %s", prom.asked, c.model.Metric)
			}
			if !slices.Equal(prom.queries, c.want) {
				t.Errorf("queries %+v\nwant %+v", prom.queries, c.want)
			}
			if len(fr) != len(c.want) {
				t.Fatalf("%d frames, want %d", len(fr), len(c.want))
			}
			if got := frametest.NoticeTexts(fr[0]); !slices.Equal(got, c.notices) {
				t.Errorf("notices of the first frame %q, want %q", got, c.notices)
			}
			for _, f := range fr[1:] {
				if got := frametest.NoticeTexts(f); len(got) != 0 {
					t.Errorf("frame %s has notices %q, want them on the first frame only", f.Name, got)
				}
			}
		})
	}
}

// A metric without metadata (not named _total) is the query's fault and runs nothing; a
// failing metadata request is Prometheus's, passed on with its status.
func TestRunErrors(t *testing.T) {
	prom := &fakeProm{}
	_, err := Run(context.Background(), prom, scopeOf(t, "demo"), query.Business{Metric: "demo_active_sessions"}, prometheus.Request{})
	if res := response.Response(nil, err); res.Status != backend.StatusBadRequest {
		t.Errorf("no metadata: %v answered %d, want 400", err, res.Status)
	}
	if len(prom.queries) != 0 {
		t.Errorf("queries %+v after a bad query", prom.queries)
	}

	prom = &fakeProm{mdErr: upstream.Errorf("Prometheus", http.StatusServiceUnavailable, "server error 503")}
	_, err = Run(context.Background(), prom, scopeOf(t, "demo"), query.Business{Metric: "http_requests_total"}, prometheus.Request{})
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Msg != "server error 503" {
		t.Fatalf("metadata failure: %v, want the upstream error", err)
	}
	if res := response.Response(nil, err); res.Status != http.StatusServiceUnavailable || res.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("metadata failure answered %d %s, want 503 downstream", res.Status, res.ErrorSource)
	}
	if len(prom.queries) != 0 {
		t.Errorf("queries %+v after the metadata failed", prom.queries)
	}

	prom = &fakeProm{keepsErr: upstream.Errorf("Prometheus", http.StatusBadGateway, "unexpected answer: EOF")}
	_, err = Run(context.Background(), prom, scopeOf(t, "demo"), query.Business{Metric: "demo_orders_total"}, prometheus.Request{})
	if !errors.As(err, &ue) || ue.Status != http.StatusBadGateway || len(prom.queries) != 0 {
		t.Errorf("a failing metadata probe: %v, queries %+v, want the upstream error and no query", err, prom.queries)
	}
}

// A server that keeps no metadata at all, whether it answers an empty list for every
// metric (VictoriaMetrics) or 404: a _total metric is read as a counter with a notice
// that names the server's lack; any other metric is the query's fault, with a message
// that says why and what to use instead.
func TestRunWithoutMetadata(t *testing.T) {
	for name, prom := range map[string]*fakeProm{
		"empty metadata": {},
		"no endpoint":    {mdErr: upstream.Errorf("Prometheus", http.StatusNotFound, "404 page not found")},
	} {
		t.Run(name, func(t *testing.T) {
			fr, err := Run(context.Background(), prom, scopeOf(t, "demo"), query.Business{Metric: "demo_orders_total", GroupBy: []string{"status"}}, prometheus.Request{})
			if err != nil {
				t.Fatal(err)
			}
			want := []prometheus.Query{{Expr: `sum by (status) (rate(demo_orders_total{job="demo"}[$__rate_interval]))`, LegendFormat: "{{status}}"}}
			if !slices.Equal(prom.queries, want) {
				t.Errorf("queries %+v, want %+v", prom.queries, want)
			}
			wantNotice := "This server keeps no metric metadata (as VictoriaMetrics): demo_orders_total is read as a counter because its name ends in _total"
			if got := frametest.NoticeTexts(fr[0]); !slices.Equal(got, []string{wantNotice}) {
				t.Errorf("notices %q, want %q", got, wantNotice)
			}

			prom.queries = nil
			_, err = Run(context.Background(), prom, scopeOf(t, "demo"), query.Business{Metric: "http_request_duration_seconds"}, prometheus.Request{})
			res := response.Response(nil, err)
			if res.Status != backend.StatusBadRequest || err == nil || !strings.Contains(err.Error(), "this server keeps no metric metadata (as VictoriaMetrics)") {
				t.Errorf("a histogram without metadata: %v answered %d, want 400 naming the missing metadata", err, res.Status)
			}
			if len(prom.queries) != 0 {
				t.Errorf("queries %+v after a bad query", prom.queries)
			}
		})
	}
}
