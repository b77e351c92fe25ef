package business

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
)

// Prometheus is what a business query reads: the metric's metadata, then range queries.
type Prometheus interface {
	Metadata(ctx context.Context, metric string) ([]prometheus.Metadata, bool, error)
	KeepsMetadata(ctx context.Context) (bool, error)
	RangeFrames(ctx context.Context, req prometheus.Request, minStep time.Duration, queries ...prometheus.Query) (data.Frames, error)
}

// Run answers a business query: the metric's type (from Prometheus's metadata) decides
// the expressions (Build), which run over the request's range; Build's notices go on the
// first frame.
func Run(ctx context.Context, prom Prometheus, sel scope.Selector, model query.Business, req prometheus.Request) (data.Frames, error) {
	metricType, err := typeOf(ctx, prom, model.Metric)
	if err != nil {
		return nil, err
	}
	plan, err := Build(Query{
		Metric: model.Metric, Aggregation: string(model.Aggregation), GroupBy: model.GroupBy,
		Quantiles: model.Quantiles, TopN: model.TopN, Matchers: model.Matchers,
	}, metricType, sel)
	if err != nil {
		return nil, response.BadInput(err)
	}
	queries := make([]prometheus.Query, len(plan.Targets))
	for i, t := range plan.Targets {
		queries[i] = prometheus.Query{Expr: t.Expr, LegendFormat: t.Legend}
		if model.LegendFormat != "" {
			queries[i].LegendFormat = model.LegendFormat
		}
	}
	fr, err := prom.RangeFrames(ctx, req, 0, queries...)
	if len(fr) > 0 {
		for _, n := range plan.Notices {
			response.AddNotice(fr[0], data.Notice{Severity: data.NoticeSeverityInfo, Text: n})
		}
	}
	return fr, err
}

// typeOf is the metric's type in the server's metadata: "" when the server has none for
// the metric, NoMetadata when it keeps none for any metric (VictoriaMetrics answers every
// /api/v1/metadata with an empty list) or has no metadata endpoint (404).
func typeOf(ctx context.Context, prom Prometheus, metric string) (string, error) {
	md, _, err := prom.Metadata(ctx, metric)
	switch {
	case prometheus.NotFound(err):
		return NoMetadata, nil
	case err != nil:
		return "", err
	case len(md) > 0:
		return md[0].Type, nil
	}
	keeps, err := prom.KeepsMetadata(ctx)
	if err != nil || keeps {
		return "", err
	}
	return NoMetadata, nil
}
