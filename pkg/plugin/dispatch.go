package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/alerts"
	"github.com/gopulse/health/pkg/business"
	"github.com/gopulse/health/pkg/goexpvar"
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

// errNoPrometheus answers the queries and resources that only Prometheus can answer, on
// an expvar-only data source.
var errNoPrometheus = errors.New("this data source has no Prometheus URL: it answers expvar queries, runtime and health queries from its expvar targets, and expvar variables; set the Prometheus URL in its settings for the others")

// withPrometheus refuses a query on a data source without Prometheus.
func (d *Datasource) withPrometheus(fn func(context.Context, backend.DataQuery) backend.DataResponse) func(context.Context, backend.DataQuery) backend.DataResponse {
	return func(ctx context.Context, q backend.DataQuery) backend.DataResponse {
		if d.prom == nil {
			return response.Response(nil, response.BadInput(errNoPrometheus))
		}
		return fn(ctx, q)
	}
}

// queryRuntime answers a runtime query (pkg/goruntime).
func (d *Datasource) queryRuntime(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, sel, err := scoped(d, q, query.ParseRuntime, true)
	if err != nil {
		return response.Response(nil, err)
	}
	src := goruntime.Sources{Paths: d.settings.Expvar.SignalPaths}
	if d.prom != nil {
		src.Prometheus = d.prom
	}
	if d.expvar != nil {
		src.Expvar = d.expvar
	}
	return response.Response(goruntime.Run(ctx, src, sel, model, d.request(q)))
}

// queryBusiness answers a business query (pkg/business).
func (d *Datasource) queryBusiness(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, sel, err := scoped(d, q, query.ParseBusiness, false)
	if err != nil {
		return response.Response(nil, err)
	}
	return response.Response(business.Run(ctx, d.prom, sel, model, d.request(q)))
}

// scoped parses the model of a query with a scope, checks its time range when it reads
// one, and makes its scope with the data source's label names. Errors are the query's
// fault.
func scoped[M query.Scoped](d *Datasource, q backend.DataQuery, parse func(json.RawMessage) (M, error), ranged bool) (M, scope.Selector, error) {
	model, err := parse(q.JSON)
	if err != nil {
		return model, scope.Selector{}, response.BadInput(err)
	}
	if ranged {
		if err := query.CheckRange(q.TimeRange.From, q.TimeRange.To); err != nil {
			return model, scope.Selector{}, response.BadInput(err)
		}
	}
	sel, err := d.selector(model.Scope())
	if err != nil {
		return model, scope.Selector{}, response.BadInput(err)
	}
	return model, sel, nil
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
	model, sel, err := scoped(d, q, query.ParseHealth, true)
	if err != nil {
		return response.Response(nil, err)
	}
	var src health.Sources
	if d.prom != nil {
		src.Prometheus = d.prom
	}
	if d.am != nil {
		src.Alertmanager = d.am
	}
	if d.expvar != nil {
		src.Expvar = d.expvar
	}
	cfg := health.Config{Settings: d.settings.Health, Levels: d.settings.Levels, ExpvarInterval: d.settings.Expvar.Poller.Interval, ExpvarPaths: d.settings.Expvar.SignalPaths}
	return response.Response(health.Run(ctx, src, cfg, sel, model, d.request(q)))
}

// queryFallback answers queries whose type has no handler. A query without a type is
// a PromQL query (as in Grafana's Prometheus data source).
func (d *Datasource) queryFallback(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	if q.QueryType == "" {
		return d.withPrometheus(d.queryPromQL)(ctx, q)
	}
	return response.Response(nil, response.BadInput(fmt.Errorf("unknown query type %q: use one of promql, runtime, business, expvar, alerts, health", q.QueryType)))
}

// queryPromQL answers a promql query (pkg/prometheus).
func (d *Datasource) queryPromQL(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, minStep, err := query.ParsePromQL(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	return response.Response(d.prom.Run(ctx, model, minStep, d.request(q)))
}

// queryAlerts answers an alerts query (pkg/alerts).
func (d *Datasource) queryAlerts(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseAlerts(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	return response.Response(alerts.Run(ctx, d.alertSources(), model, d.settings.Levels, d.request(q)))
}

// alertSources are Prometheus and, when configured, the Alertmanager.
func (d *Datasource) alertSources() alerts.Sources {
	src := alerts.Sources{Prometheus: d.prom}
	if d.am != nil {
		src.Alertmanager = d.am
	}
	return src
}

// queryExpvar answers an expvar query (pkg/goexpvar).
func (d *Datasource) queryExpvar(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseExpvar(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	if model.Mode != query.ExpvarLatest {
		if err := query.CheckRange(q.TimeRange.From, q.TimeRange.To); err != nil {
			return response.Response(nil, response.BadInput(err))
		}
	}
	if d.expvar == nil {
		return response.Response(nil, response.BadInput(goexpvar.ErrNoTargets))
	}
	return response.Response(goexpvar.Run(ctx, d.expvar, model, q.TimeRange.From, q.TimeRange.To, d.settings.Expvar.Poller))
}
