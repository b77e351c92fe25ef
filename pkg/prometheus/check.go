package prometheus

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/upstream"
)

// Info is what a health check learns about the server.
type Info struct {
	// Version is the server's version, or "" when it has no build-info endpoint
	// (some Prometheus-compatible engines).
	Version string
}

func (i Info) String() string {
	if i.Version == "" {
		return "Prometheus-compatible API (version not reported)"
	}
	return "Prometheus " + i.Version
}

// Check proves the server answers as a Prometheus API: its build info (when it has the
// endpoint) and a trivial instant query.
func (c *Client) Check(ctx context.Context) (Info, error) {
	var info Info
	bi, err := c.api.Buildinfo(ctx)
	switch {
	case err == nil:
		info.Version = bi.Version
	case NotFound(err):
		// Engines without /status/buildinfo still answer queries; a wrong path fails both.
	default:
		return info, describe(err)
	}
	v, _, _, err := c.api.Query(ctx, "1+1", time.Now())
	if err != nil {
		return info, describe(err)
	}
	if !isTwo(v) {
		return info, upstream.Errorf(service, http.StatusBadGateway, "the test query 1+1 did not answer 2 (got %v): this is not a working Prometheus API", v)
	}
	return info, nil
}

// isTwo tells whether the answer to 1+1 is 2: a scalar from Prometheus, a one-sample
// vector from engines such as VictoriaMetrics.
func isTwo(v model.Value) bool {
	switch v := v.(type) {
	case *model.Scalar:
		return v.Value == 2
	case model.Vector:
		return len(v) == 1 && v[0].Value == 2
	}
	return false
}
