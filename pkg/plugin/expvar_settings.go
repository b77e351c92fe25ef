package plugin

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/query"
)

// expvarJSON is the expvar part of the data source's jsonData.
type expvarJSON struct {
	Targets      []targetJSON `json:"expvarTargets"`
	PollInterval string       `json:"expvarPollInterval"`
	Retention    string       `json:"expvarRetention"`
	Timeout      string       `json:"expvarTimeout"`
	Concurrency  int          `json:"expvarConcurrency"`
	MaxBytes     int64        `json:"expvarMaxBytes"`
	HistoryBytes int64        `json:"expvarHistoryBytes"`
	DiscoverJobs []string     `json:"expvarDiscoverJobs"`
	DiscoverPort int          `json:"expvarDiscoverPort"`
	// DiscoverHosts are host patterns (path.Match syntax, matched against host:port
	// and against the host alone) a discovered target must match; none allows every
	// host Prometheus scrapes.
	DiscoverHosts []string `json:"expvarDiscoverHosts"`
	Path          string   `json:"expvarPath"`
	// SignalPaths map runtime signal ids to the expvar paths of every target
	// ({"goroutines": "app.NumGoroutine"}); a target's own paths win.
	SignalPaths map[string]string `json:"expvarSignalPaths"`
	// TargetOptions are the job, credentials and signal paths of targets by name, as the
	// settings editor keeps them beside the target list; they win over the same fields
	// set in expvarTargets.
	TargetOptions map[string]targetOptions `json:"expvarTargetOptions"`
}

// targetOptions are what a target may have beyond its name, URL and instance.
type targetOptions struct {
	Job           string            `json:"job,omitempty"`
	BasicAuthUser string            `json:"basicAuthUser,omitempty"`
	Headers       []string          `json:"headers,omitempty"`
	Paths         map[string]string `json:"paths,omitempty"`
}

// Keys of a target's secrets in secureJsonData, followed by the target's name (and, for
// a header, "." and the header name): expvarTargetPassword.api,
// expvarTargetToken.api, expvarTargetHeader.api.X-Api-Key.
const (
	expvarPasswordKey = "expvarTargetPassword."
	expvarTokenKey    = "expvarTargetToken."
	expvarHeaderKey   = "expvarTargetHeader."
)

// targetJSON is an expvar target as jsonData holds it: the target and the names of the
// headers whose values are in secureJsonData.
type targetJSON struct {
	goexpvar.Target
	Headers []string `json:"headers,omitempty"`
}

// ExpvarSettings are the validated expvar settings; no targets and no discovery means no
// poller.
type ExpvarSettings struct {
	Targets []goexpvar.Target
	Poller  goexpvar.PollerOptions
	// Discovery turns Prometheus's active targets of these jobs into expvar targets: the
	// scrape URL's scheme and host, Port instead of its port when set, and Path.
	DiscoverJobs  []string
	DiscoverPort  int
	DiscoverHosts []string
	Path          string
	// SignalPaths map runtime signal ids to expvar paths for every target.
	SignalPaths map[string]string
}

// signalPaths validates a signal → path mapping: known signals with an expvar
// equivalent, literal paths.
func signalPaths(of string, m map[string]string) (map[string]string, error) {
	for id, p := range m {
		sig, err := goruntime.Lookup(id)
		if err != nil {
			return nil, fmt.Errorf("settings: %s signal paths: %w", of, err)
		}
		if sig.ExpvarPath == "" {
			return nil, fmt.Errorf("settings: %s signal paths: signal %s has no expvar equivalent", of, id)
		}
		pt, err := goexpvar.ParsePath(p)
		if err != nil {
			return nil, fmt.Errorf("settings: %s signal paths: %s: %w", of, id, err)
		}
		if pt.HasWildcards() {
			return nil, fmt.Errorf("settings: %s signal paths: %s: %q must name one value, without wildcards", of, id, p)
		}
	}
	return m, nil
}

// enabled tells whether the data source polls expvar targets at all.
func (s ExpvarSettings) enabled() bool { return len(s.Targets) > 0 || len(s.DiscoverJobs) > 0 }

// loadExpvar validates the expvar targets (unique names, http(s) URLs set by the
// administrator, their credentials from secure), the signal paths, the discovery
// allow-list and the poller's options.
func loadExpvar(jd expvarJSON, secure map[string]string) (ExpvarSettings, error) {
	out := ExpvarSettings{DiscoverJobs: jd.DiscoverJobs, DiscoverPort: jd.DiscoverPort, DiscoverHosts: jd.DiscoverHosts, Path: jd.Path}
	for _, h := range jd.DiscoverHosts {
		if _, err := path.Match(h, ""); err != nil || strings.TrimSpace(h) == "" {
			return out, fmt.Errorf("settings: expvar discovery host pattern %q is not a valid pattern (host:port or host, with * ? [..] wildcards)", h)
		}
	}
	var err error
	if out.SignalPaths, err = signalPaths("data source", jd.SignalPaths); err != nil {
		return out, err
	}
	if out.Path == "" {
		out.Path = "/debug/vars"
	}
	if !strings.HasPrefix(out.Path, "/") || strings.ContainsAny(out.Path, "?#") {
		return out, fmt.Errorf("settings: expvar path %q must be a path starting with /", out.Path)
	}
	if out.DiscoverPort < 0 || out.DiscoverPort > 65535 {
		return out, fmt.Errorf("settings: expvar discovery port %d is not a port", out.DiscoverPort)
	}
	seen := map[string]bool{}
	for name := range jd.TargetOptions {
		if !slices.ContainsFunc(jd.Targets, func(t targetJSON) bool { return t.Name == name }) {
			return out, fmt.Errorf("settings: expvar target options for %q: there is no such target", name)
		}
	}
	for i, tj := range jd.Targets {
		if o, ok := jd.TargetOptions[tj.Name]; ok {
			tj.Job = cmp.Or(o.Job, tj.Job)
			tj.BasicAuthUser = cmp.Or(o.BasicAuthUser, tj.BasicAuthUser)
			if len(o.Headers) > 0 {
				tj.Headers = o.Headers
			}
			if len(o.Paths) > 0 {
				tj.Paths = o.Paths
			}
		}
		t := tj.Target
		if t.Name == "" {
			return out, fmt.Errorf("settings: expvar target %d has no name", i+1)
		}
		if seen[t.Name] {
			return out, fmt.Errorf("settings: expvar target name %q is used twice", t.Name)
		}
		seen[t.Name] = true
		u, err := parseServerURL("expvar target "+t.Name, t.URL)
		if err != nil {
			return out, err
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = out.Path
		}
		t.URL = u.String()
		if t.Instance == "" {
			t.Instance = u.Host
		}
		if t.Paths, err = signalPaths("expvar target "+t.Name, t.Paths); err != nil {
			return out, err
		}
		t.Auth = goexpvar.Auth{Password: secure[expvarPasswordKey+t.Name], Token: secure[expvarTokenKey+t.Name]}
		if t.Auth.Password != "" && t.BasicAuthUser == "" {
			return out, fmt.Errorf("settings: expvar target %s has a basic auth password but no user", t.Name)
		}
		for _, h := range tj.Headers {
			if h == "" || strings.ContainsAny(h, " :\r\n") {
				return out, fmt.Errorf("settings: expvar target %s: header name %q is not valid", t.Name, h)
			}
			if t.Auth.Headers == nil {
				t.Auth.Headers = map[string]string{}
			}
			t.Auth.Headers[h] = secure[expvarHeaderKey+t.Name+"."+h]
		}
		out.Targets = append(out.Targets, t)
	}
	durations := []struct {
		name, value string
		def         time.Duration
		into        *time.Duration
	}{
		{"expvar poll interval", jd.PollInterval, 10 * time.Second, &out.Poller.Interval},
		{"expvar retention", jd.Retention, time.Hour, &out.Poller.History.Retention},
		{"expvar timeout", jd.Timeout, 5 * time.Second, &out.Poller.Timeout},
	}
	for _, d := range durations {
		v, err := query.ParseDuration(d.value)
		if err != nil {
			return out, fmt.Errorf("settings: %s %q: %w", d.name, d.value, err)
		}
		if v == 0 {
			v = d.def
		}
		if v < 100*time.Millisecond {
			return out, fmt.Errorf("settings: %s must be at least 100ms, not %s", d.name, v)
		}
		*d.into = v
	}
	if jd.Concurrency < 0 || jd.Concurrency > 256 {
		return out, fmt.Errorf("settings: expvar concurrency must be between 1 and 256, not %d", jd.Concurrency)
	}
	out.Poller.Concurrency = jd.Concurrency
	if jd.MaxBytes < 0 || jd.HistoryBytes < 0 {
		return out, fmt.Errorf("settings: expvar byte limits must not be negative")
	}
	out.Poller.Limits.MaxBytes = jd.MaxBytes
	out.Poller.History.MaxBytes = jd.HistoryBytes
	return out, nil
}
