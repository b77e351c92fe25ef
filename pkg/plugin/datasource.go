// Package plugin is GoPulse's thin plugin layer: settings, one instance per data source,
// query dispatch by query type, resources and the health check. The work itself lives in
// the domain packages (prometheus, alertmanager, ...).
package plugin

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/concurrent"

	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/telemetry"
	"github.com/gopulse/health/pkg/upstream"
)

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured GoPulse data source.
type Datasource struct {
	// settingsErr is set when the settings are invalid: the instance still exists so that
	// the health check and every query can say what is wrong.
	settingsErr error
	settings    Settings
	// transports are the HTTP clients' transports, closed with the instance.
	transports []*http.Transport
	// prom is nil for an expvar-only data source (no Prometheus URL).
	prom      *prometheus.Client
	am        *alertmanager.Client
	mux       *datasource.QueryTypeMux
	resources backend.CallResourceHandler
	// shared are the upstream answers shared between identical reads (Prometheus and
	// Alertmanager), answers the answers of identical queries; resourceCache the resource
	// answers (editor autocomplete).
	shared        *upstream.Cache[*upstream.Answer]
	answers       *upstream.Cache[backend.DataResponse]
	resourceCache *upstream.Cache[encodedAnswer]
	// expvar polls the expvar targets (nil without targets); its transport is closed
	// with the instance.
	expvar          *goexpvar.Poller
	expvarTransport *http.Transport
	// log masks the data source's secrets; metrics are the data source's series.
	log     log.Logger
	metrics *telemetry.Metrics
}

// NewDatasource is the instance factory: Grafana's instance manager calls it once per data
// source (and again when its settings change; the old instance is disposed a few seconds
// later). It logs through log.DefaultLogger.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return newDatasource(ctx, s, log.DefaultLogger)
}

// newDatasource makes an instance that logs through logger.
func newDatasource(ctx context.Context, s backend.DataSourceInstanceSettings, logger log.Logger) (instancemgmt.Instance, error) {
	settings, err := LoadSettings(ctx, s)
	if err != nil {
		return &Datasource{settingsErr: err}, nil
	}
	d := &Datasource{settings: settings, log: settings.Secrets.Logger(logger)}
	d.shared = upstream.NewCache(settings.CacheMaxBytes, upstream.AnswerSize)
	d.answers = upstream.NewCache(settings.CacheMaxBytes, answerSize)
	hc, err := d.httpClient(settings.HTTP)
	if err != nil {
		return nil, fmt.Errorf("HTTP client: %w", err)
	}
	if settings.PrometheusURL != nil {
		if d.prom, err = prometheus.New(settings.PrometheusURL, hc, prometheus.Options{
			QueryTimeout: settings.QueryTimeout,
			Limits:       prometheus.Limits{MaxSamples: settings.MaxSamples},
			Secrets:      settings.Secrets,
			Logger:       d.log,
		}); err != nil {
			return nil, fmt.Errorf("Prometheus client: %w", err)
		}
	}
	if settings.AlertmanagerURL != nil {
		amc, err := d.httpClient(settings.AlertmanagerHTTP)
		if err != nil {
			return nil, fmt.Errorf("Alertmanager HTTP client: %w", err)
		}
		d.am = alertmanager.New(settings.AlertmanagerURL, amc, settings.Secrets)
	}
	d.metrics = telemetry.Open(s.UID)
	d.shared.Hits, d.shared.Shares, d.shared.Misses = d.metrics.UpstreamReads()
	if settings.Expvar.enabled() {
		var discover func(context.Context) ([]goexpvar.Target, error)
		if len(settings.Expvar.DiscoverJobs) > 0 {
			discover = d.discoverExpvar
		}
		if d.expvar, d.expvarTransport, err = newExpvarPoller(settings.Expvar, settings.HTTP.Labels, discover, d.log, d.metrics.Expvar()); err != nil {
			d.metrics.Close()
			return nil, fmt.Errorf("expvar client: %w", err)
		}
	}
	d.mux = datasource.NewQueryTypeMux()
	d.mux.HandleFunc(string(query.TypePromQL), d.perQuery(d.withPrometheus(d.queryPromQL)))
	d.mux.HandleFunc(string(query.TypeRuntime), d.perQuery(d.queryRuntime))
	d.mux.HandleFunc(string(query.TypeBusiness), d.perQuery(d.withPrometheus(d.queryBusiness)))
	d.mux.HandleFunc(string(query.TypeAlerts), d.perQuery(d.withPrometheus(d.queryAlerts)))
	d.mux.HandleFunc(string(query.TypeExpvar), d.perQuery(d.queryExpvar))
	d.mux.HandleFunc(string(query.TypeHealth), d.perQuery(d.queryHealth))
	d.mux.HandleFunc(string(query.TypeVariable), d.perQuery(d.queryVariable))
	d.mux.HandleFunc("", d.perQuery(d.queryFallback))
	d.resources = d.newResources()
	d.resourceCache = upstream.NewCache(resourceCacheBytes, encodedSize)
	d.resourceCache.Hits, d.resourceCache.Misses = d.metrics.Cache()
	d.resourceCache.Shares = d.resourceCache.Hits
	return d, nil
}

// httpClient makes an HTTP client of the instance from opts: the SDK's default
// middlewares, shared reads (after the middlewares that set headers, so that the
// credentials and forwarded identity are part of what identical means; before the
// response limit, which bounds what they read), the response limit, the bound of the
// requests in flight, and redirects only to the same host.
func (d *Datasource) httpClient(opts httpclient.Options) (*http.Client, error) {
	mws := withResponseLimit(append([]httpclient.Middleware{d.logFailures()}, httpclient.DefaultMiddlewares()...), d.settings.MaxResponseBytes)
	mws = slices.Insert(mws, len(mws)-1, upstream.SharedReadsMiddleware(d.settings.Sharing, d.shared))
	opts.Middlewares = append(mws, upstream.LimitMiddleware())
	// The middleware chain hides the transport from http.Client.CloseIdleConnections:
	// keep it, so that Dispose closes the instance's connections.
	opts.ConfigureTransport = func(_ httpclient.Options, t *http.Transport) { d.transports = append(d.transports, t) }
	opts.ConfigureClient = sameHostRedirects
	return httpclient.New(opts)
}

// withResponseLimit replaces the SDK's default (unlimited) response-limit middleware with
// one bounded by the data source's limit, so no answer can grow memory without bound.
func withResponseLimit(mws []httpclient.Middleware, limit int64) []httpclient.Middleware {
	out := make([]httpclient.Middleware, 0, len(mws))
	for _, m := range mws {
		if n, ok := m.(httpclient.MiddlewareName); ok && n.MiddlewareName() == httpclient.ResponseLimitMiddlewareName {
			continue
		}
		out = append(out, m)
	}
	return append(out, httpclient.ResponseLimitMiddleware(limit))
}

// Dispose releases the instance's connections when its settings change or it is deleted.
func (d *Datasource) Dispose() {
	if d.expvar != nil {
		d.expvar.Stop()
	}
	if d.metrics != nil {
		d.metrics.Close()
	}
	for _, t := range append(d.transports, d.expvarTransport) {
		if t != nil {
			t.CloseIdleConnections()
		}
	}
}

// QueryData answers every query of a request on its own: queries run concurrently (bounded
// by the data source's max concurrent queries, their upstream requests by its max
// upstream requests), each dispatched by its query type, and a failing query never takes
// the others down. No answer carries a secret.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	if d.settingsErr != nil {
		res := backend.NewQueryDataResponse()
		for _, q := range req.Queries {
			res.Responses[q.RefID] = response.Response(nil, response.BadInput(d.settingsErr))
		}
		return res, nil
	}
	ctx = upstream.WithLimit(ctx, d.settings.MaxUpstreamRequests)
	return concurrent.QueryData(ctx, req, func(ctx context.Context, q concurrent.Query) backend.DataResponse {
		one := &backend.QueryDataRequest{PluginContext: q.PluginContext, Headers: req.Headers, Queries: []backend.DataQuery{q.DataQuery}}
		res, err := d.mux.QueryData(ctx, one)
		if err != nil {
			return d.maskResponse(response.Response(nil, err))
		}
		return res.Responses[q.DataQuery.RefID]
	}, d.settings.MaxConcurrentQueries)
}

// perQuery adapts a one-query function to the mux's handler type. The mux is only ever
// given one query at a time (see QueryData).
func (d *Datasource) perQuery(fn func(context.Context, backend.DataQuery) backend.DataResponse) backend.QueryDataHandlerFunc {
	return func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		res := backend.NewQueryDataResponse()
		for _, q := range req.Queries {
			ctx, span := telemetry.StartQuery(ctx, q)
			r := d.sharedAnswer(ctx, req.Headers, q, func(ctx context.Context) backend.DataResponse {
				return d.maskResponse(fn(ctx, q)) // the SDK logs the error; so does the span
			})
			telemetry.EndQuery(span, r, d.settings.InstanceLabel)
			res.Responses[q.RefID] = r
		}
		return res, nil
	}
}
