// Package query holds GoPulse's typed query model: the JSON a panel, an alert rule or a
// template variable sends for one query. It mirrors src/types.ts.
package query

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Type is the queryType of a query.
type Type string

// The query types of DESIGN.md. Only those with a handler are answered; the others get a
// clear "not supported yet" error from the dispatcher.
const (
	TypePromQL   Type = "promql"
	TypeRuntime  Type = "runtime"
	TypeBusiness Type = "business"
	TypeExpvar   Type = "expvar"
	TypeAlerts   Type = "alerts"
	TypeHealth   Type = "health"
)

// Format is the shape of the frames a promql query returns.
type Format string

// Formats of a promql query.
const (
	FormatTimeSeries Format = "time_series"
	FormatTable      Format = "table"
	FormatHeatmap    Format = "heatmap"
)

// PromQL is the model of a `promql` query.
type PromQL struct {
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat,omitempty"`
	// MinStep is the lower bound of the query step: a Prometheus/Go duration ("15s",
	// "1m30s") or a number of seconds ("30").
	MinStep string `json:"minStep,omitempty"`
	Range   *bool  `json:"range,omitempty"`
	Instant bool   `json:"instant,omitempty"`
	Format  Format `json:"format,omitempty"`
}

// ParsePromQL decodes and validates a promql query. Errors name the field at fault.
func ParsePromQL(raw json.RawMessage) (PromQL, time.Duration, error) {
	var q PromQL
	if err := json.Unmarshal(raw, &q); err != nil {
		return q, 0, fmt.Errorf("invalid query model: %w", err)
	}
	q.Expr = strings.TrimSpace(q.Expr)
	if q.Expr == "" {
		return q, 0, fmt.Errorf("expr is empty: enter a PromQL expression")
	}
	minStep, err := ParseDuration(q.MinStep)
	if err != nil {
		return q, 0, fmt.Errorf("minStep %q: %w", q.MinStep, err)
	}
	switch q.Format {
	case "", FormatTimeSeries:
	default:
		return q, 0, fmt.Errorf("format %q is not supported yet: use %q", q.Format, FormatTimeSeries)
	}
	if q.Instant || (q.Range != nil && !*q.Range) {
		return q, 0, fmt.Errorf("only range queries are supported yet: set range to true and instant to false")
	}
	return q, minStep, nil
}

// ParseDuration reads a step or interval as users write it: empty (zero), a
// Prometheus/Go duration ("15s", "1m30s", "1h") or a plain number of seconds ("30", "0.5").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 || secs > float64(365*24*3600) {
			return 0, fmt.Errorf("must be between 0 and one year")
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration: use a form like 15s, 1m30s or 2h")
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	return d, nil
}
