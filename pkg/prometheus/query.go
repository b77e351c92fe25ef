package prometheus

import (
	"context"
	"net/http"
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

// LabelValues returns the values of a label, optionally restricted to series matching
// the given selectors.
func (c *Client) LabelValues(ctx context.Context, label string, matches []string, r v1.Range) ([]string, error) {
	vals, _, _, err := c.api.LabelValues(ctx, label, matches, r.Start, r.End)
	if err != nil {
		return nil, describe(err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out, nil
}

// Window is the time range [from, to] for the endpoints that take no step.
func Window(from, to time.Time) v1.Range { return v1.Range{Start: from, End: to} }
