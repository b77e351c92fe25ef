// Package golden is what pkg/plugin's golden test and its recorder in e2e share: the
// queries the test runs (pkg/plugin/testdata/golden-cases.json), the data sources they
// run against, the recorded upstream answers (pkg/plugin/testdata/upstream/) and the
// key that matches a request to its recorded answer.
package golden

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/plugin"
)

// The data sources of the cases. Both reach Prometheus, Alertmanager and the demo's
// /debug/vars through one upstream server. The expvar data source is kept apart so that
// no Prometheus-backed answer (health fills signals from expvar) depends on poll times.
const (
	DataSourcePrometheus = "prometheus"
	DataSourceExpvar     = "expvar"
)

// Wall-clock dependence of a case's answer (Case.WallClock).
const (
	// Polls: the answer's times are the expvar poller's poll times.
	Polls = "polls"
	// Rates: also, its values are per-second rates over the time between two polls.
	Rates = "rates"
)

// ExpvarPolls is how many /debug/vars answers are recorded, and served in order: the
// expvar cases run once the poller has recorded all of them in its history.
const ExpvarPolls = 2

// ExpvarPath is the path of the expvar document, on the upstream server.
const ExpvarPath = "/debug/vars"

// Cases are the queries of the golden test (golden-cases.json).
type Cases struct {
	// Interval and MaxDataPoints are those of every query, as a panel sends them.
	Interval      string `json:"interval"`
	MaxDataPoints int64  `json:"maxDataPoints"`
	// DataSources are the jsonData of each data source, without the upstream's address
	// (set by Settings).
	DataSources map[string]map[string]any `json:"dataSources"`
	Cases       []Case                    `json:"cases"`
}

// Case is one query; its answer is the golden file <Name>.jsonc.
type Case struct {
	Name       string          `json:"name"`
	DataSource string          `json:"dataSource"`
	WallClock  string          `json:"wallClock,omitempty"`
	Query      json.RawMessage `json:"query"`
}

// LoadCases reads the cases file.
func LoadCases(file string) (*Cases, error) {
	raw, err := os.ReadFile(file) // #nosec G304 -- a test's own testdata
	if err != nil {
		return nil, err
	}
	var c Cases
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, k := range c.Cases {
		if _, ok := c.DataSources[k.DataSource]; !ok {
			return nil, fmt.Errorf("%s: case %s: unknown data source %q", file, k.Name, k.DataSource)
		}
	}
	return &c, nil
}

// settings are the instance settings of data source name, reaching everything through
// the upstream server at upstream: Prometheus at its root, the Alertmanager (/api/v2)
// and, for the expvar data source, the targets discovered from Prometheus's targets of
// job demo, polled on the upstream's port.
func (c *Cases) settings(name, upstream string) (backend.DataSourceInstanceSettings, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return backend.DataSourceInstanceSettings{}, err
	}
	jd := map[string]any{}
	for k, v := range c.DataSources[name] {
		jd[k] = v
	}
	switch name {
	case DataSourcePrometheus:
		jd["alertmanagerUrl"] = upstream
	case DataSourceExpvar:
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			return backend.DataSourceInstanceSettings{}, fmt.Errorf("upstream %s: %w", upstream, err)
		}
		jd["expvarDiscoverPort"] = port
	}
	raw, err := json.Marshal(jd)
	if err != nil {
		return backend.DataSourceInstanceSettings{}, err
	}
	return backend.DataSourceInstanceSettings{UID: "golden-" + name, Name: "golden " + name, URL: upstream, JSONData: raw}, nil
}

// Source is one data source of the cases, ready to run them.
type Source struct {
	*plugin.Datasource
	cases    *Cases
	settings backend.DataSourceInstanceSettings
}

// Datasource is the data source name of the cases, its upstream at upstream.
func (c *Cases) Datasource(name, upstream string) (*Source, error) {
	settings, err := c.settings(name, upstream)
	if err != nil {
		return nil, err
	}
	inst, err := plugin.NewDatasource(context.Background(), settings)
	if err != nil {
		return nil, err
	}
	return &Source{Datasource: inst.(*plugin.Datasource), cases: c, settings: settings}, nil
}

// Run answers case k over tr, as Grafana sends it.
func (s *Source) Run(k Case, tr backend.TimeRange) (backend.DataResponse, error) {
	req, err := s.cases.query(k, tr)
	if err != nil {
		return backend.DataResponse{}, err
	}
	req.PluginContext = backend.PluginContext{DataSourceInstanceSettings: &s.settings}
	resp, err := s.QueryData(context.Background(), &req)
	if err != nil {
		return backend.DataResponse{}, fmt.Errorf("%s: %w", k.Name, err)
	}
	return resp.Responses["A"], nil
}

// query is case k as Grafana sends it for time range tr.
func (c *Cases) query(k Case, tr backend.TimeRange) (backend.QueryDataRequest, error) {
	interval, err := time.ParseDuration(c.Interval)
	if err != nil {
		return backend.QueryDataRequest{}, fmt.Errorf("interval: %w", err)
	}
	var m struct {
		QueryType string `json:"queryType"`
	}
	if err := json.Unmarshal(k.Query, &m); err != nil {
		return backend.QueryDataRequest{}, fmt.Errorf("case %s: %w", k.Name, err)
	}
	return backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", QueryType: m.QueryType, Interval: interval, MaxDataPoints: c.MaxDataPoints,
		TimeRange: tr, JSON: k.Query,
	}}}, nil
}

// Recording is the index of the recorded upstream answers (upstream/recording.json).
type Recording struct {
	// From and To are the time range of the Prometheus data source's cases: the last
	// minutes before the recording.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Exchanges answer Prometheus's and the Alertmanager's requests by RequestKey.
	Exchanges []Exchange `json:"exchanges"`
	// Expvar are the body files of ExpvarPath, in poll order.
	Expvar []string `json:"expvar"`
}

// Exchange is one recorded answer: the request's key, the status and the body's file.
type Exchange struct {
	Request string `json:"request"`
	Status  int    `json:"status"`
	Body    string `json:"body"`
}

// LoadRecording reads dir/recording.json.
func LoadRecording(dir string) (*Recording, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "recording.json")) // #nosec G304 -- a test's own testdata
	if err != nil {
		return nil, err
	}
	var r Recording
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &r, nil
}

// RequestKey is what a request is answered by: its path and its parameters, from the
// URL and from a form body (Prometheus's queries are POSTed), sorted by name.
func RequestKey(r *http.Request) (string, error) {
	if err := r.ParseForm(); err != nil {
		return "", fmt.Errorf("%s %s: %w", r.Method, r.URL, err)
	}
	if len(r.Form) == 0 {
		return r.URL.Path, nil
	}
	return r.URL.Path + "?" + r.Form.Encode(), nil
}
