package plugin

import (
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/gopulse/health/pkg/telemetry"
)

// logFailures logs the failed requests of the data source's HTTP client, each named by
// its server: Prometheus or Alertmanager.
func (d *Datasource) logFailures() httpclient.Middleware {
	services := []telemetry.Service{{Name: "Prometheus", Base: d.settings.PrometheusURL}}
	if d.settings.AlertmanagerURL != nil {
		services = append(services, telemetry.Service{Name: "Alertmanager", Base: d.settings.AlertmanagerURL})
	}
	return telemetry.LogFailures(d.log, services...)
}
