package prometheus

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/upstream"
)

// Info is what a health check learns about the server.
type Info struct {
	// Engine is what the server is when it is not Prometheus itself and says so:
	// ThanosQuery, or "" (Prometheus, or an engine that does not tell).
	Engine string
	// Version is the server's version, or "" when it has no build-info endpoint
	// (some Prometheus-compatible engines).
	Version string
	// ReplicaLabels are the labels Thanos Query deduplicates over.
	ReplicaLabels []string
}

// ThanosQuery is the Engine of Thanos Query.
const ThanosQuery = "Thanos Query"

// thanosReplicaFlag is a flag only Thanos Query has: its deduplication labels.
const thanosReplicaFlag = "query.replica-label"

func (i Info) String() string {
	switch {
	case i.Version == "":
		return "Prometheus-compatible API (version not reported)"
	case i.Engine == "":
		return "Prometheus " + i.Version
	case len(i.ReplicaLabels) > 0:
		return fmt.Sprintf("%s %s (deduplicating over %s)", i.Engine, i.Version, strings.Join(i.ReplicaLabels, ", "))
	}
	return i.Engine + " " + i.Version
}

// Check proves the server answers as a Prometheus API: its build info (when it has the
// endpoint) and a trivial instant query. Thanos Query answers build info as Prometheus
// does, with its own version: its flags (/status/flags) tell it apart.
func (c *Client) Check(ctx context.Context) (Info, error) {
	var info Info
	bi, err := c.api.Buildinfo(ctx)
	switch {
	case err == nil:
		info.Version = bi.Version
		info.Engine, info.ReplicaLabels = c.engine(ctx)
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

// engine names the engine from its flags: Thanos Query has query.replica-label (a
// comma-separated list, empty without deduplication). A server that does not serve its
// flags is not named: the flags only name the engine, they are not needed to query it.
func (c *Client) engine(ctx context.Context) (string, []string) {
	flags, err := c.api.Flags(ctx)
	if err != nil {
		return "", nil
	}
	labels, ok := flags[thanosReplicaFlag]
	if !ok {
		return "", nil
	}
	var out []string
	for _, l := range strings.Split(labels, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return ThanosQuery, out
}
