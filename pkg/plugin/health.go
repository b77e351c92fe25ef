package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// checkHealth is the data source's "Save & test": Prometheus answers as a Prometheus API
// (build info and a trivial query), and the Alertmanager, when configured, answers too.
// Each failure gets its own message; a failing Alertmanager does not hide the Prometheus
// result.
func (d *Datasource) checkHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: d.settingsErr.Error()}, nil
	}
	var (
		lines  []string
		failed bool
	)
	info, err := d.prom.Check(ctx)
	if err != nil {
		failed = true
		lines = append(lines, err.Error())
	} else {
		lines = append(lines, fmt.Sprintf("%s is working at %s.", info, d.settings.PrometheusURL.Host))
	}
	if d.am != nil {
		st, err := d.am.Status(ctx)
		if err != nil {
			failed = true
			lines = append(lines, err.Error())
		} else {
			lines = append(lines, fmt.Sprintf("%s is working at %s.", st, d.settings.AlertmanagerURL.Host))
		}
	}
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: strings.Join(lines, " ")}
	if failed {
		res.Status = backend.HealthStatusError
	}
	return res, nil
}
