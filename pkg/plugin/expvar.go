package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
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
// targets named job/instance: the scrape URL's scheme and host (with the configured
// port, when set) and the expvar path. Only what Prometheus scrapes is reachable.
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
		instance := string(a.Labels[model.LabelName(d.settings.InstanceLabel)])
		target := url.URL{Scheme: u.Scheme, Host: u.Host, Path: s.Path}
		out = append(out, goexpvar.Target{Name: job + "/" + instance, URL: target.String(), Instance: instance})
	}
	return out, nil
}

var errNoTargets = errors.New("no expvar targets are configured for this data source: add targets or jobs to discover in its settings")

// queryExpvar answers an expvar query: variables of targets (by name, or all) matching
// paths (with wildcards), latest values as a table, or their history as time series.
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
		return response.Response(nil, response.BadInput(errNoTargets))
	}
	targets, err := d.expvarTargets(model.Targets)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	patterns := make([]goexpvar.Pattern, len(model.Paths))
	for i, p := range model.Paths {
		if patterns[i], err = goexpvar.ParsePath(p); err != nil {
			return response.Response(nil, response.BadInput(err))
		}
	}
	d.expvar.Start(ctx)
	var fr data.Frames
	var notices []data.Notice
	for _, t := range targets {
		vars, st, _ := d.expvar.Latest(t.Name)
		if !st.Up {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("expvar target %s is down: %s", t.Name, st.LastError)})
		}
		matched := matching(vars, patterns)
		if model.Mode != query.ExpvarLatest {
			fr = append(fr, d.expvarHistory(t, matched, q.TimeRange, model.Mode == query.ExpvarRate, &notices)...)
		} else {
			fr = appendLatest(fr, t, matched)
		}
	}
	if len(fr) == 0 {
		// No data: one frame of the mode's type without fields (the data plane's empty answer).
		meta := &data.FrameMeta{Type: data.FrameTypeTable}
		if model.Mode != query.ExpvarLatest {
			meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		}
		fr = data.Frames{data.NewFrame("expvar").SetMeta(meta)}
	}
	for _, n := range notices {
		addNotice(fr[0], n)
	}
	return response.Response(fr, nil)
}

func (d *Datasource) expvarTargets(names []string) ([]goexpvar.Target, error) {
	all := d.expvar.Targets()
	if len(names) == 0 {
		return all, nil
	}
	out := make([]goexpvar.Target, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(all, func(t goexpvar.Target) bool { return t.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, t := range all {
				known[j] = t.Name
			}
			return nil, fmt.Errorf("expvar target %q is not configured: known targets are %s", n, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

func matching(vars []goexpvar.Var, patterns []goexpvar.Pattern) []goexpvar.Var {
	var out []goexpvar.Var
	for _, v := range vars {
		for _, p := range patterns {
			if p.Match(v.Path) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// appendLatest adds a target's matched variables to the one latest table (made on the
// first call): target, instance, path, value (numbers and bools) and text (strings).
func appendLatest(fr data.Frames, t goexpvar.Target, vars []goexpvar.Var) data.Frames {
	if len(fr) == 0 {
		fr = data.Frames{data.NewFrame("expvar",
			data.NewField("target", nil, []string{}),
			data.NewField("instance", nil, []string{}),
			data.NewField("path", nil, []string{}),
			data.NewField("value", nil, []*float64{}),
			data.NewField("text", nil, []string{}),
		).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})}
	}
	f := fr[0]
	for _, v := range vars {
		var num *float64
		text := v.Str
		if v.Kind == goexpvar.KindNumber || v.Kind == goexpvar.KindBool {
			n := v.Num
			num, text = &n, ""
		}
		f.AppendRow(t.Name, t.Instance, v.Path.String(), num, text)
	}
	return fr
}

// expvarHistory makes one time series per matched numeric variable from the poller's
// history (or its per-second rate, counter resets skipped), noting when the range
// reaches past what is kept.
func (d *Datasource) expvarHistory(t goexpvar.Target, vars []goexpvar.Var, tr backend.TimeRange, rate bool, notices *[]data.Notice) data.Frames {
	var out data.Frames
	cut := false
	for _, v := range vars {
		if v.Kind != goexpvar.KindNumber && v.Kind != goexpvar.KindBool {
			*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s %s is a %s, not a number: it has no history (use mode latest)", t.Name, v.Path, v.Kind)})
			continue
		}
		path := v.Path.String()
		times, values, truncated := d.expvar.History().Range(goexpvar.SeriesKey{Target: t.Name, Path: path}, tr.From, tr.To)
		cut = cut || truncated
		if rate {
			times, values = perSecond(times, values)
		}
		value := data.NewField("Value", data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Name + " " + path}
		out = append(out, data.NewFrame("", data.NewField("Time", nil, times), value).SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}))
	}
	if cut {
		*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityInfo,
			Text: fmt.Sprintf("the range starts before the history kept for %s (polled every %s, kept %s)", t.Name, d.settings.Expvar.Poller.Interval, d.settings.Expvar.Poller.History.Retention.Round(time.Second))})
	}
	return out
}
