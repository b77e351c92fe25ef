// Command gpx_health is the GoPulse backend, started by Grafana as a plugin process.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/gopulse/health/pkg/plugin"
	"github.com/gopulse/health/pkg/telemetry"
)

func main() {
	levels, err := telemetry.ParseLogLevel(os.Getenv(telemetry.LogLevelEnv))
	// The SDK's middlewares log through backend.Logger, the plugin through log.DefaultLogger.
	log.DefaultLogger = log.NewWithLevel(levels.Plugin)
	backend.Logger = log.NewWithLevel(levels.SDK)
	if err != nil {
		log.DefaultLogger.Warn(err.Error())
	}
	if err := datasource.Manage("gopulse-health-datasource", plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err)
		os.Exit(1)
	}
}
