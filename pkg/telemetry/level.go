package telemetry

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// LogLevelEnv names the environment variable of the plugin's log level. Grafana passes
// the keys of its `[plugin.<plugin id>]` configuration section to the plugin as
// GF_PLUGIN_<KEY>, so `log_level = debug` there sets it.
const LogLevelEnv = "GF_PLUGIN_LOG_LEVEL"

// LogLevels are the levels the plugin writes at: its own lines at Plugin; the SDK's lines
// at SDK, which is Warn when the plugin logs at info (else the plugin's level), since the
// SDK writes two lines for every request Grafana sends (a debug line when it starts, an
// info line when it completes, failures at error) and Grafana reads and parses every line
// the plugin writes, whatever its own level: with many viewers, those lines cost more than
// the queries answered from shared reads.
type LogLevels struct {
	Plugin, SDK log.Level
}

// ParseLogLevel reads the value of LogLevelEnv: empty is info.
func ParseLogLevel(s string) (LogLevels, error) {
	levels := map[string]log.Level{"": log.Info, "trace": log.Trace, "debug": log.Debug, "info": log.Info, "warn": log.Warn, "warning": log.Warn, "error": log.Error}
	l, ok := levels[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return LogLevels{Plugin: log.Info, SDK: log.Warn}, fmt.Errorf("%s=%q is not a log level (trace, debug, info, warn, error): logging at info", LogLevelEnv, s)
	}
	if l == log.Info {
		return LogLevels{Plugin: l, SDK: log.Warn}, nil
	}
	return LogLevels{Plugin: l, SDK: l}, nil
}
