package plugin

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{
		URL:                     "http://prometheus:9090/prom",
		BasicAuthEnabled:        true,
		BasicAuthUser:           "grafana",
		JSONData:                []byte(`{"alertmanagerUrl":"https://am:9093","queryTimeout":"45s","maxConcurrentQueries":6,"timeout":12,"httpHeaderName1":"X-Scope-OrgID"}`),
		DecryptedSecureJSONData: map[string]string{"basicAuthPassword": "s3cret", "httpHeaderValue1": "tenant-a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case s.PrometheusURL.String() != "http://prometheus:9090/prom":
		t.Errorf("Prometheus URL %v", s.PrometheusURL)
	case s.AlertmanagerURL == nil || s.AlertmanagerURL.Host != "am:9093":
		t.Errorf("Alertmanager URL %v", s.AlertmanagerURL)
	case s.QueryTimeout != 45*time.Second, s.MaxConcurrentQueries != 6, s.MaxResponseBytes != defaultMaxResponseBytes:
		t.Errorf("limits %+v", s)
	case s.HTTP.Timeouts.Timeout != 12*time.Second:
		t.Errorf("HTTP timeout %v", s.HTTP.Timeouts.Timeout)
	case s.HTTP.BasicAuth == nil || s.HTTP.BasicAuth.Password != "s3cret":
		t.Errorf("basic auth not taken from secureJsonData")
	case s.HTTP.Header.Get("X-Scope-OrgID") != "tenant-a":
		t.Errorf("custom header %v", s.HTTP.Header)
	}
}

// An expvar-only data source: no Prometheus URL; each target's credentials come from
// secureJsonData under its own name, its job and paths from expvarTargetOptions, and
// the data source's signal paths apply to every target.
func TestLoadSettingsExpvarOnly(t *testing.T) {
	s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{
		JSONData: []byte(`{
			"expvarTargets": [{"name": "api", "url": "http://api:8080"}, {"name": "web", "url": "http://web:6060/vars", "job": "web", "headers": ["X-Api-Key"]}],
			"expvarTargetOptions": {"api": {"job": "api", "basicAuthUser": "ops", "paths": {"goroutines": "app.NumGoroutine"}}},
			"expvarSignalPaths": {"heap_alloc": "mem.heap"},
			"expvarDiscoverHosts": ["*.internal", "10.0.0.*:6060"]
		}`),
		DecryptedSecureJSONData: map[string]string{"expvarTargetPassword.api": "pw-0123456", "expvarTargetToken.web": "tok-0123456", "expvarTargetHeader.web.X-Api-Key": "key-0123456"},
	})
	if err != nil {
		t.Fatal(err)
	}
	api, web := s.Expvar.Targets[0], s.Expvar.Targets[1]
	switch {
	case s.PrometheusURL != nil:
		t.Errorf("Prometheus URL %v, want none", s.PrometheusURL)
	case api.URL != "http://api:8080/debug/vars" || api.Job != "api" || api.BasicAuthUser != "ops" || api.Auth.Password != "pw-0123456" || api.Paths["goroutines"] != "app.NumGoroutine":
		t.Errorf("api %+v", api)
	case web.Job != "web" || web.Auth.Token != "tok-0123456" || web.Auth.Headers["X-Api-Key"] != "key-0123456" || web.BasicAuthUser != "":
		t.Errorf("web %+v", web)
	case s.Expvar.SignalPaths["heap_alloc"] != "mem.heap" || len(s.Expvar.DiscoverHosts) != 2:
		t.Errorf("expvar settings %+v", s.Expvar)
	case strings.Contains(s.Secrets.String("pw-0123456 tok-0123456 key-0123456"), "0123456"):
		t.Errorf("the targets' secrets are not masked: %q", s.Secrets.String("pw-0123456 tok-0123456 key-0123456"))
	}
}

// A discovered target is polled only when an allow-list pattern matches its host:port
// or its host.
func TestAllowedHost(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://api.internal:6060": true, "http://10.0.0.7:6060": true, "http://10.0.0.7:9100": false, "http://evil.example:6060": false,
	} {
		u, _ := url.Parse(raw)
		if got := allowedHost([]string{"*.internal", "10.0.0.*:6060"}, u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
	if u, _ := url.Parse("http://any:1"); !allowedHost(nil, u) {
		t.Error("no pattern must allow every host")
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	cases := []struct {
		url, jsonData, want string
	}{
		{"", `{}`, "the Prometheus URL is required (it is optional only when expvar targets are configured)"},
		{"", `{"expvarDiscoverJobs":["api"]}`, "the Prometheus URL is required to discover expvar targets"},
		{"", `{"expvarTargets":[{"name":"api","url":"http://api:8080"}],"expvarSignalPaths":{"gorutines":"g"}}`, `data source signal paths: unknown runtime signal "gorutines"`},
		{"", `{"expvarTargets":[{"name":"api","url":"http://api:8080"}],"expvarSignalPaths":{"threads":"t"}}`, "signal threads has no expvar equivalent"},
		{"", `{"expvarTargets":[{"name":"api","url":"http://api:8080","paths":{"goroutines":"app.*"}}]}`, `expvar target api signal paths: goroutines: "app.*" must name one value`},
		{"", `{"expvarTargets":[{"name":"api","url":"http://api:8080"}],"expvarTargetOptions":{"web":{"job":"x"}}}`, `expvar target options for "web": there is no such target`},
		{"", `{"expvarTargets":[{"name":"api","url":"http://api:8080","headers":["Bad Name"]}]}`, `header name "Bad Name" is not valid`},
		{"http://p:9090", `{"expvarDiscoverHosts":["[a-"]}`, `expvar discovery host pattern "[a-" is not a valid pattern`},
		{"ftp://prom:21", `{}`, `the Prometheus URL "ftp://prom:21" must start with http:// or https://`},
		{"prometheus:9090", `{}`, "must start with http:// or https://"},
		{"http://", `{}`, "has no host"},
		{"http://p:9090/?x=1", `{}`, "must not have a query"},
		{"http://admin:hunter2@p:9090\x7f", `{}`, "not a valid URL"},
		{"http://p:9090", `{"alertmanagerUrl":"am:9093"}`, "the Alertmanager URL"},
		{"http://admin:hunter2@p:9090", `{}`, `the Prometheus URL "http://admin:xxxxx@p:9090" must not carry credentials (user:password@): use basic auth`},
		{"http://p:9090", `{"alertmanagerUrl":"http://am:s3cr3t@am:9093"}`, "the Alertmanager URL \"http://am:xxxxx@am:9093\" must not carry credentials"},
		{"http://p:9090", `{"expvarTargets":[{"name":"api","url":"http://u:p4ss@api:8080"}]}`, "must not carry credentials"},
		{"http://p:9090", `{"queryTimeout":"soon"}`, `query timeout "soon"`},
		{"http://p:9090", `{"maxConcurrentQueries":11}`, "between 1 and 10, not 11"},
		{"http://p:9090", `{"maxConcurrentQueries":-1}`, "between 1 and 10, not -1"},
		{"http://p:9090", `{"maxUpstreamRequests":101}`, "max upstream requests must be between 1 and 100, not 101"},
		{"http://p:9090", `{"maxUpstreamRequests":-1}`, "max upstream requests must be between 1 and 100, not -1"},
		{"http://p:9090", `{"maxResponseBytes":10}`, "at least 1024"},
		{"http://p:9090", `{"cacheTTL":"soon"}`, `cache TTL "soon"`},
		{"http://p:9090", `{"cacheTTL":"1h"}`, "cache TTL must be between 0s (nothing kept) and 10m, not 1h"},
		{"http://p:9090", `{"cacheMaxBytes":-1}`, "cache max bytes must not be negative, not -1"},
		{"http://p:9090", `{"coalesceRequests":"no"}`, "invalid JSON"},
		{"http://p:9090", `{"maxConcurrentQueries":"four"}`, "invalid JSON"},
		{"http://p:9090", `{"severityLevels":{"sev1":"urgent"}}`, `severity levels: severity "sev1" maps to "urgent"`},
		{"http://p:9090", `{"healthRequestMetric":"http_requests_total{code=\"500\"}"}`, `health request metric: metric name "http_requests_total{code=\"500\"}" has braces`},
		{"http://p:9090", `{"healthErrorSelector":"code=5xx"}`, `health error selector "code=5xx" is not a label-matcher list`},
		{"http://p:9090", `{"healthGrowthWindow":"1s"}`, `health growth window "1s" must be a duration of at least 10s`},
		{"http://p:9090", `{"healthAlertCritical":"high"}`, `health alert level: "high" is not a P-level`},
		{"http://p:9090", `{"healthThresholds":{"latency_p99":{"warning":1,"critical":0.5}}}`, "health thresholds: latency_p99 warning 1 is above its critical 0.5"},
		{"http://p:9090", `{"healthThresholds":{"latency_p99":{"warning":1}}}`, "latency_p99 warning 1 is above its critical 0.5 (with the defaults of the bounds not set)"},
	}
	for _, c := range cases {
		_, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: c.url, JSONData: []byte(c.jsonData)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("url %q jsonData %s: error %v, want %q", c.url, c.jsonData, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q leaks a password", err)
		}
	}
	_, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "ftp://admin:hunter2@p:21"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one that does not show the password", err)
	}
}

// Grafana's HTTP settings component can store a cleared timeout as null.
func TestLoadSettingsNullTimeout(t *testing.T) {
	s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "http://p:9090", JSONData: []byte(`{"timeout":null,"alertmanagerUrl":""}`)})
	if err != nil || s.AlertmanagerURL != nil || s.MaxConcurrentQueries != defaultMaxConcurrentQueries || s.MaxUpstreamRequests != defaultMaxUpstreamRequests {
		t.Fatalf("settings %+v, %v", s, err)
	}
}

func TestExpvarSettings(t *testing.T) {
	s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "http://p:9090", JSONData: []byte(
		`{"expvarTargets":[{"name":"api","url":"http://api:6060"},{"name":"web","url":"https://web:443/vars","instance":"web-1"}],"expvarPollInterval":"2s"}`)})
	if err != nil {
		t.Fatal(err)
	}
	ts := s.Expvar.Targets
	if len(ts) != 2 || ts[0].URL != "http://api:6060/debug/vars" || ts[0].Instance != "api:6060" || ts[1].URL != "https://web:443/vars" || ts[1].Instance != "web-1" {
		t.Errorf("targets %+v", ts)
	}
	if s.Expvar.Poller.Interval != 2*time.Second || s.Expvar.Poller.Timeout != 5*time.Second || s.Expvar.Poller.History.Retention != time.Hour {
		t.Errorf("poller %+v", s.Expvar.Poller)
	}
	for jd, want := range map[string]string{
		`{"expvarTargets":[{"url":"http://a"}]}`:                                          "expvar target 1 has no name",
		`{"expvarTargets":[{"name":"a","url":"http://a"},{"name":"a","url":"http://b"}]}`: `expvar target name "a" is used twice`,
		`{"expvarTargets":[{"name":"a","url":"file:///etc/passwd"}]}`:                     "must start with http:// or https://",
		`{"expvarPollInterval":"1ms"}`:                                                    "at least 100ms",
		`{"expvarConcurrency":1000}`:                                                      "between 1 and 256",
	} {
		if _, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "http://p:9090", JSONData: []byte(jd)}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", jd, err, want)
		}
	}
}

func TestHealthSettings(t *testing.T) {
	s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "http://p:9090",
		JSONData: []byte(`{"healthLatencyMetric":"rpc_seconds_bucket","healthGrowthWindow":"1m","healthThresholds":{"latency_p99":{"critical":2}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Health
	if h.RequestMetric != "http_requests_total" || h.ErrorSelector != `code=~"5.."` || h.LatencyMetric != "rpc_seconds" || h.GrowthWindow != time.Minute || h.AlertCritical != "P1" {
		t.Errorf("health settings %+v", h)
	}
	if *h.Thresholds["latency_p99"].Warning != 0.25 || *h.Thresholds["latency_p99"].Critical != 2 || *h.Thresholds["goroutines"].Warning != 10000 {
		t.Errorf("thresholds: the settings replace the defaults one bound at a time: %v", h.Thresholds)
	}
}

func TestAlertmanagerHasItsOwnConnectionSettings(t *testing.T) {
	base := backend.DataSourceInstanceSettings{
		URL:              "http://prometheus:9090",
		BasicAuthEnabled: true,
		BasicAuthUser:    "grafana",
		DecryptedSecureJSONData: map[string]string{
			"basicAuthPassword": "prom-pass", "httpHeaderValue1": "Bearer prom-token",
			"alertmanagerBasicAuthPassword": "am-pass", "alertmanagerHttpHeaderValue1": "am-tenant",
		},
	}
	cases := []struct {
		name, jsonData string
		check          func(t *testing.T, s Settings)
	}{
		{"none of its own: nothing of Prometheus's", `{"alertmanagerUrl":"http://am:9093","httpHeaderName1":"Authorization","timeout":12}`, func(t *testing.T, s Settings) {
			if s.AlertmanagerHTTP.BasicAuth != nil || len(s.AlertmanagerHTTP.Header) != 0 {
				t.Errorf("Alertmanager got Prometheus's credentials: basic %+v, headers %v", s.AlertmanagerHTTP.BasicAuth, s.AlertmanagerHTTP.Header)
			}
		}},
		{"its own", `{"alertmanagerUrl":"http://am:9093","httpHeaderName1":"Authorization","alertmanagerBasicAuth":true,"alertmanagerBasicAuthUser":"am-user","alertmanagerHttpHeaderName1":"X-Scope-OrgID","alertmanagerTimeout":7,"alertmanagerTlsSkipVerify":true}`, func(t *testing.T, s Settings) {
			am := s.AlertmanagerHTTP
			switch {
			case am.BasicAuth == nil || am.BasicAuth.User != "am-user" || am.BasicAuth.Password != "am-pass":
				t.Errorf("Alertmanager basic auth %+v, want am-user / am-pass", am.BasicAuth)
			case am.Header.Get("X-Scope-OrgID") != "am-tenant" || am.Header.Get("Authorization") != "":
				t.Errorf("Alertmanager headers %v, want only X-Scope-OrgID: am-tenant", am.Header)
			case am.Timeouts.Timeout != 7*time.Second:
				t.Errorf("Alertmanager timeout %v, want 7s", am.Timeouts.Timeout)
			case am.TLS == nil || !am.TLS.InsecureSkipVerify:
				t.Errorf("Alertmanager TLS %+v, want skip verify", am.TLS)
			case s.HTTP.BasicAuth == nil || s.HTTP.BasicAuth.Password != "prom-pass" || s.HTTP.Header.Get("Authorization") != "Bearer prom-token":
				t.Errorf("Prometheus settings changed: %+v %v", s.HTTP.BasicAuth, s.HTTP.Header)
			}
		}},
		{"sharing Prometheus's, explicitly", `{"alertmanagerUrl":"http://am:9093","httpHeaderName1":"Authorization","alertmanagerUsePrometheusAuth":true}`, func(t *testing.T, s Settings) {
			am := s.AlertmanagerHTTP
			if am.BasicAuth == nil || am.BasicAuth.Password != "prom-pass" || am.Header.Get("Authorization") != "Bearer prom-token" {
				t.Errorf("shared settings not given to the Alertmanager: %+v %v", am.BasicAuth, am.Header)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			in.JSONData = []byte(c.jsonData)
			s, err := LoadSettings(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, s)
			for _, secret := range []string{"prom-pass", "prom-token", "am-pass", "am-tenant"} {
				if strings.Contains(s.Secrets.String("echo: "+secret), secret) {
					t.Errorf("secret %q is not masked", secret)
				}
			}
		})
	}
}

// Shared upstream reads: on by default (15 s, 64 MiB), turned down by cacheTTL and
// cacheMaxBytes, off with coalesceRequests false.
func TestSharingSettings(t *testing.T) {
	for jd, want := range map[string]struct {
		coalesce bool
		ttl      time.Duration
		bytes    int64
	}{
		`{}`:                {true, 15 * time.Second, 64 << 20},
		`{"cacheTTL":"0s"}`: {true, 0, 64 << 20},
		`{"cacheTTL":"5s","cacheMaxBytes":1048576}`: {true, 5 * time.Second, 1 << 20},
		`{"coalesceRequests":false}`:                {false, 15 * time.Second, 64 << 20},
		`{"coalesceRequests":true,"cacheTTL":"1m"}`: {true, time.Minute, 64 << 20},
	} {
		s, err := LoadSettings(context.Background(), backend.DataSourceInstanceSettings{URL: "http://p:9090", JSONData: []byte(jd)})
		if err != nil {
			t.Fatalf("%s: %v", jd, err)
		}
		if s.Sharing.Coalesce != want.coalesce || s.Sharing.TTL != want.ttl || s.CacheMaxBytes != want.bytes {
			t.Errorf("%s: sharing %+v, %d bytes, want %+v", jd, s.Sharing, s.CacheMaxBytes, want)
		}
	}
}
