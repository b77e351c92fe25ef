package prometheus

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/upstream"
)

// QueryRange runs a range query and returns its series as timeseries-multi frames.
func (c *Client) QueryRange(ctx context.Context, expr, legendFormat string, r v1.Range) (data.Frames, error) {
	v, warnings, infos, err := c.api.QueryRange(ctx, expr, r, c.queryOpts...)
	if err != nil {
		return nil, describe(err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, upstream.Errorf(service, http.StatusBadGateway, "a range query answered %s instead of a matrix", v.Type())
	}
	return matrixFrames(m, legendFormat, frameMeta(data.FrameTypeTimeSeriesMulti, executedRange(expr, r), warnings, infos)), nil
}

// MaxListEntries bounds every list the resources return (label names, values, metric
// names, metadata).
const MaxListEntries = 10000

// List is a bounded list of names; Truncated tells that entries were left out.
type List struct {
	Values    []string
	Truncated bool
}

func bounded(vals []string) List {
	if len(vals) > MaxListEntries {
		return List{Values: vals[:MaxListEntries:MaxListEntries], Truncated: true}
	}
	return List{Values: vals}
}

// LabelValues returns the values of a label, optionally restricted to series matching
// the given selectors.
func (c *Client) LabelValues(ctx context.Context, label string, matches []string, r v1.Range) (List, error) {
	vals, _, _, err := c.api.LabelValues(ctx, label, matches, r.Start, r.End, v1.WithLimit(MaxListEntries+1))
	if err != nil {
		return List{}, describe(err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return bounded(out), nil
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
	return bounded(out), nil
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
// first.
func (c *Client) Metadata(ctx context.Context, metric string) ([]Metadata, bool, error) {
	md, err := c.api.Metadata(ctx, metric, strconv.Itoa(MaxListEntries+1))
	if err != nil {
		return nil, false, describe(err)
	}
	out := make([]Metadata, 0, len(md))
	for name, ms := range md {
		if len(ms) > 0 {
			out = append(out, Metadata{Metric: name, Type: string(ms[0].Type), Help: ms[0].Help, Unit: ms[0].Unit})
		}
	}
	slices.SortFunc(out, func(a, b Metadata) int { return strings.Compare(a.Metric, b.Metric) })
	if len(out) > MaxListEntries {
		return out[:MaxListEntries], true, nil
	}
	return out, false, nil
}

// Window is the time range [from, to] for the endpoints that take no step.
func Window(from, to time.Time) v1.Range { return v1.Range{Start: from, End: to} }
