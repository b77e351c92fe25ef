package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
)

// otelStack is Prometheus scraping the second demo target (demo/cmd/otelapp) as job
// "checkout", with native histograms on. On Prometheus 3 the names keep their dots and the
// targets carry OpenTelemetry's service.name and service.instance.id; Prometheus 2, whose
// names are classic, reads them with underscores (app_orders_total, http_route).
type otelStack struct {
	prom *harness.Prometheus
	app  *harness.OtelApp
	utf8 bool // Prometheus 3: UTF-8 names
}

// startOtelStack starts the stack. A test that needs UTF-8 names (utf8Feature names it)
// is skipped on Prometheus 2, which has none: the suite's Prometheus 3 pass runs it.
func startOtelStack(t *testing.T, utf8Feature string, ruleFiles ...string) *otelStack {
	t.Helper()
	v := harness.PrometheusBinaryVersion(t)
	utf8 := atLeast3(v)
	if !utf8 && utf8Feature != "" {
		t.Skipf("Prometheus %s has no %s, which came with Prometheus 3 (GOPULSE_PROMETHEUS_BIN selects a Prometheus 3 binary)", v, utf8Feature)
	}
	opts := harness.PrometheusOptions{
		NoProvisionedRules: true,
		ExtraRuleFiles:     ruleFiles,
	}
	var appArgs []string
	if utf8 {
		opts.Global = map[string]any{"scrape_native_histograms": true}
	} else {
		// Prometheus 2 refuses UTF-8 label names in its configuration and reads native
		// histograms behind a feature flag.
		appArgs = []string{"-protobuf-utf8=false"}
		opts.ExtraArgs = []string{"--enable-feature=native-histograms"}
	}
	app := harness.StartOtelApp(t, appArgs...)
	opts.Targets = map[string][]string{"checkout": {app.Addr}}
	if utf8 {
		opts.TargetLabels = map[string]map[string]string{"checkout": {"service.name": "checkout", "service.instance.id": app.Addr}}
	}
	prom := harness.StartPrometheus(t, opts)
	if got := prom.Version(t); atLeast3(got) != utf8 {
		t.Fatalf("Prometheus reports version %s, its binary said %s", got, v)
	}
	// A rate needs a few scrapes behind it (the regex matches the name with dots or
	// underscores).
	harness.WaitForQuery(t, prom.URL,
		`sum(rate({__name__=~"app.orders_total"}[1m])) > 0 and on() count_over_time(up{job="checkout"}[1m]) >= 4`, 30*time.Second)
	return &otelStack{prom: prom, app: app, utf8: utf8}
}

// name is an OpenTelemetry name as this Prometheus stores it: as it is on Prometheus 3,
// with underscores for dots on Prometheus 2.
func (s *otelStack) name(n string) string {
	if s.utf8 {
		return n
	}
	return strings.ReplaceAll(n, ".", "_")
}

// atLeast3 tells whether a Prometheus version (3.16.0, 2.42.0+ds) is 3 or newer.
func atLeast3(v string) bool {
	major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 3
}

// settings are the data source's: the job and instance labels are OpenTelemetry's
// resource attributes, and the health join's request counter and error selector are the
// service's own, with dots.
func (s *otelStack) settings() *harness.Settings {
	return &harness.Settings{URL: s.prom.URL, JSONData: map[string]any{
		"jobLabel": "service.name", "instanceLabel": "service.instance.id",
		"healthRequestMetric": "app.orders_total", "healthErrorSelector": `"order.status"="rejected"`,
	}}
}

func rangeQuery(refID string, model map[string]any) harness.Query {
	now := time.Now()
	return harness.Query{RefID: refID, Model: model, From: now.Add(-2 * time.Minute), To: now, Interval: time.Second, MaxDataPoints: 120}
}

// TestUTF8Names runs every query type that takes a metric or label name with names that
// have dots, written in Prometheus 3's quoted-name syntax where PromQL needs it, through
// the plugin binary and the in-process plugin against Prometheus 3.
func TestUTF8Names(t *testing.T) {
	t.Parallel()
	// An alert whose expression and labels have UTF-8 names.
	rules := filepath.Join(t.TempDir(), "checkout-rules.yml")
	if err := os.WriteFile(rules, []byte(`groups:
  - name: checkout
    interval: 1s
    rules:
      - alert: CheckoutRejects
        expr: sum by ("service.name", "service.instance.id") (rate({"app.orders_total","order.status"="rejected"}[10s])) > 0
        labels:
          severity: P2
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startOtelStack(t, "UTF-8 metric and label names", rules)
	harness.WaitForQuery(t, s.prom.URL, `ALERTS{alertname="CheckoutRejects",alertstate="firing"}`, 30*time.Second)
	ds := s.settings()
	queries := []harness.Query{
		rangeQuery("promql", map[string]any{"queryType": "promql", "range": true,
			"expr": `sum by ("order.status") (rate({"app.orders_total"}[1m]))`, "legendFormat": "{{order.status}}"}),
		rangeQuery("business", map[string]any{"queryType": "business", "metric": "app.orders_total",
			"groupBy": []string{"order.status"}, "matchers": `"order.status"="created"`}),
		rangeQuery("business-quantiles", map[string]any{"queryType": "business", "metric": "http.server.request.duration_seconds",
			"groupBy": []string{"http.route"}, "quantiles": []float64{0.5}}),
		rangeQuery("runtime", map[string]any{"queryType": "runtime", "signal": "goroutines", "job": "checkout"}),
		rangeQuery("health", map[string]any{"queryType": "health", "job": "checkout"}),
		rangeQuery("values", map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": "order.status", "match": `{"app.orders_total"}`}}),
		rangeQuery("names", map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_names", "match": `{"app.orders_total"}`}}),
		rangeQuery("metrics", map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "metric_names", "regex": `/^app\..*/`}}),
		rangeQuery("alerts", map[string]any{"queryType": "alerts", "matchers": `"service.name"="checkout"`}),
		rangeQuery("alerts-other", map[string]any{"queryType": "alerts", "matchers": `"service.name"=~"pay.*"`}),
		rangeQuery("reserved", map[string]any{"queryType": "business", "metric": "app.orders_total", "groupBy": []string{"__address__"}}),
	}
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			resp, err := p.client.QueryData(ctx, ds, queries...)
			if err != nil {
				t.Fatalf("QueryData: %v", err)
			}
			t.Run("promql", func(t *testing.T) {
				got := displayNames(t, resp.Responses["promql"])
				if !slices.Equal(got, []string{"created", "rejected"}) {
					t.Errorf("series %q, want created and rejected (legend {{order.status}})", got)
				}
			})
			t.Run("business", func(t *testing.T) {
				r := resp.Responses["business"]
				if got := displayNames(t, r); !slices.Equal(got, []string{"created"}) {
					t.Errorf("series %q, want created alone", got)
				}
				if v := lastValue(t, r.Frames[0]); !(v > 0) {
					t.Errorf("orders created per second %v, want > 0", v)
				}
			})
			t.Run("business quantiles", func(t *testing.T) {
				r := resp.Responses["business-quantiles"]
				got := displayNames(t, r)
				if !slices.Equal(got, []string{"/api/cart p50", "/api/checkout p50"}) {
					t.Fatalf("series %q, want a median per http.route", got)
				}
				// The service's medians: about 4 ms and 120 ms (uniform from half to
				// one and a half times).
				for i, want := range []float64{0.004, 0.120} {
					if v := lastValue(t, r.Frames[i]); !(v > want/2 && v < want*2) {
						t.Errorf("%s = %v s, want about %v", got[i], v, want)
					}
				}
			})
			t.Run("runtime", func(t *testing.T) {
				// The default legend is the instance label: service.instance.id.
				if got := displayNames(t, resp.Responses["runtime"]); !slices.Equal(got, []string{s.app.Addr}) {
					t.Errorf("series %q, want the instance %s", got, s.app.Addr)
				}
			})
			t.Run("health", func(t *testing.T) {
				r := resp.Responses["health"]
				requireNoError(t, r)
				f := r.Frames[0]
				row := map[string]any{}
				for _, fld := range f.Fields {
					if f.Rows() != 1 {
						t.Fatalf("health table: %d rows, want the one instance", f.Rows())
					}
					row[fld.Name], _ = fld.ConcreteAt(0)
				}
				if row["instance"] != s.app.Addr || row["job"] != "checkout" {
					t.Errorf("health row instance %v job %v, want %s and checkout", row["instance"], row["job"], s.app.Addr)
				}
				if row["up"] != 1.0 {
					t.Errorf("health up = %v, want 1", row["up"])
				}
				// One checkout in ten is rejected.
				if v, ok := row["error_ratio"].(float64); !ok || v < 0.02 || v > 0.3 {
					t.Errorf("health error ratio %v, want about 0.1 (rejected orders)", row["error_ratio"])
				}
			})
			t.Run("variables", func(t *testing.T) {
				if got := texts(t, resp.Responses["values"]); !slices.Equal(got, []string{"created", "rejected"}) {
					t.Errorf("label_values order.status = %q", got)
				}
				if got := texts(t, resp.Responses["names"]); !slices.Contains(got, "order.status") || !slices.Contains(got, "service.name") {
					t.Errorf("label_names = %q, want order.status and service.name among them", got)
				}
				if got := texts(t, resp.Responses["metrics"]); !slices.Equal(got, []string{"app.clock.offset_seconds", "app.orders_total"}) {
					t.Errorf("metric_names /^app\\..*/ = %q", got)
				}
			})
			t.Run("alerts", func(t *testing.T) {
				if got := texts(t, resp.Responses["alerts"], "alertname"); !slices.Equal(got, []string{"CheckoutRejects"}) {
					t.Errorf("alerts of service.name checkout: %q, want CheckoutRejects", got)
				}
				if got := texts(t, resp.Responses["alerts-other"], "alertname"); len(got) != 0 {
					t.Errorf("alerts of service.name pay.*: %q, want none", got)
				}
			})
			t.Run("reserved label refused alone", func(t *testing.T) {
				r := resp.Responses["reserved"]
				if r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), `"__address__" starts with "__"`) {
					t.Errorf("groupBy __address__: %d %v, want 400 naming the reserved label", r.Status, r.Error)
				}
			})
			t.Run("autocomplete resources", func(t *testing.T) {
				for path, want := range map[string]string{
					"label-values?label=" + url.QueryEscape("order.status"):                                                                           "created",
					"labels?" + url.Values{"match[]": {`{"app.orders_total"}`}}.Encode():                                                              "order.status",
					"metrics?match=" + url.QueryEscape(`app\..*`):                                                                                     "app.orders_total",
					"label-values?label=" + url.QueryEscape("http.route") + "&match[]=" + url.QueryEscape(`{"http.server.request.duration_seconds"}`): "/api/checkout",
				} {
					rr, err := p.client.CallResource(ctx, ds, http.MethodGet, path, nil)
					if err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					var list []string
					if rr.Status != http.StatusOK || rr.JSON(&list) != nil || !slices.Contains(list, want) {
						t.Errorf("%s: HTTP %d %s, want %q among the names", path, rr.Status, rr.Body, want)
					}
				}
			})
		})
	}
}

// displayNames are the display names of an answer's value fields, sorted.
func displayNames(t *testing.T, r backend.DataResponse) []string {
	t.Helper()
	requireNoError(t, r)
	var out []string
	for _, f := range r.Frames {
		for _, fld := range f.Fields {
			if fld.Type().Numeric() && fld.Config != nil {
				out = append(out, fld.Config.DisplayNameFromDS)
			}
		}
	}
	slices.Sort(out)
	return out
}

// lastValue is the last non-null value of a frame's number field.
func lastValue(t *testing.T, f *data.Frame) float64 {
	t.Helper()
	for _, fld := range f.Fields {
		if !fld.Type().Numeric() {
			continue
		}
		for i := fld.Len() - 1; i >= 0; i-- {
			if v, ok := fld.ConcreteAt(i); ok {
				if x, ok := v.(float64); ok {
					return x
				}
			}
		}
	}
	t.Fatalf("frame %s has no value", describeFields(f))
	return 0
}

// texts are the values of a string field (text by default: a variable answer's) of an
// answer of one frame, sorted.
func texts(t *testing.T, r backend.DataResponse, field ...string) []string {
	t.Helper()
	requireNoError(t, r)
	name := "text"
	if len(field) > 0 {
		name = field[0]
	}
	var out []string
	if len(r.Frames) == 1 {
		if fld, _ := r.Frames[0].FieldByName(name); fld != nil {
			for i := range fld.Len() {
				out = append(out, fld.At(i).(string))
			}
		}
	}
	slices.Sort(out)
	return out
}
