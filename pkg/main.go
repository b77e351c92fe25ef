// Command gpx_health is the GoPulse backend, started by Grafana as a plugin process.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/gopulse/health/pkg/plugin"
)

func main() {
	if err := datasource.Manage("gopulse-health-datasource", plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err)
		os.Exit(1)
	}
}
