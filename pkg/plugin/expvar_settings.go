package plugin

import (
	"fmt"
	"strings"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/query"
)

// expvarJSON is the expvar part of the data source's jsonData.
type expvarJSON struct {
	Targets      []goexpvar.Target `json:"expvarTargets"`
	PollInterval string            `json:"expvarPollInterval"`
	Retention    string            `json:"expvarRetention"`
	Timeout      string            `json:"expvarTimeout"`
	Concurrency  int               `json:"expvarConcurrency"`
	MaxBytes     int64             `json:"expvarMaxBytes"`
	HistoryBytes int64             `json:"expvarHistoryBytes"`
	DiscoverJobs []string          `json:"expvarDiscoverJobs"`
	DiscoverPort int               `json:"expvarDiscoverPort"`
	Path         string            `json:"expvarPath"`
}

// ExpvarSettings are the validated expvar settings; no targets and no discovery means no
// poller.
type ExpvarSettings struct {
	Targets []goexpvar.Target
	Poller  goexpvar.PollerOptions
	// Discovery turns Prometheus's active targets of these jobs into expvar targets: the
	// scrape URL's scheme and host, Port instead of its port when set, and Path.
	DiscoverJobs []string
	DiscoverPort int
	Path         string
}

// enabled tells whether the data source polls expvar targets at all.
func (s ExpvarSettings) enabled() bool { return len(s.Targets) > 0 || len(s.DiscoverJobs) > 0 }

// loadExpvar validates the expvar targets (unique names, http(s) URLs set by the
// administrator) and the poller's options.
func loadExpvar(jd expvarJSON) (ExpvarSettings, error) {
	out := ExpvarSettings{DiscoverJobs: jd.DiscoverJobs, DiscoverPort: jd.DiscoverPort, Path: jd.Path}
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
	for i, t := range jd.Targets {
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
