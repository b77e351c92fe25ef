package prometheus

import (
	"context"
	"errors"
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
	var ue *upstream.Error
	switch {
	case err == nil:
		info.Version = bi.Version
	case errors.As(err, &ue) && ue.Status == http.StatusNotFound:
		// Engines without /status/buildinfo still answer queries; a wrong path fails both.
	default:
		return info, describe(err)
	}
	v, _, _, err := c.api.Query(ctx, "1+1", time.Now())
	if err != nil {
		return info, describe(err)
	}
	if s, ok := v.(*model.Scalar); !ok || s.Value != 2 {
		return info, upstream.Errorf(service, http.StatusBadGateway, "the test query 1+1 did not answer 2 (got %v): this is not a working Prometheus API", v)
	}
	return info, nil
}
