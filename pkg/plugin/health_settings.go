package plugin

import (
	"fmt"
	"strings"
	"time"

	"github.com/gopulse/health/pkg/health"
	"github.com/gopulse/health/pkg/promname"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/scope"
)

// healthJSON is the health part of the data source's jsonData: the business signals the
// health join reads and its thresholds.
type healthJSON struct {
	RequestMetric string                     `json:"healthRequestMetric"`
	ErrorSelector *string                    `json:"healthErrorSelector"`
	LatencyMetric string                     `json:"healthLatencyMetric"`
	GrowthWindow  string                     `json:"healthGrowthWindow"`
	AlertCritical string                     `json:"healthAlertCritical"`
	Thresholds    map[string]query.Threshold `json:"healthThresholds"`
}

// loadHealth validates the health settings, with defaults for what is not set.
func loadHealth(j healthJSON) (health.Settings, error) {
	s := health.Settings{RequestMetric: "http_requests_total", ErrorSelector: `code=~"5.."`,
		LatencyMetric: "http_request_duration_seconds", GrowthWindow: time.Minute, AlertCritical: "P1"}
	for _, m := range []struct {
		name, value string
		into        *string
	}{{"request metric", j.RequestMetric, &s.RequestMetric}, {"latency metric", j.LatencyMetric, &s.LatencyMetric}} {
		if v := strings.TrimSpace(m.value); v != "" {
			if err := promname.CheckMetric(v); err != nil {
				return s, fmt.Errorf("settings: health %s: %w", m.name, err)
			}
			*m.into = v
		}
	}
	s.LatencyMetric = strings.TrimSuffix(s.LatencyMetric, "_bucket")
	if j.ErrorSelector != nil && strings.TrimSpace(*j.ErrorSelector) != "" {
		s.ErrorSelector = strings.TrimSpace(*j.ErrorSelector)
		if _, err := scope.ParseMatchers(s.RequestMetric, s.ErrorSelector); err != nil {
			return s, fmt.Errorf("settings: health error selector %q is not a label-matcher list like code=~\"5..\": %v", s.ErrorSelector, err)
		}
	}
	if j.GrowthWindow != "" {
		d, err := query.ParseDuration(j.GrowthWindow)
		if err != nil || d < 10*time.Second {
			return s, fmt.Errorf("settings: health growth window %q must be a duration of at least 10s, such as 5m", j.GrowthWindow)
		}
		s.GrowthWindow = d
	}
	if err := query.CheckPLevel(j.AlertCritical); err != nil {
		return s, fmt.Errorf("settings: health alert level: %w", err)
	} else if j.AlertCritical != "" {
		s.AlertCritical = j.AlertCritical
	}
	over := health.FromModel(j.Thresholds)
	if err := over.Validate(); err != nil {
		return s, fmt.Errorf("settings: health %w", err)
	}
	s.Thresholds = health.DefaultThresholds().With(over)
	if err := s.Thresholds.Validate(); err != nil {
		return s, fmt.Errorf("settings: health %w (with the defaults of the bounds not set)", err)
	}
	return s, nil
}

// healthSignal is a signal of the join with the data source's thresholds, for the editor.
type healthSignal struct {
	health.Signal
	health.Threshold
}

// healthSignals lists the signals that take thresholds, with the data source's.
func healthSignals(th health.Thresholds) []healthSignal {
	var out []healthSignal
	for _, s := range health.Signals() {
		if s.ID != health.Up {
			out = append(out, healthSignal{s, th[s.ID]})
		}
	}
	return out
}
