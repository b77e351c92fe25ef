package business

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
)

// metadata fetches the metadata of metric from /api/v1/metadata, as the data source's
// metadata resource does: nil when Prometheus has none.
func metadata(t *testing.T, base, metric string) []Metadata {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, body, err := harness.HTTPGet(ctx, base+"/api/v1/metadata?"+url.Values{"metric": {metric}}.Encode())
	if err != nil || code != 200 {
		t.Fatalf("metadata of %s: HTTP %d %v: %.200s", metric, code, err, body)
	}
	var r struct {
		Data map[string][]Metadata `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("metadata of %s: %v", metric, err)
	}
	var out []Metadata
	for name, list := range r.Data {
		for _, md := range list {
			md.Metric = name
			out = append(out, md)
		}
	}
	return out
}

// TestAgainstDemo builds the demo's business queries from the metadata of a real
// Prometheus scraping the demo under load, and runs them there.
func TestAgainstDemo(t *testing.T) {
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, NoAlertmanager: true, Prometheus: harness.PrometheusOptions{NoProvisionedRules: true}})
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
		{Query{Metric: "go_gc_duration_seconds", Quantiles: []float64{0.5, 1}}, Summary, 2},
	} {
		t.Run(c.q.Metric, func(t *testing.T) {
			// Prometheus scrapes itself too: go_gc_duration_seconds has two entries
			// (other help texts), of one type.
			var md []Metadata
			harness.Eventually(t, harness.ScrapeTimeout, 250*time.Millisecond, "metadata of "+c.q.Metric, func() error {
				md = metadata(t, s.Prometheus.URL, c.q.Metric)
				if len(md) == 0 || slices.ContainsFunc(md, func(m Metadata) bool { return m.Type != md[0].Type }) {
					return fmt.Errorf("metadata %+v, want entries of one type", md)
				}
				return nil
			})
			p, err := Build(c.q, md[0].Type, demo)
			if err != nil {
				t.Fatal(err)
			}
			if p.Type != c.wantType || len(p.Targets) != c.targets || len(p.Notices) != 0 {
				t.Fatalf("plan %+v, want %d targets of a %s", p, c.targets, c.wantType)
			}
			for _, tg := range p.Targets {
				expr := strings.ReplaceAll(tg.Expr, "$__rate_interval", "20s")
				harness.Eventually(t, 30*time.Second, 500*time.Millisecond, expr, func() error {
					return check(s.Prometheus.URL, expr, c.q)
				})
			}
		})
	}

	// Without metadata, a _total name still answers as a counter, with a notice.
	if md := metadata(t, s.Prometheus.URL, "demo_not_exported_total"); len(md) != 0 {
		t.Fatalf("metadata of an unknown metric: %+v", md)
	}
	p, err := Build(Query{Metric: "demo_not_exported_total"}, "", demo)
	if err != nil || len(p.Notices) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if err := check(s.Prometheus.URL, strings.ReplaceAll(p.Targets[0].Expr, "$__rate_interval", "20s"), Query{}); err == nil || !strings.Contains(err.Error(), "no series") {
		t.Errorf("an unknown counter: %v, want no series", err)
	}
}

// check runs expr once: some series, each with the grouping labels, at least one value
// finite (a quantile of a path without traffic in the window is NaN).
func check(base, expr string, q Query) error {
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
