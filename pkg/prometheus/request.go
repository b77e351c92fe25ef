package prometheus

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// Request is the time context of one Grafana query: its range, the panel's interval and
// max data points, and the data source's scrape interval (behind $__rate_interval).
type Request struct {
	From, To       time.Time
	Interval       time.Duration
	MaxDataPoints  int64
	ScrapeInterval time.Duration
}

// NewRequest is the time context of q for a data source scraped every scrapeInterval.
func NewRequest(q backend.DataQuery, scrapeInterval time.Duration) Request {
	return Request{From: q.TimeRange.From, To: q.TimeRange.To, Interval: q.Interval, MaxDataPoints: q.MaxDataPoints, ScrapeInterval: scrapeInterval}
}

// Macros are Grafana's interval and range variables of the request run with step.
func (r Request) Macros(step time.Duration) Macros {
	return Macros{Interval: step, Range: r.To.Sub(r.From), ScrapeInterval: r.ScrapeInterval}
}

// RangeFrames runs range queries over the request's range, with the step and macros every
// query type shares, and returns their frames in order (with a notice when the step had
// to be raised). A range that cannot be stepped is the query's fault.
func (c *Client) RangeFrames(ctx context.Context, req Request, minStep time.Duration, queries ...Query) (data.Frames, error) {
	r, err := StepRange(req.From, req.To, req.Interval, req.MaxDataPoints, minStep)
	if err != nil {
		return nil, response.BadInput(err)
	}
	macros := req.Macros(r.Step)
	var out data.Frames
	for _, pq := range queries {
		pq.Expr = macros.Expand(pq.Expr)
		fr, err := c.QueryRange(ctx, pq, r)
		if err != nil {
			return out, err
		}
		out = append(out, fr...)
	}
	if n := StepNotice(r, req.From, req.To, req.Interval, req.MaxDataPoints, minStep); n != "" && len(out) > 0 {
		response.AddNotice(out[0], data.Notice{Severity: data.NoticeSeverityInfo, Text: n})
	}
	return out, nil
}

// Run answers a promql query: a range query, an instant query at the end of the range,
// or both, with Grafana's macros expanded here so that alert rules and panels agree.
func (c *Client) Run(ctx context.Context, model query.PromQL, minStep time.Duration, req Request) (data.Frames, error) {
	pq := Query{Expr: model.Expr, LegendFormat: model.LegendFormat, Format: model.Format}
	var out data.Frames
	if model.Ranged() {
		var err error
		if out, err = c.RangeFrames(ctx, req, minStep, pq); err != nil {
			return out, err
		}
	}
	if model.Instant {
		r, err := StepRange(req.From, req.To, req.Interval, req.MaxDataPoints, minStep)
		if err != nil {
			return out, response.BadInput(err)
		}
		pq.Expr = req.Macros(r.Step).Expand(pq.Expr)
		fr, err := c.QueryInstant(ctx, pq, req.To)
		if err != nil {
			return out, err
		}
		out = append(out, fr...)
	}
	return out, nil
}
