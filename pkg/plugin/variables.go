package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/variables"
)

// queryVariable answers a template-variable query (pkg/variables).
func (d *Datasource) queryVariable(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	v, err := query.ParseVariable(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	var src variables.Sources
	switch {
	case d.prom != nil:
		src.Prometheus = d.prom
	case v.Kind != query.VariableExpvarTargets && v.Kind != query.VariableExpvarPaths:
		return response.Response(nil, response.BadInput(errNoPrometheus))
	}
	if d.expvar != nil {
		src.Expvar = d.expvar
	}
	return response.Response(variables.Run(ctx, src, v, d.settings.Levels.Label, d.request(q)))
}
