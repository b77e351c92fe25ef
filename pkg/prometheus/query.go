package prometheus

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/upstream"
)

// Query is one PromQL query to run and shape into frames.
type Query struct {
	Expr         string
	LegendFormat string
	Format       query.Format
}

// QueryRange runs a range query over r and returns its frames in q's format.
func (c *Client) QueryRange(ctx context.Context, q Query, r v1.Range) (data.Frames, error) {
	return c.run(ctx, "/api/v1/query_range", rangeParams(q.Expr, r), q, executed(q.Expr, r.Step, r.Start, r.End))
}

func rangeParams(expr string, r v1.Range) url.Values {
	return url.Values{
		"query": {expr},
		"start": {formatTime(r.Start)},
		"end":   {formatTime(r.End)},
		"step":  {strconv.FormatFloat(r.Step.Seconds(), 'f', -1, 64)},
	}
}

// QueryInstant evaluates q at t and returns its frames in q's format.
func (c *Client) QueryInstant(ctx context.Context, q Query, t time.Time) (data.Frames, error) {
	params := url.Values{"query": {q.Expr}, "time": {formatTime(t)}}
	return c.run(ctx, "/api/v1/query", params, q, executed(q.Expr, 0, t, t))
}

// run fetches a query and shapes its answer as q's format asks.
func (c *Client) run(ctx context.Context, path string, params url.Values, q Query, executed string) (data.Frames, error) {
	var sink seriesSink
	multi := newMultiFrames(q.Format, q.LegendFormat)
	if multi != nil {
		sink = multi
	}
	res, err := c.fetch(ctx, path, params, sink)
	if err != nil {
		return nil, err
	}
	fr, err := buildFrames(res, q.Format, multi, executed)
	res.Release() // table and heatmap frames hold copies; multi frames hold chunks never pooled
	if err != nil {
		return nil, response.BadInput(err)
	}
	return fr, nil
}

// fetch posts a query and decodes the answer in one pass, handing its series to sink when
// there is one (see decode). The request goes through the data source's HTTP client
// (auth, headers, TLS, timeout, body limit) to the URL client_golang's api.Client builds;
// the body is read into a pooled buffer, checked as every answer is (verify), and decoded
// within the limits. The decoded values own their memory, so the buffer is reused at once.
func (c *Client) fetch(ctx context.Context, path string, params url.Values, sink seriesSink) (*Result, error) {
	if c.opts.QueryTimeout > 0 {
		params.Set("timeout", strconv.FormatFloat(c.opts.QueryTimeout.Seconds(), 'f', -1, 64)+"s")
	}
	u := c.raw.URL(path, nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, upstream.Transport(service, c.host, err)
	}
	defer resp.Body.Close()
	buf := bodies.get()
	defer bodies.put(buf)
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, upstream.Body(service, c.host, err)
	}
	if err := c.raw.verify(req, resp, buf.Bytes()); err != nil {
		return nil, err
	}
	res, err := decode(buf.Bytes(), c.opts.Limits, sink)
	var apiErr *APIError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &apiErr):
		return nil, upstream.Errorf(service, http.StatusBadGateway, "%s", apiErr)
	case errors.Is(err, ErrLimit):
		c.opts.Logger.FromContext(ctx).Warn("Prometheus answer over a limit", "host", c.host, "path", path, "limit", err)
		return nil, upstream.Errorf(service, http.StatusRequestEntityTooLarge, "%s: narrow the query or raise the limit in the data source settings", err)
	}
	return nil, upstream.Errorf(service, http.StatusBadGateway, "unreadable answer to %s: %s", path, err)
}

// bodies keeps the read buffers of answers between queries.
var bodies = bodyBuffers{max: 128 << 20, maxEach: 64 << 20, idle: time.Minute}

// bodyBuffers keeps read buffers between queries, so that an answer reuses a buffer
// instead of growing a new one (a 40 MB answer grows through 64 MB of copies). Unlike a
// sync.Pool, whose buffers a garbage collection (or a query on another P) can miss, it
// keeps what it holds until idle passes without a query: the memory a query costs stays
// the same from one query to the next. It holds at most max bytes, and no buffer larger
// than maxEach, so that one huge answer does not stay in memory.
type bodyBuffers struct {
	max, maxEach int
	idle         time.Duration

	mu    sync.Mutex
	free  []*bytes.Buffer
	held  int
	timer *time.Timer
}

// get returns an empty buffer, the largest one kept if any.
func (p *bodyBuffers) get() *bytes.Buffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return new(bytes.Buffer)
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.held -= b.Cap()
	b.Reset()
	return b
}

// put keeps b for a later query if there is room, the free list sorted by capacity.
func (p *bodyBuffers) put(b *bytes.Buffer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.Cap() > p.maxEach || p.held+b.Cap() > p.max {
		return
	}
	i, _ := slices.BinarySearchFunc(p.free, b.Cap(), func(x *bytes.Buffer, c int) int { return x.Cap() - c })
	p.free = slices.Insert(p.free, i, b)
	p.held += b.Cap()
	if p.timer == nil {
		p.timer = time.AfterFunc(p.idle, p.drop)
	} else {
		p.timer.Reset(p.idle)
	}
}

// drop lets every kept buffer go.
func (p *bodyBuffers) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.free)
	p.free, p.held = p.free[:0], 0
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// MaxListEntries bounds every list the resources return (label names, values, metric
// names, metadata).
const MaxListEntries = 10000

// List is a bounded list of names; Truncated tells that entries were left out.
type List struct {
	Values    []string
	Truncated bool
}

// bounded cuts vals at MaxListEntries, saying so in the log.
func (c *Client) bounded(ctx context.Context, what string, vals []string) List {
	if len(vals) > MaxListEntries {
		c.truncated(ctx, what)
		return List{Values: vals[:MaxListEntries:MaxListEntries], Truncated: true}
	}
	return List{Values: vals}
}

func (c *Client) truncated(ctx context.Context, what string) {
	c.opts.Logger.FromContext(ctx).Info("list truncated", "list", what, "host", c.host, "max_entries", MaxListEntries)
}

// LabelValues returns the values of a label, optionally restricted to series matching
// the given selectors. A label that is not a label name is refused (BadInput) before any
// request is sent.
func (c *Client) LabelValues(ctx context.Context, label string, matches []string, r v1.Range) (List, error) {
	segment, err := labelSegment(label)
	if err != nil {
		return List{}, response.BadInput(err)
	}
	vals, _, _, err := c.api.LabelValues(ctx, segment, matches, r.Start, r.End, v1.WithLimit(MaxListEntries+1))
	if err != nil {
		return List{}, describe(err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return c.bounded(ctx, "values of label "+label, out), nil
}

// labelSegment is a label name as the path /api/v1/label/<name>/values takes it: a
// classic name ([a-zA-Z_][a-zA-Z0-9_]*) as it is, any other UTF-8 name in the U__ value
// encoding that Prometheus 3 decodes there, so that it stays one path segment. An empty
// name, invalid UTF-8, control characters, '/' and the path segments "." and ".." are
// refused: no label has them, and they would change the path.
func labelSegment(name string) (string, error) {
	if model.LegacyValidation.IsValidLabelName(name) {
		return name, nil
	}
	why := ""
	switch {
	case name == "":
		return "", errors.New("the label name is empty: name the label whose values to list")
	case !utf8.ValidString(name):
		why = "it is not valid UTF-8"
	case strings.ContainsFunc(name, unicode.IsControl):
		why = "it has control characters"
	case strings.Contains(name, "/"):
		why = "it has a '/'"
	case name == "." || name == "..":
		why = "it is a path segment"
	default:
		return model.EscapeName(name, model.ValueEncodingEscaping), nil
	}
	return "", fmt.Errorf("label %q is not a label name: %s (a label name is [a-zA-Z_][a-zA-Z0-9_]*, or UTF-8 text for Prometheus 3)", name, why)
}

// LabelNames returns the label names of the series matching the selectors (all series
// when there are none).
func (c *Client) LabelNames(ctx context.Context, matches []string, r v1.Range) (List, error) {
	names, _, _, err := c.api.LabelNames(ctx, matches, r.Start, r.End, v1.WithLimit(MaxListEntries+1))
	if err != nil {
		return List{}, describe(err)
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return c.bounded(ctx, "label names", out), nil
}

// Metadata is what Prometheus knows of a metric: its type, help and unit.
type Metadata struct {
	Metric string `json:"metric"`
	Type   string `json:"type"`
	Help   string `json:"help"`
	Unit   string `json:"unit"`
}

// Metadata returns the metadata of one metric, or of all metrics when metric is empty,
// sorted by metric name. A metric with several metadata (different targets) keeps the
// help and unit that sort first, whatever order the server lists them in (Thanos Query
// merges its endpoints' lists), and its type only when all agree.
func (c *Client) Metadata(ctx context.Context, metric string) ([]Metadata, bool, error) {
	md, err := c.api.Metadata(ctx, metric, strconv.Itoa(MaxListEntries+1))
	if err != nil {
		return nil, false, describe(err)
	}
	out := make([]Metadata, 0, len(md))
	for name, ms := range md {
		if len(ms) == 0 {
			continue
		}
		first := slices.MinFunc(ms, func(a, b v1.Metadata) int {
			return cmp.Or(strings.Compare(a.Help, b.Help), strings.Compare(a.Unit, b.Unit))
		})
		m := Metadata{Metric: name, Type: string(first.Type), Help: first.Help, Unit: first.Unit}
		for _, other := range ms {
			if other.Type != first.Type {
				m.Type = "unknown" // targets disagree: no type can be trusted
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metadata) int { return strings.Compare(a.Metric, b.Metric) })
	if len(out) > MaxListEntries {
		c.truncated(ctx, "metadata")
		return out[:MaxListEntries], true, nil
	}
	return out, false, nil
}

// KeepsMetadata tells whether the server has metadata for any metric: false when its
// /api/v1/metadata answers an empty list (VictoriaMetrics 1.79 does, for every metric) or
// 404 (an engine without the endpoint).
func (c *Client) KeepsMetadata(ctx context.Context) (bool, error) {
	md, err := c.api.Metadata(ctx, "", "1")
	switch {
	case NotFound(err):
		return false, nil
	case err != nil:
		return false, describe(err)
	}
	return len(md) > 0, nil
}

// Window is the time range [from, to] for the endpoints that take no step.
func Window(from, to time.Time) v1.Range { return v1.Range{Start: from, End: to} }

// InstantSeries evaluates expr at t and returns its series as decoded (vector answers;
// a scalar becomes one unlabelled series).
func (c *Client) InstantSeries(ctx context.Context, expr string, t time.Time) ([]Series, error) {
	res, err := c.fetch(ctx, "/api/v1/query", url.Values{"query": {expr}, "time": {formatTime(t)}}, nil)
	if err != nil {
		return nil, err
	}
	switch res.Type {
	case "vector", "matrix":
		return res.Series, nil
	case "scalar":
		return []Series{{Labels: data.Labels{}, Times: []time.Time{res.ScalarTime}, Values: []float64{res.Scalar}}}, nil
	}
	return nil, response.BadInput(fmt.Errorf("%s answers a %s, not series", expr, res.Type))
}

// SeriesName is a series in Prometheus notation: name{label="value", ...}.
func SeriesName(l data.Labels) string { return seriesName(l) }

// Alerts returns the alerts Prometheus evaluates now (firing and pending).
func (c *Client) Alerts(ctx context.Context) ([]v1.Alert, error) {
	res, err := c.api.Alerts(ctx)
	if err != nil {
		return nil, describe(err)
	}
	return res.Alerts, nil
}

// RangeSeries runs a range query and returns its series as decoded.
func (c *Client) RangeSeries(ctx context.Context, expr string, r v1.Range) ([]Series, error) {
	res, err := c.fetch(ctx, "/api/v1/query_range", rangeParams(expr, r), nil)
	if err != nil {
		return nil, err
	}
	if res.Type != "matrix" {
		return nil, response.BadInput(fmt.Errorf("%s answers a %s, not series", expr, res.Type))
	}
	return res.Series, nil
}

// Rules returns Prometheus's rule groups (alerting and recording rules with their health).
func (c *Client) Rules(ctx context.Context) ([]v1.RuleGroup, error) {
	res, err := c.api.Rules(ctx, nil)
	if err != nil {
		return nil, describe(err)
	}
	return res.Groups, nil
}

// ActiveTargets returns Prometheus's active scrape targets.
func (c *Client) ActiveTargets(ctx context.Context) ([]v1.ActiveTarget, error) {
	res, err := c.api.Targets(ctx)
	if err != nil {
		return nil, describe(err)
	}
	return res.Active, nil
}
