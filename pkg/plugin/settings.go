package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/gopulse/health/pkg/alerts"
	"github.com/gopulse/health/pkg/health"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/promname"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/redact"
	"github.com/gopulse/health/pkg/upstream"
)

// Defaults and bounds of the data source settings.
const (
	defaultMaxConcurrentQueries = 4
	maxConcurrentQueriesLimit   = 10 // the SDK's concurrent query helper caps at 10
	defaultMaxUpstreamRequests  = 10
	maxUpstreamRequestsLimit    = 100
	defaultMaxResponseBytes     = 256 << 20
	defaultMaxSamples           = 5_000_000
	defaultCacheTTL             = 15 * time.Second
	defaultCacheMaxBytes        = 64 << 20
)

// jsonData is the non-secret part of the data source settings, as the ConfigEditor
// writes it (src/types.ts GoPulseOptions). Grafana's standard HTTP keys (timeout,
// basicAuth, TLS, custom headers) are read by the SDK's HTTPClientOptions.
type jsonData struct {
	AlertmanagerURL string `json:"alertmanagerUrl"`
	// AlertmanagerUsePrometheusAuth sends Prometheus's credentials, headers and TLS
	// client certificate to the Alertmanager too (off: it has its own settings).
	AlertmanagerUsePrometheusAuth bool              `json:"alertmanagerUsePrometheusAuth"`
	QueryTimeout                  string            `json:"queryTimeout"`
	MaxConcurrentQueries          int               `json:"maxConcurrentQueries"`
	MaxUpstreamRequests           int               `json:"maxUpstreamRequests"`
	MaxResponseBytes              int64             `json:"maxResponseBytes"`
	MaxSamples                    int               `json:"maxSamples"`
	CoalesceRequests              *bool             `json:"coalesceRequests"`
	CacheTTL                      string            `json:"cacheTTL"`
	CacheMaxBytes                 int64             `json:"cacheMaxBytes"`
	ScrapeInterval                string            `json:"scrapeInterval"`
	JobLabel                      string            `json:"jobLabel"`
	InstanceLabel                 string            `json:"instanceLabel"`
	SeverityLabel                 string            `json:"severityLabel"`
	SeverityLevels                map[string]string `json:"severityLevels"`
	expvarJSON
	healthJSON
}

// Settings are a data source's validated settings.
type Settings struct {
	// PrometheusURL is nil for an expvar-only data source (no URL, expvar targets).
	PrometheusURL *url.URL
	// AlertmanagerURL is nil when no Alertmanager is configured.
	AlertmanagerURL      *url.URL
	QueryTimeout         time.Duration
	MaxConcurrentQueries int
	MaxUpstreamRequests  int
	MaxResponseBytes     int64
	MaxSamples           int
	// Sharing is how identical upstream reads share round trips and answers; CacheMaxBytes
	// bounds the answers kept.
	Sharing        upstream.Sharing
	CacheMaxBytes  int64
	ScrapeInterval time.Duration
	JobLabel       string
	InstanceLabel  string
	Levels         alerts.Levels
	Expvar         ExpvarSettings
	Health         health.Settings
	HTTP           httpclient.Options
	// AlertmanagerHTTP are the Alertmanager's connection settings: its own, or
	// Prometheus's when the data source shares them explicitly.
	AlertmanagerHTTP httpclient.Options
	// Secrets are every secret value of the data source (secureJsonData, basic auth) in
	// the forms they travel in: masked in every error, notice and log line.
	Secrets *redact.Secrets
}

// LoadSettings parses and validates the settings of a data source instance. Each error
// names the setting at fault; none carries a secret.
func LoadSettings(ctx context.Context, s backend.DataSourceInstanceSettings) (Settings, error) {
	var jd jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return Settings{}, fmt.Errorf("settings: invalid JSON: %w", err)
		}
	}
	var (
		out Settings
		err error
	)
	if out.Expvar, err = loadExpvar(jd.expvarJSON, s.DecryptedSecureJSONData); err != nil {
		return out, err
	}
	switch {
	case strings.TrimSpace(s.URL) != "":
		if out.PrometheusURL, err = parseServerURL("Prometheus", s.URL); err != nil {
			return out, err
		}
	case len(out.Expvar.DiscoverJobs) > 0:
		return out, fmt.Errorf("settings: the Prometheus URL is required to discover expvar targets (expvarDiscoverJobs)")
	case len(out.Expvar.Targets) == 0:
		return out, fmt.Errorf("settings: the Prometheus URL is required (it is optional only when expvar targets are configured)")
	}
	if strings.TrimSpace(jd.AlertmanagerURL) != "" {
		if out.AlertmanagerURL, err = parseServerURL("Alertmanager", jd.AlertmanagerURL); err != nil {
			return out, err
		}
	}
	if out.QueryTimeout, err = query.ParseDuration(jd.QueryTimeout); err != nil {
		return out, fmt.Errorf("settings: query timeout %q: %w", jd.QueryTimeout, err)
	}
	switch n := jd.MaxConcurrentQueries; {
	case n == 0:
		out.MaxConcurrentQueries = defaultMaxConcurrentQueries
	case n < 1 || n > maxConcurrentQueriesLimit:
		return out, fmt.Errorf("settings: max concurrent queries must be between 1 and %d, not %d", maxConcurrentQueriesLimit, n)
	default:
		out.MaxConcurrentQueries = n
	}
	switch n := jd.MaxUpstreamRequests; {
	case n == 0:
		out.MaxUpstreamRequests = defaultMaxUpstreamRequests
	case n < 1 || n > maxUpstreamRequestsLimit:
		return out, fmt.Errorf("settings: max upstream requests must be between 1 and %d, not %d", maxUpstreamRequestsLimit, n)
	default:
		out.MaxUpstreamRequests = n
	}
	switch n := jd.MaxResponseBytes; {
	case n == 0:
		out.MaxResponseBytes = defaultMaxResponseBytes
	case n < 1<<10:
		return out, fmt.Errorf("settings: max response bytes must be at least 1024, not %d", n)
	default:
		out.MaxResponseBytes = n
	}
	switch n := jd.MaxSamples; {
	case n == 0:
		out.MaxSamples = defaultMaxSamples
	case n < 1000:
		return out, fmt.Errorf("settings: max samples must be at least 1000, not %d", n)
	default:
		out.MaxSamples = n
	}
	if out.Sharing, out.CacheMaxBytes, err = loadSharing(jd); err != nil {
		return out, err
	}
	if out.ScrapeInterval, err = query.ParseDuration(jd.ScrapeInterval); err != nil {
		return out, fmt.Errorf("settings: scrape interval %q: %w", jd.ScrapeInterval, err)
	}
	if out.ScrapeInterval == 0 {
		out.ScrapeInterval = prometheus.DefaultScrapeInterval
	}
	for _, l := range []struct {
		name, value, fallback string
		into                  *string
	}{{"job label", jd.JobLabel, "job", &out.JobLabel}, {"instance label", jd.InstanceLabel, "instance", &out.InstanceLabel}} {
		*l.into = l.fallback
		if l.value != "" {
			if err := promname.CheckLabel(l.value); err != nil {
				return out, fmt.Errorf("settings: %s: %w", l.name, err)
			}
			*l.into = l.value
		}
	}
	if out.Levels, err = alerts.NewLevels(jd.SeverityLabel, jd.SeverityLevels); err != nil {
		return out, fmt.Errorf("settings: severity levels: %w", err)
	}
	if out.Health, err = loadHealth(jd.healthJSON); err != nil {
		return out, err
	}
	if out.HTTP, err = s.HTTPClientOptions(ctx); err != nil {
		return out, fmt.Errorf("settings: HTTP options: %w", err)
	}
	if out.AlertmanagerURL != nil {
		if out.AlertmanagerHTTP, err = alertmanagerHTTP(ctx, s, jd.AlertmanagerUsePrometheusAuth, out.HTTP); err != nil {
			return out, err
		}
	}
	out.Secrets = secretsOf(s.DecryptedSecureJSONData, out.HTTP.BasicAuth, out.AlertmanagerHTTP.BasicAuth)
	for _, t := range out.Expvar.Targets {
		if t.BasicAuthUser != "" {
			out.Secrets.AddBasicAuth(t.BasicAuthUser, t.Auth.Password)
		}
	}
	return out, nil
}

// loadSharing reads the settings of shared upstream reads: coalescing on unless
// coalesceRequests is false, answers kept for cacheTTL (default 15s, "0s": none kept),
// at most cacheMaxBytes of them (default 64 MiB).
func loadSharing(jd jsonData) (upstream.Sharing, int64, error) {
	s := upstream.Sharing{Coalesce: jd.CoalesceRequests == nil || *jd.CoalesceRequests, TTL: defaultCacheTTL}
	if strings.TrimSpace(jd.CacheTTL) != "" {
		ttl, err := query.ParseDuration(jd.CacheTTL)
		switch {
		case err != nil:
			return s, 0, fmt.Errorf("settings: cache TTL %q: %w", jd.CacheTTL, err)
		case ttl < 0 || ttl > 10*time.Minute:
			return s, 0, fmt.Errorf("settings: cache TTL must be between 0s (nothing kept) and 10m, not %s", jd.CacheTTL)
		}
		s.TTL = ttl
	}
	switch n := jd.CacheMaxBytes; {
	case n == 0:
		return s, defaultCacheMaxBytes, nil
	case n < 0:
		return s, 0, fmt.Errorf("settings: cache max bytes must not be negative, not %d", n)
	}
	return s, jd.CacheMaxBytes, nil
}

// secretsOf collects the secrets to mask: every secureJsonData value (a header value
// "Bearer TOKEN" also as TOKEN alone) and the basic-auth credentials.
func secretsOf(secure map[string]string, basic ...*httpclient.BasicAuthOptions) *redact.Secrets {
	values := make([]string, 0, 2*len(secure))
	for _, v := range secure {
		values = append(values, v)
		if _, token, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			values = append(values, strings.TrimSpace(token))
		}
	}
	out := redact.New(values...)
	for _, b := range basic {
		if b != nil {
			out.AddBasicAuth(b.User, b.Password)
		}
	}
	return out
}

// parseServerURL validates the base URL of a server: absolute, http or https, with a host.
// Errors quote the URL without its user information.
func parseServerURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("settings: the %s URL is not a valid URL", name)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("settings: the %s URL %q must start with http:// or https://", name, u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("settings: the %s URL %q has no host", name, u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("settings: the %s URL %q must not have a query or fragment", name, u.Redacted())
	case u.User != nil:
		// Credentials in a URL travel wherever the URL is shown: logs, spans, messages.
		return nil, fmt.Errorf("settings: the %s URL %q must not carry credentials (user:password@): use basic auth", name, u.Redacted())
	}
	return u, nil
}
