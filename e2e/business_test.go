package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/business"
	"github.com/gopulse/health/pkg/scope"
)

// businessMetadata fetches the metadata of metric from /api/v1/metadata, as the data source's
// metadata resource does: nil when Prometheus has none.
func businessMetadata(t *testing.T, base, metric string) []business.Metadata {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, body, err := harness.HTTPGet(ctx, base+"/api/v1/metadata?"+url.Values{"metric": {metric}}.Encode())
	if err != nil || code != 200 {
		t.Fatalf("metadata of %s: HTTP %d %v: %.200s", metric, code, err, body)
	}
	var r struct {
		Data map[string][]business.Metadata `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("metadata of %s: %v", metric, err)
	}
	var out []business.Metadata
	for name, list := range r.Data {
		for _, md := range list {
			md.Metric = name
			out = append(out, md)
		}
	}
	return out
}

// TestBusinessPlans builds the demo's business queries from the metadata of a real
// Prometheus scraping the demo under load, and runs them there. With -record, that
// Prometheus's metadata is written to pkg/business/testdata for the unit tests.
func TestBusinessPlans(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, NoAlertmanager: true, Prometheus: harness.PrometheusOptions{NoProvisionedRules: true}})
	demo, err := scope.NewSelector("demo", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q        business.Query
		wantType string
		targets  int
	}{
		{business.Query{Metric: "http_requests_total", GroupBy: []string{"path", "code"}}, business.Counter, 1},
		{business.Query{Metric: "http_requests_total", Matchers: `path=~"/api/.*",code!~"5.."`, TopN: 3, GroupBy: []string{"path"}}, business.Counter, 1},
		{business.Query{Metric: "http_request_duration_seconds", GroupBy: []string{"path"}}, business.Histogram, 3},
		{business.Query{Metric: "demo_orders_total", GroupBy: []string{"status"}}, business.Counter, 1},
		{business.Query{Metric: "demo_payments_total", Aggregation: "max", GroupBy: []string{"status"}}, business.Counter, 1},
		{business.Query{Metric: "demo_events_total", GroupBy: []string{"event_type", "page", "element_id"}}, business.Counter, 1},
		{business.Query{Metric: "demo_active_sessions", GroupBy: []string{"instance"}}, business.Gauge, 1},
		{business.Query{Metric: "go_gc_duration_seconds", Quantiles: []float64{0.5, 1}}, business.Summary, 2},
	} {
		t.Run(c.q.Metric, func(t *testing.T) {
			// Prometheus scrapes itself too: go_gc_duration_seconds has two entries
			// (other help texts), of one type.
			var md []business.Metadata
			harness.Eventually(t, harness.ScrapeTimeout, 250*time.Millisecond, "metadata of "+c.q.Metric, func() error {
				md = businessMetadata(t, s.Prometheus.URL, c.q.Metric)
				if len(md) == 0 || slices.ContainsFunc(md, func(m business.Metadata) bool { return m.Type != md[0].Type }) {
					return fmt.Errorf("metadata %+v, want entries of one type", md)
				}
				return nil
			})
			p, err := business.Build(c.q, md[0].Type, demo)
			if err != nil {
				t.Fatal(err)
			}
			if p.Type != c.wantType || len(p.Targets) != c.targets || len(p.Notices) != 0 {
				t.Fatalf("plan %+v, want %d targets of a %s", p, c.targets, c.wantType)
			}
			for _, tg := range p.Targets {
				expr := strings.NewReplacer("$__rate_interval", "20s", "$__range", "1m", "$__interval", "5s").Replace(tg.Expr)
				harness.Eventually(t, 30*time.Second, 500*time.Millisecond, expr, func() error {
					return checkBusinessAnswer(s.Prometheus.URL, expr, c.q)
				})
			}
		})
	}

	// Top N over a range through the plugin (the business dashboard's "Top elements"): the
	// same N series at every step, however the ranking moves from step to step.
	t.Run("topN over a range", func(t *testing.T) {
		c := harness.StartPlugin(t)
		ds := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"scrapeInterval": "1s"}}
		from := time.Now()
		harness.WaitForQuery(t, s.Prometheus.URL, `count(count by (page, element_id) (demo_events_total{job="demo"})) > 5`, 30*time.Second)
		time.Sleep(10 * time.Second) // some steps for the ranking to move
		resp, err := c.QueryData(context.Background(), ds, harness.Query{RefID: "top", From: from, To: time.Now(), Interval: time.Second, MaxDataPoints: 500,
			Model: map[string]any{"queryType": "business", "metric": "demo_events_total", "groupBy": []string{"page", "element_id"}, "topN": 5, "job": "demo"}})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Responses["top"]
		requireNoError(t, r)
		series := map[string]bool{}
		for _, f := range r.Frames {
			for _, fl := range f.Fields[1:] {
				series[fl.Labels.String()] = true
			}
		}
		if len(series) == 0 || len(series) > 5 {
			t.Errorf("top 5 over the range: %d series %v, want 1 to 5", len(series), series)
		}
	})

	// Without metadata, a _total name still answers as a counter, with a notice.
	if md := businessMetadata(t, s.Prometheus.URL, "demo_not_exported_total"); len(md) != 0 {
		t.Fatalf("metadata of an unknown metric: %+v", md)
	}
	p, err := business.Build(business.Query{Metric: "demo_not_exported_total"}, "", demo)
	if err != nil || len(p.Notices) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if err := checkBusinessAnswer(s.Prometheus.URL, strings.ReplaceAll(p.Targets[0].Expr, "$__rate_interval", "20s"), business.Query{}); err == nil || !strings.Contains(err.Error(), "no series") {
		t.Errorf("an unknown counter: %v, want no series", err)
	}

	if *record {
		code, body, err := harness.HTTPGet(context.Background(), s.Prometheus.URL+"/api/v1/metadata")
		if err != nil || code != 200 {
			t.Fatalf("metadata: HTTP %d %v", code, err)
		}
		recordBody(t, body, "pkg", "business", "testdata", "metadata.json")
	}
}

// checkBusinessAnswer runs expr once: some series, each with the grouping labels, at
// least one value finite (a quantile of a path without traffic in the window is NaN).
func checkBusinessAnswer(base, expr string, q business.Query) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := harness.PromQuery(ctx, base, expr)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fmt.Errorf("no series")
	}
	if q.TopN > 0 && len(got) > q.TopN {
		return fmt.Errorf("%d series, want at most %d", len(got), q.TopN)
	}
	finite := false
	for _, smp := range got {
		for _, l := range q.GroupBy {
			if smp.Metric[l] == "" {
				return fmt.Errorf("a series without %s: %v", l, smp.Metric)
			}
		}
		if len(smp.Metric) != len(q.GroupBy) {
			return fmt.Errorf("labels %v, want only %v", smp.Metric, q.GroupBy)
		}
		str, _ := smp.Value[1].(string)
		if v, err := strconv.ParseFloat(str, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 {
			finite = true
		}
	}
	if !finite {
		return fmt.Errorf("no finite value: %v", got)
	}
	return nil
}
