package telemetry

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// The SDK's per-request lines are written only when the operator asks for debug (or
// trace); warnings and errors are written at every level that includes them.
func TestParseLogLevel(t *testing.T) {
	for _, c := range []struct {
		in          string
		plugin, sdk log.Level
	}{
		{"", log.Info, log.Warn},
		{"info", log.Info, log.Warn},
		{" Debug ", log.Debug, log.Debug},
		{"trace", log.Trace, log.Trace},
		{"warn", log.Warn, log.Warn},
		{"warning", log.Warn, log.Warn},
		{"error", log.Error, log.Error},
	} {
		got, err := ParseLogLevel(c.in)
		if err != nil || got.Plugin != c.plugin || got.SDK != c.sdk {
			t.Errorf("ParseLogLevel(%q) = %+v, %v; want plugin %v, SDK %v", c.in, got, err, c.plugin, c.sdk)
		}
	}
	got, err := ParseLogLevel("verbose")
	if err == nil || got.Plugin != log.Info || got.SDK != log.Warn {
		t.Errorf(`ParseLogLevel("verbose") = %+v, %v; want info/warn and an error`, got, err)
	}
}
