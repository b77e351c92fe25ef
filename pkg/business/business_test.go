package business

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/scope"
)

var promql = parser.NewParser(parser.Options{})

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func scopeOf(t *testing.T, job string) scope.Selector {
	t.Helper()
	s, err := scope.NewSelector(job, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// otel is the scope of an OpenTelemetry-instrumented service: its job label is
// service.name.
func otel(t *testing.T) scope.Selector {
	t.Helper()
	s, err := scope.NewSelector("checkout", "", "service.name", "service.instance.id")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuild(t *testing.T) {
	demo := scopeOf(t, "demo")
	for _, c := range []struct {
		name  string
		q     Query
		typ   string
		scope scope.Selector
		want  []Target
		notes []string
	}{
		{
			name: "counter", typ: Counter, scope: demo,
			q:    Query{Metric: "http_requests_total", GroupBy: []string{"path", "code"}},
			want: []Target{{`sum by (path, code) (rate(http_requests_total{job="demo"}[$__rate_interval]))`, "{{path}} {{code}}"}},
		},
		{
			name: "counter, avg, no grouping, every target", typ: Counter,
			q:    Query{Metric: "demo_orders_total", Aggregation: "avg"},
			want: []Target{{`avg(rate(demo_orders_total[$__rate_interval]))`, "demo_orders_total"}},
		},
		{
			name: "counter without metadata, named _total", scope: demo,
			q:     Query{Metric: "demo_orders_total", GroupBy: []string{"status", "status"}, TopN: 2},
			want:  []Target{{`(sum by (status) (rate(demo_orders_total{job="demo"}[$__rate_interval]))) and topk(2, avg_over_time((sum by (status) (rate(demo_orders_total{job="demo"}[$__rate_interval])))[$__range:$__interval] @ end()))`, "{{status}}"}},
			notes: []string{"Prometheus has no metadata for demo_orders_total: it is read as a counter because its name ends in _total"},
		},
		{
			name: "gauge with user matchers", typ: Gauge, scope: demo,
			q:    Query{Metric: "demo_active_sessions", Aggregation: "max", GroupBy: []string{"instance"}, Matchers: ` instance=~"127\\.0\\.0\\.1:.*" , mode!='slow',`},
			want: []Target{{`max by (instance) (demo_active_sessions{job="demo",instance=~"127\\.0\\.0\\.1:.*",mode!="slow"})`, "{{instance}}"}},
		},
		{
			name: "gauge, min", typ: Gauge, scope: demo,
			q:    Query{Metric: "demo_cart_items", Aggregation: "min", Quantiles: []float64{0.5}},
			want: []Target{{`min(demo_cart_items{job="demo"})`, "demo_cart_items"}},
		},
		{
			name: "histogram, default quantiles", typ: Histogram, scope: demo,
			q: Query{Metric: "http_request_duration_seconds", GroupBy: []string{"path"}, Matchers: `path=~"/api/.*"`},
			want: []Target{
				{`histogram_quantile(0.5, sum by (path) (rate(http_request_duration_seconds{job="demo",path=~"/api/.*"}[$__rate_interval]))) or histogram_quantile(0.5, sum by (le, path) (rate(http_request_duration_seconds_bucket{job="demo",path=~"/api/.*"}[$__rate_interval])))`, "{{path}} p50"},
				{`histogram_quantile(0.9, sum by (path) (rate(http_request_duration_seconds{job="demo",path=~"/api/.*"}[$__rate_interval]))) or histogram_quantile(0.9, sum by (le, path) (rate(http_request_duration_seconds_bucket{job="demo",path=~"/api/.*"}[$__rate_interval])))`, "{{path}} p90"},
				{`histogram_quantile(0.99, sum by (path) (rate(http_request_duration_seconds{job="demo",path=~"/api/.*"}[$__rate_interval]))) or histogram_quantile(0.99, sum by (le, path) (rate(http_request_duration_seconds_bucket{job="demo",path=~"/api/.*"}[$__rate_interval])))`, "{{path}} p99"},
			},
		},
		{
			name: "histogram, topN, max does not apply", typ: Histogram,
			q:     Query{Metric: "http_request_duration_seconds", Aggregation: "max", Quantiles: []float64{0.999}, TopN: 3},
			want:  []Target{{`(histogram_quantile(0.999, sum (rate(http_request_duration_seconds[$__rate_interval]))) or histogram_quantile(0.999, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))) and topk(3, avg_over_time((histogram_quantile(0.999, sum (rate(http_request_duration_seconds[$__rate_interval]))) or histogram_quantile(0.999, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval]))))[$__range:$__interval] @ end()))`, "p99.9"}},
			notes: []string{"aggregation max does not apply to the histogram http_request_duration_seconds: its buckets are summed before each quantile"},
		},
		{
			name: "UTF-8 names: counter", typ: Counter, scope: otel(t),
			q:    Query{Metric: "app.orders_total", GroupBy: []string{"order.status", "code"}, Matchers: `"http.route"=~"/api/.*",code!="500"`},
			want: []Target{{`sum by ("order.status", code) (rate({"app.orders_total","service.name"="checkout","http.route"=~"/api/.*",code!="500"}[$__rate_interval]))`, "{{order.status}} {{code}}"}},
		},
		{
			name: "UTF-8 names: histogram", typ: Histogram, scope: otel(t),
			q:    Query{Metric: "http.server.request.duration", GroupBy: []string{"http.route"}, Quantiles: []float64{0.99}},
			want: []Target{{`histogram_quantile(0.99, sum by ("http.route") (rate({"http.server.request.duration","service.name"="checkout"}[$__rate_interval]))) or histogram_quantile(0.99, sum by (le, "http.route") (rate({"http.server.request.duration_bucket","service.name"="checkout"}[$__rate_interval])))`, "{{http.route}} p99"}},
		},
		{
			name: "summary, default max", typ: Summary, scope: demo,
			q: Query{Metric: "go_gc_duration_seconds", Quantiles: []float64{0.75, 1, 0}},
			want: []Target{
				{`max(go_gc_duration_seconds{job="demo",quantile="0.75"})`, "p75"},
				{`max(go_gc_duration_seconds{job="demo",quantile=~"1|1\\.0"})`, "p100"},
				{`max(go_gc_duration_seconds{job="demo",quantile=~"0|0\\.0"})`, "p0"},
			},
		},
		{
			name: "summary, avg by instance", typ: Summary, scope: demo,
			q:    Query{Metric: "rpc_durations_seconds", Aggregation: "avg", GroupBy: []string{"instance"}, Quantiles: []float64{0.99}},
			want: []Target{{`avg by (instance) (rpc_durations_seconds{job="demo",quantile="0.99"})`, "{{instance}} p99"}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Build(c.q, c.typ, c.scope)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Targets, c.want) || !slices.Equal(p.Notices, c.notes) {
				t.Errorf("got %+v\nwant %+v, notices %q", p, c.want, c.notes)
			}
			for _, tg := range p.Targets {
				if _, err := promql.ParseExpr(strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$__interval", "15s").Replace(tg.Expr)); err != nil {
					t.Errorf("%s: %v", tg.Expr, err)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	demo := scopeOf(t, "demo")
	for _, c := range []struct {
		q    Query
		typ  string
		want string
	}{
		{Query{}, Counter, "metric is empty"},
		{Query{Metric: "bad\x00name"}, Counter, `metric: metric name "bad\x00name" has control characters`},
		{Query{Metric: `x{job="a"}`}, Counter, `metric: metric name "x{job=\"a\"}" has braces`},
		{Query{Metric: "demo_active_sessions"}, "", `no metadata for metric "demo_active_sessions": Prometheus has not scraped its type`},
		{Query{Metric: "http_request_duration_seconds_bucket"}, "", "pick its base name without _bucket"},
		{Query{Metric: "demo_active_sessions"}, NoMetadata, `metric "demo_active_sessions" has no known type: this server keeps no metric metadata (as VictoriaMetrics), so only counters named _total can be told; use a promql query for gauges, histograms and summaries`},
		{Query{Metric: "legacy_requests"}, "unknown", `metric "legacy_requests" is untyped (type unknown in its metadata)`},
		{Query{Metric: "build_info"}, "info", `metric "build_info" has type info, which business queries do not support`},
		{Query{Metric: "x_total", Aggregation: "count"}, Counter, `aggregation "count" is not supported: use sum, avg, min or max`},
		{Query{Metric: "x_total", GroupBy: []string{"path", "bad\nlabel"}}, Counter, `groupBy: label name "bad\nlabel" has control characters`},
		{Query{Metric: "x_total", GroupBy: []string{"__name__"}}, Counter, `groupBy: label name "__name__" starts with "__"`},
		{Query{Metric: "latency_seconds", GroupBy: []string{"le"}}, Histogram, `groupBy "le": a histogram cannot be grouped by its own le label`},
		{Query{Metric: "latency_seconds", Aggregation: "max", GroupBy: []string{"quantile"}}, Summary, `a summary cannot be grouped by its own quantile label`},
		{Query{Metric: "x_total", TopN: -1}, Counter, "topN -1 is negative"},
		{Query{Metric: "latency_seconds", Quantiles: []float64{0.5, 99}}, Histogram, "quantile 99 is not between 0 and 1"},
		{Query{Metric: "latency_seconds", Quantiles: []float64{math.NaN()}}, Histogram, "quantile NaN is not between 0 and 1"},
		{Query{Metric: "latency_seconds", Quantiles: []float64{-0.1}}, Summary, "quantile -0.1 is not between 0 and 1"},
		{Query{Metric: "latency_seconds", Aggregation: "sum"}, Summary, "summary quantiles cannot be aggregated with sum; use max, min or avg, or a histogram"},
		{Query{Metric: "x_total", Matchers: `job="a"} or vector(1) or up{b="c"`}, Counter, `matchers "job=\"a\"} or vector(1) or up{b=\"c\"" are not a PromQL label-matcher list like job="demo",path=~"/api/.*": unexpected <op:or>`},
		{Query{Metric: "x_total", Matchers: `path=~"("`}, Counter, ": error parsing regexp: missing closing ): `(`"},
		{Query{Metric: "x_total", Matchers: `path="unterminated`}, Counter, ": unterminated quoted string"},
		{Query{Metric: "x_total", Matchers: `path`}, Counter, `: unexpected "}" in label matching, expected label matching operator`},
		{Query{Metric: "x_total", Matchers: `a="b" c="d"`}, Counter, `: unexpected identifier "c" in label matching, expected "," or "}"`},
		{Query{Metric: "x_total", Matchers: `__name__="y_total"`}, Counter, "the metric name is chosen in the metric field"},
		{Query{Metric: "x_total", Matchers: `__name__=~"x_total|y_total"`}, Counter, "the metric name is chosen in the metric field"},
		{Query{Metric: "x_total", Matchers: `__address__="a"`}, Counter, `label name "__address__" starts with "__"`},
	} {
		if p, err := Build(c.q, c.typ, demo); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Build(%+v, %q) = %+v, %v\nwant an error containing %s", c.q, c.typ, p, err, c.want)
		}
	}
}

// recordedMetadata reads the answer of a real Prometheus 2.42 scraping the demo (itself
// included) to /api/v1/metadata, recorded in testdata/ by e2e's TestBusinessPlans with
// -record: metric name → its entries.
func recordedMetadata(t *testing.T) map[string][]Metadata {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status string                `json:"status"`
		Data   map[string][]Metadata `json:"data"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		t.Fatalf("testdata/metadata.json: status %q, %v", r.Status, err)
	}
	return r.Data
}

// The demo's metrics, typed by what a real Prometheus says about them, give the plans
// that e2e's TestBusinessPlans runs there.
func TestBuildFromRecordedMetadata(t *testing.T) {
	md := recordedMetadata(t)
	demo := scopeOf(t, "demo")
	for _, c := range []struct {
		q        Query
		wantType string
		targets  int
	}{
		{Query{Metric: "http_requests_total", GroupBy: []string{"path", "code"}}, Counter, 1},
		{Query{Metric: "http_requests_total", Matchers: `path=~"/api/.*",code!~"5.."`, TopN: 3, GroupBy: []string{"path"}}, Counter, 1},
		{Query{Metric: "http_request_duration_seconds", GroupBy: []string{"path"}}, Histogram, 3},
		{Query{Metric: "demo_orders_total", GroupBy: []string{"status"}}, Counter, 1},
		{Query{Metric: "demo_payments_total", Aggregation: "max", GroupBy: []string{"status"}}, Counter, 1},
		{Query{Metric: "demo_events_total", GroupBy: []string{"event_type", "page", "element_id"}}, Counter, 1},
		{Query{Metric: "demo_active_sessions", GroupBy: []string{"instance"}}, Gauge, 1},
		// Prometheus exports it too, with another help text: two entries of one type.
		{Query{Metric: "go_gc_duration_seconds", Quantiles: []float64{0.5, 1}}, Summary, 2},
	} {
		entries := md[c.q.Metric]
		if len(entries) == 0 || slices.ContainsFunc(entries, func(m Metadata) bool { return m.Type != entries[0].Type }) {
			t.Errorf("%s: metadata %+v, want entries of one type", c.q.Metric, entries)
			continue
		}
		p, err := Build(c.q, entries[0].Type, demo)
		if err != nil || p.Type != c.wantType || len(p.Targets) != c.targets || len(p.Notices) != 0 {
			t.Errorf("%s: plan %+v, %v; want %d targets of a %s", c.q.Metric, p, err, c.targets, c.wantType)
		}
	}
	// A metric the demo does not export has no metadata: a _total name is read as a
	// counter, with a notice.
	if entries, ok := md["demo_not_exported_total"]; ok {
		t.Fatalf("metadata of an unknown metric: %+v", entries)
	}
	if p, err := Build(Query{Metric: "demo_not_exported_total"}, "", demo); err != nil || p.Type != Counter || len(p.Notices) != 1 {
		t.Errorf("without metadata: %+v, %v", p, err)
	}
}
