package plugin

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/telemetry"
)

// newExpvarPoller makes the poller of the data source's expvar targets, with its own
// HTTP client: the SDK's default middlewares (tracing, metrics, user agent) but for
// basic auth and custom headers, so that the Prometheus credentials are never sent to
// services; each answer is bounded, and a redirect to another host is refused. labels
// are the data source's (its type, name and UID, for the SDK's request metrics and
// spans). The poller logs through l and records into m.
func newExpvarPoller(s ExpvarSettings, labels map[string]string, discover func(context.Context) ([]goexpvar.Target, error), l log.Logger, m goexpvar.Metrics) (*goexpvar.Poller, *http.Transport, error) {
	var transport *http.Transport
	limits := s.Poller.Limits.WithDefaults()
	var mws []httpclient.Middleware
	for _, mw := range httpclient.DefaultMiddlewares() {
		if n, ok := mw.(httpclient.MiddlewareName); ok && slices.Contains([]string{httpclient.BasicAuthenticationMiddlewareName, httpclient.CustomHeadersMiddlewareName}, n.MiddlewareName()) {
			continue
		}
		mws = append(mws, mw)
	}
	hc, err := httpclient.New(httpclient.Options{
		Timeouts:           &httpclient.TimeoutOptions{Timeout: s.Poller.Timeout},
		Labels:             labels,
		Middlewares:        withResponseLimit(mws, limits.MaxBytes+1),
		ConfigureTransport: func(_ httpclient.Options, t *http.Transport) { transport = t },
		ConfigureClient:    sameHostRedirects,
	})
	if err != nil {
		return nil, nil, err
	}
	opts := s.Poller
	opts.Discover, opts.Logger, opts.Metrics = discover, l, m
	return goexpvar.NewPoller(s.Targets, hc, opts), transport, nil
}

// discoverExpvar turns Prometheus's active targets of the configured jobs into expvar
// targets named job/instance, of that job: the scrape URL's scheme and host (with the
// configured port, when set) and the expvar path. Only what Prometheus scrapes is
// reachable, and of that, with an allow-list, only the hosts it names.
func (d *Datasource) discoverExpvar(ctx context.Context) ([]goexpvar.Target, error) {
	// The poller logs discovery failing and working again; each failed request is not.
	active, err := d.prom.ActiveTargets(telemetry.Quiet(ctx))
	if err != nil {
		return nil, err
	}
	s := d.settings.Expvar
	var out []goexpvar.Target
	for _, a := range active {
		job := string(a.Labels[model.LabelName(d.settings.JobLabel)])
		if !slices.Contains(s.DiscoverJobs, job) {
			continue
		}
		u, err := url.Parse(a.ScrapeURL)
		if err != nil || u.Host == "" {
			continue
		}
		if s.DiscoverPort != 0 {
			u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(s.DiscoverPort))
		}
		if !allowedHost(s.DiscoverHosts, u) {
			continue
		}
		instance := string(a.Labels[model.LabelName(d.settings.InstanceLabel)])
		target := url.URL{Scheme: u.Scheme, Host: u.Host, Path: s.Path}
		out = append(out, goexpvar.Target{Name: job + "/" + instance, URL: target.String(), Instance: instance, Job: job})
	}
	return out, nil
}

// allowedHost tells whether a discovered URL's host may be polled: every host without
// patterns, else a host:port or a host that one of the patterns matches.
func allowedHost(patterns []string, u *url.URL) bool {
	if len(patterns) == 0 {
		return true
	}
	return slices.ContainsFunc(patterns, func(p string) bool {
		a, _ := path.Match(p, u.Host)
		b, _ := path.Match(p, u.Hostname())
		return a || b
	})
}
