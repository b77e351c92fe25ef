package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/business"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/health"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
)

// The query types' handlers: each parses its model, checks what is the data source's to
// check (the scope's label names, the time range), and hands the query to its domain
// package with the sources it reads.

// queryRuntime answers a runtime query (pkg/goruntime).
func (d *Datasource) queryRuntime(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseRuntime(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	if err := query.CheckRange(q.TimeRange.From, q.TimeRange.To); err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	sel, err := d.selector(model.Job, model.Instance)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	src := goruntime.Sources{Prometheus: d.prom}
	if d.expvar != nil {
		src.Expvar = d.expvar
	}
	return response.Response(goruntime.Run(ctx, src, sel, model, d.request(q)))
}

// queryBusiness answers a business query (pkg/business).
func (d *Datasource) queryBusiness(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseBusiness(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	sel, err := d.selector(model.Job, model.Instance)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	return response.Response(business.Run(ctx, d.prom, sel, model, d.request(q)))
}

// selector is the scope of a query, with the data source's job and instance label names.
func (d *Datasource) selector(job, instance string) (scope.Selector, error) {
	return scope.NewSelector(job, instance, d.settings.JobLabel, d.settings.InstanceLabel)
}

// request is the time context of q, with the data source's scrape interval.
func (d *Datasource) request(q backend.DataQuery) prometheus.Request {
	return prometheus.NewRequest(q, d.settings.ScrapeInterval)
}

// queryHealth answers a health query (pkg/health).
func (d *Datasource) queryHealth(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseHealth(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	if err := query.CheckRange(q.TimeRange.From, q.TimeRange.To); err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	sel, err := d.selector(model.Job, model.Instance)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	src := health.Sources{Prometheus: d.prom}
	if d.am != nil {
		src.Alertmanager = d.am
	}
	if d.expvar != nil {
		src.Expvar = d.expvar
	}
	cfg := health.Config{Settings: d.settings.Health, Levels: d.settings.Levels, ExpvarInterval: d.settings.Expvar.Poller.Interval}
	return response.Response(health.Run(ctx, src, cfg, sel, model, d.request(q)))
}
