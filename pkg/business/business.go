// Package business turns a business query (a service's own metric, an aggregation, a
// grouping) into PromQL chosen by the metric's type in Prometheus's metadata:
//
//   - counter: <agg> by (groupBy) (rate(m{sel}[$__rate_interval]));
//   - gauge: <agg> by (groupBy) (m{sel});
//   - histogram: one expression per quantile, over the native histogram where the
//     metric has one, else over the classic buckets:
//     histogram_quantile(q, sum by (groupBy) (rate(m{sel}[$__rate_interval])))
//     or histogram_quantile(q, sum by (le, groupBy) (rate(m_bucket{sel}[$__rate_interval])));
//     buckets are always summed, the aggregation does not apply;
//   - summary: one expression per quantile, <agg> by (groupBy) (m{sel, quantile="q"}),
//     with max, min or avg only: summary quantiles cannot be summed (max by default);
//   - topN > 0 keeps the N series of each expression that rank highest over the whole
//     range (their mean at the range's end, `topk(N, avg_over_time((e)[$__range:$__interval] @ end()))`)
//     and plots those at every step: the same N series across the range, where a
//     per-step topk would show every series that was ever in the top N.
//
// The selector is the scope (scope.NewSelector) and the user's label matchers, parsed
// with the PromQL parser and written back canonically, so that no text the user typed
// reaches the expression unparsed. A metric without metadata is an error, unless its
// name ends in _total: then it is read as a counter and Plan.Notices says so. The same
// holds on a server that keeps no metadata at all (metric type NoMetadata), with messages
// that say so. Metric and label names that are not classic are written in Prometheus 3's
// quoted-name syntax (package promname).
// $__rate_interval, $__range and $__interval are left for the caller to expand.
package business

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/gopulse/health/pkg/promname"
	"github.com/gopulse/health/pkg/scope"
)

// Metadata is what Prometheus's /api/v1/metadata says about one metric.
type Metadata struct {
	Metric string `json:"metric"`
	Type   string `json:"type"`
	Help   string `json:"help"`
	Unit   string `json:"unit"`
}

// Metric types of the metadata that Build reads.
const (
	Counter   = "counter"
	Gauge     = "gauge"
	Histogram = "histogram"
	Summary   = "summary"
	// NoMetadata is no type: the server keeps no metric metadata at all.
	NoMetadata = "(no metadata)"
)

// Query is the part of a business query that decides its expressions.
type Query struct {
	Metric      string    `json:"metric"`
	Aggregation string    `json:"aggregation,omitempty"` // sum, avg, min or max; sum by default (max for summaries)
	GroupBy     []string  `json:"groupBy,omitempty"`
	Quantiles   []float64 `json:"quantiles,omitempty"` // histograms and summaries; DefaultQuantiles when empty
	TopN        int       `json:"topN,omitempty"`      // 0: every series
	Matchers    string    `json:"matchers,omitempty"`  // e.g. job="demo",path=~"/api/.*"
}

// DefaultQuantiles are the quantiles of a histogram or summary query that names none.
var DefaultQuantiles = []float64{0.5, 0.9, 0.99}

// Target is one expression to run and the legend of its series.
type Target struct {
	Expr   string
	Legend string
}

// Plan is what a query runs.
type Plan struct {
	Type    string // the metric type the expressions are built for
	Targets []Target
	// Notices are for the user: a type inferred without metadata, an aggregation that
	// does not apply.
	Notices []string
}

// Build makes the expressions of q for a metric of type metricType ("" when Prometheus
// has no metadata for it, NoMetadata when the server keeps none) in the scope.
func Build(q Query, metricType string, in scope.Selector) (Plan, error) {
	m := q.Metric
	if m == "" {
		return Plan{}, errors.New("metric is empty: pick a metric")
	}
	if err := promname.CheckMetric(m); err != nil {
		return Plan{}, fmt.Errorf("metric: %w", err)
	}
	plan := Plan{Type: metricType}
	switch metricType {
	case Counter, Gauge, Histogram, Summary:
	case "":
		if !strings.HasSuffix(m, "_total") {
			return Plan{}, fmt.Errorf("no metadata for metric %q: Prometheus has not scraped its type (not exposed recently, or exposed without # TYPE); for a histogram or summary, pick its base name without _bucket, _sum or _count", m)
		}
		plan.Type = Counter
		plan.Notices = append(plan.Notices, fmt.Sprintf("Prometheus has no metadata for %s: it is read as a counter because its name ends in _total", m))
	case NoMetadata:
		if !strings.HasSuffix(m, "_total") {
			return Plan{}, fmt.Errorf("metric %q has no known type: this server keeps no metric metadata (as VictoriaMetrics), so only counters named _total can be told; use a promql query for gauges, histograms and summaries", m)
		}
		plan.Type = Counter
		plan.Notices = append(plan.Notices, fmt.Sprintf("This server keeps no metric metadata (as VictoriaMetrics): %s is read as a counter because its name ends in _total", m))
	case "unknown":
		return Plan{}, fmt.Errorf("metric %q is untyped (type unknown in its metadata): GoPulse cannot tell whether to take its rate or its value; use a promql query", m)
	default:
		return Plan{}, fmt.Errorf("metric %q has type %s, which business queries do not support: use a promql query", m, metricType)
	}

	agg := q.Aggregation
	switch agg {
	case "":
		agg = "sum"
		if plan.Type == Summary {
			agg = "max"
		}
	case "sum", "avg", "min", "max":
	default:
		return Plan{}, fmt.Errorf("aggregation %q is not supported: use sum, avg, min or max", q.Aggregation)
	}
	var groupBy []string
	for _, l := range q.GroupBy {
		if err := promname.CheckLabel(l); err != nil {
			return Plan{}, fmt.Errorf("groupBy: %w", err)
		}
		if (plan.Type == Histogram && l == "le") || (plan.Type == Summary && l == "quantile") {
			return Plan{}, fmt.Errorf("groupBy %q: a %s cannot be grouped by its own %s label, each quantile is its own expression", l, plan.Type, l)
		}
		if !slices.Contains(groupBy, l) {
			groupBy = append(groupBy, l)
		}
	}
	if q.TopN < 0 {
		return Plan{}, fmt.Errorf("topN %d is negative: use 0 for every series, or N for the N largest", q.TopN)
	}
	sel, err := selector(in.Matchers, q.Matchers, m)
	if err != nil {
		return Plan{}, err
	}
	quantiles := q.Quantiles
	if len(quantiles) == 0 {
		quantiles = DefaultQuantiles
	}
	for _, v := range quantiles {
		if !(v >= 0 && v <= 1) {
			return Plan{}, fmt.Errorf("quantile %v is not between 0 and 1 (0.99 is the 99th percentile)", v)
		}
	}

	legend := legendOf(groupBy)
	by := agg
	if len(groupBy) > 0 {
		by += " by (" + promname.Labels(groupBy...) + ") "
	}
	switch plan.Type {
	case Counter:
		plan.add(q.TopN, fmt.Sprintf("%s(rate(%s[$__rate_interval]))", by, promname.Selector(m, sel)), or(legend, m))
	case Gauge:
		plan.add(q.TopN, fmt.Sprintf("%s(%s)", by, promname.Selector(m, sel)), or(legend, m))
	case Histogram:
		if agg != "sum" {
			plan.Notices = append(plan.Notices, fmt.Sprintf("aggregation %s does not apply to the histogram %s: its buckets are summed before each quantile", agg, m))
		}
		native := "sum"
		if len(groupBy) > 0 {
			native += " by (" + promname.Labels(groupBy...) + ")"
		}
		for _, v := range quantiles {
			// The native histogram where there is one (Prometheus 3 scraping it), else
			// the classic buckets, group by group.
			expr := fmt.Sprintf("histogram_quantile(%[1]s, %[2]s (rate(%[3]s[$__rate_interval]))) or histogram_quantile(%[1]s, sum by (%[4]s) (rate(%[5]s[$__rate_interval])))",
				formatFloat(v), native, promname.Selector(m, sel),
				promname.Labels(append([]string{"le"}, groupBy...)...), promname.Selector(m+"_bucket", sel))
			plan.add(q.TopN, expr, strings.TrimSpace(legend+" "+percentile(v)))
		}
	case Summary:
		if agg == "sum" {
			return Plan{}, errors.New("summary quantiles cannot be aggregated with sum; use max, min or avg, or a histogram")
		}
		for _, v := range quantiles {
			expr := fmt.Sprintf("%s(%s)", by, promname.Selector(m, join(sel, quantileMatcher(v))))
			plan.add(q.TopN, expr, strings.TrimSpace(legend+" "+percentile(v)))
		}
	}
	return plan, nil
}

func (p *Plan) add(topN int, expr, legend string) {
	if topN > 0 {
		expr = fmt.Sprintf("(%[2]s) and topk(%[1]d, avg_over_time((%[2]s)[$__range:$__interval] @ end()))", topN, expr)
	}
	p.Targets = append(p.Targets, Target{Expr: expr, Legend: legend})
}

// selector joins the scope and the user's matchers, parsed and written back canonically.
func selector(within, user, metric string) (string, error) {
	if strings.TrimSpace(user) == "" {
		return within, nil
	}
	ms, err := scope.ParseMatchers(metric, user)
	if err != nil {
		return "", fmt.Errorf("matchers %q are not a PromQL label-matcher list like job=\"demo\",path=~\"/api/.*\": %v", user, err)
	}
	out := []string{within}
	for _, m := range ms {
		switch {
		case m.Name == labels.MetricName && m.Type == labels.MatchEqual && m.Value == metric:
			// the metric itself
		case m.Name == labels.MetricName:
			return "", fmt.Errorf("matchers %q: the metric name is chosen in the metric field, not with %s", user, labels.MetricName)
		default:
			if err := promname.CheckLabel(m.Name); err != nil {
				return "", fmt.Errorf("matchers %q: %w", user, err)
			}
			out = append(out, m.String())
		}
	}
	return join(out...), nil
}

// quantileMatcher selects a summary's quantile. Prometheus 2 stores the label as the
// client wrote it (Go: "1"); Prometheus 3 normalises whole numbers to "1.0".
func quantileMatcher(q float64) string {
	v := formatFloat(q)
	if q == math.Trunc(q) {
		return "quantile=~" + strconv.Quote(v+`|`+v+`\.0`)
	}
	return "quantile=" + strconv.Quote(v)
}

// join joins matcher lists, skipping empty ones.
func join(lists ...string) string {
	return strings.Join(slices.DeleteFunc(lists, func(s string) bool { return s == "" }), ",")
}

func legendOf(groupBy []string) string {
	parts := make([]string, len(groupBy))
	for i, l := range groupBy {
		parts[i] = "{{" + l + "}}"
	}
	return strings.Join(parts, " ")
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// percentile names a quantile for legends: p50, p99, p99.9.
func percentile(q float64) string { return fmt.Sprintf("p%.4g", q*100) }
