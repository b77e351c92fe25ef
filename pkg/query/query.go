// Package query holds GoPulse's typed query model: the JSON a panel, an alert rule or a
// template variable sends for one query. It mirrors src/types.ts.
package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Type is the queryType of a query.
type Type string

// The query types of docs/design.md, and "variable" for template variables.
const (
	TypeVariable Type = "variable"
	TypePromQL   Type = "promql"
	TypeRuntime  Type = "runtime"
	TypeBusiness Type = "business"
	TypeExpvar   Type = "expvar"
	TypeAlerts   Type = "alerts"
	TypeHealth   Type = "health"
)

// Format is the shape of the frames a promql query returns.
// +enum
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

// Ranged tells whether the query asks for a range query (the default).
func (q PromQL) Ranged() bool { return q.Range == nil || *q.Range }

// ParsePromQL decodes and validates a promql query. Errors name the field at fault.
func ParsePromQL(raw json.RawMessage) (PromQL, time.Duration, error) {
	var q PromQL
	if err := decode(raw, &q); err != nil {
		return q, 0, err
	}
	// Queries written for Grafana's Prometheus data source may ask for exemplars, which
	// GoPulse does not read: say so rather than answer without them.
	var foreign struct {
		Exemplar bool `json:"exemplar"`
	}
	if json.Unmarshal(raw, &foreign) == nil && foreign.Exemplar {
		return q, 0, errors.New("exemplar is true: GoPulse does not read exemplars; turn exemplars off for this query, or query them with Grafana's Prometheus data source")
	}
	q.Expr = strings.TrimSpace(q.Expr)
	if q.Expr == "" {
		return q, 0, fmt.Errorf("expr is empty: enter a PromQL expression")
	}
	minStep, err := ParseDuration(q.MinStep)
	if err != nil {
		return q, 0, fmt.Errorf("minStep %q: %w", q.MinStep, err)
	}
	if err := oneOf("format", &q.Format, "", FormatTimeSeries, FormatTable, FormatHeatmap); err != nil {
		return q, 0, err
	}
	if !q.Ranged() && !q.Instant {
		return q, 0, fmt.Errorf("neither range nor instant is set: choose range, instant or both")
	}
	return q, minStep, nil
}

// Source is where a runtime query reads its signal.
// +enum
type Source string

// Sources of a runtime query.
const (
	SourceAuto       Source = "auto"
	SourcePrometheus Source = "prometheus"
	SourceExpvar     Source = "expvar"
)

// Runtime is the model of a `runtime` query: one signal of the runtime catalogue for a
// scope.
type Runtime struct {
	Signal       string `json:"signal"`
	Job          string `json:"job,omitempty"`
	Instance     string `json:"instance,omitempty"`
	Source       Source `json:"source,omitempty"`
	LegendFormat string `json:"legendFormat,omitempty"`
}

// ParseRuntime decodes and validates a runtime query.
func ParseRuntime(raw json.RawMessage) (Runtime, error) {
	var q Runtime
	if err := decode(raw, &q); err != nil {
		return q, err
	}
	if q.Signal == "" {
		return q, fmt.Errorf("signal is empty: pick a runtime signal")
	}
	if err := oneOf("source", &q.Source, SourceAuto, SourceAuto, SourcePrometheus, SourceExpvar); err != nil {
		return q, err
	}
	return q, nil
}

// Aggregation is how a business query aggregates across series (histograms ignore it).
// +enum
type Aggregation string

// Aggregations of a business query.
const (
	AggregationSum Aggregation = "sum"
	AggregationAvg Aggregation = "avg"
	AggregationMin Aggregation = "min"
	AggregationMax Aggregation = "max"
)

// Business is the model of a `business` query: one of the service's own metrics,
// aggregated according to its type.
type Business struct {
	Metric       string      `json:"metric"`
	Aggregation  Aggregation `json:"aggregation,omitempty"`
	GroupBy      []string    `json:"groupBy,omitempty"`
	Quantiles    []float64   `json:"quantiles,omitempty"`
	TopN         int         `json:"topN,omitempty"`
	Matchers     string      `json:"matchers,omitempty"`
	Job          string      `json:"job,omitempty"`
	Instance     string      `json:"instance,omitempty"`
	LegendFormat string      `json:"legendFormat,omitempty"`
}

// ParseBusiness decodes a business query; the metric's type decides the rest of the
// validation (pkg/business).
func ParseBusiness(raw json.RawMessage) (Business, error) {
	var q Business
	if err := decode(raw, &q); err != nil {
		return q, err
	}
	if q.Metric = strings.TrimSpace(q.Metric); q.Metric == "" {
		return q, fmt.Errorf("metric is empty: pick a business metric")
	}
	return q, nil
}

// AlertsSource is where an alerts query reads alerts.
// +enum
type AlertsSource string

// Sources of an alerts query.
const (
	AlertsPrometheus   AlertsSource = "prometheus"
	AlertsAlertmanager AlertsSource = "alertmanager"
	AlertsBoth         AlertsSource = "both"
)

// AlertsFormat is the shape of the frames an alerts query returns.
// +enum
type AlertsFormat string

// Formats of an alerts query.
const (
	AlertsTable    AlertsFormat = "table"
	AlertsTimeline AlertsFormat = "timeline"
	AlertsCounts   AlertsFormat = "counts"
	AlertsRules    AlertsFormat = "rules"
)

// Alerts is the model of an `alerts` query.
type Alerts struct {
	Source     AlertsSource `json:"source,omitempty"`
	States     []string     `json:"states,omitempty"`
	Matchers   string       `json:"matchers,omitempty"`
	Severities []string     `json:"severities,omitempty"`
	Format     AlertsFormat `json:"format,omitempty"`
}

// ParseAlerts decodes an alerts query and checks what this version answers: alerts
// from Prometheus, Alertmanager or both, as a table, counts per P-level, a timeline, or
// the rule groups.
func ParseAlerts(raw json.RawMessage) (Alerts, error) {
	var q Alerts
	if err := decode(raw, &q); err != nil {
		return q, err
	}
	if err := oneOf("source", &q.Source, "", AlertsPrometheus, AlertsAlertmanager, AlertsBoth); err != nil {
		return q, err
	}
	if err := oneOf("format", &q.Format, "", AlertsTable, AlertsTimeline, AlertsCounts, AlertsRules); err != nil {
		return q, err
	}
	if (q.Format == AlertsTimeline || q.Format == AlertsRules) && q.Source == AlertsAlertmanager {
		return q, fmt.Errorf("the %s format comes from Prometheus (the ALERTS series, /api/v1/rules): use source prometheus or both", q.Format)
	}
	return q, nil
}

// ExpvarMode is what an expvar query returns.
// +enum
type ExpvarMode string

// Modes of an expvar query.
const (
	ExpvarLatest  ExpvarMode = "latest"
	ExpvarHistory ExpvarMode = "history"
	ExpvarRate    ExpvarMode = "rate"
)

// Expvar is the model of an `expvar` query.
type Expvar struct {
	Targets []string   `json:"targets,omitempty"`
	Paths   []string   `json:"paths"`
	Mode    ExpvarMode `json:"mode,omitempty"`
	// Live: the editor subscribes to the Live channel `expvar` with this query instead of
	// sending it to QueryData (which answers it like a latest query when it comes).
	Live bool `json:"live,omitempty"`
}

// ParseExpvar decodes and validates an expvar query.
func ParseExpvar(raw json.RawMessage) (Expvar, error) {
	var q Expvar
	if err := decode(raw, &q); err != nil {
		return q, err
	}
	if len(q.Paths) == 0 {
		return q, fmt.Errorf("paths is empty: name the variables, e.g. memstats.HeapAlloc or business.**")
	}
	if err := oneOf("mode", &q.Mode, ExpvarLatest, ExpvarLatest, ExpvarHistory, ExpvarRate); err != nil {
		return q, err
	}
	return q, nil
}

// Threshold is where a health signal starts to be a problem: a value at or above
// Critical is critical, at or above Warning a warning. Either may be unset.
type Threshold struct {
	Warning  *float64 `json:"warning,omitempty"`
	Critical *float64 `json:"critical,omitempty"`
}

// HealthFormat is the shape of the frames a health query returns.
// +enum
type HealthFormat string

// Formats of a health query.
const (
	HealthTable      HealthFormat = "table"
	HealthNumeric    HealthFormat = "numeric"
	HealthTimeSeries HealthFormat = "time_series"
)

// Health is the model of a `health` query: the verdict on every Go instance of a scope.
type Health struct {
	Job      string `json:"job,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Format is table (one row per instance), numeric (status per instance, for alert
	// rules) or time_series (status and signals over the range, per instance).
	Format HealthFormat `json:"format,omitempty"`
	// Thresholds override the data source's, by signal id, one bound at a time.
	Thresholds map[string]Threshold `json:"thresholds,omitempty"`
	// AlertCritical is the least urgent P-level whose firing alerts are critical;
	// empty: the data source's.
	AlertCritical string `json:"alertCritical,omitempty"`
}

// ParseHealth decodes a health query and checks its format and P-level; the thresholds
// are checked against the signals of the join (pkg/health).
func ParseHealth(raw json.RawMessage) (Health, error) {
	var q Health
	if err := decode(raw, &q); err != nil {
		return q, err
	}
	if err := oneOf("format", &q.Format, HealthTable, HealthTable, HealthNumeric, HealthTimeSeries); err != nil {
		return q, err
	}
	if err := CheckPLevel(q.AlertCritical); err != nil {
		return q, fmt.Errorf("alertCritical: %w", err)
	}
	return q, nil
}

// CheckPLevel accepts "" and P0 to P9.
func CheckPLevel(s string) error {
	if s == "" || (len(s) == 2 && s[0] == 'P' && s[1] >= '0' && s[1] <= '9') {
		return nil
	}
	return fmt.Errorf("%q is not a P-level: use P0 (most urgent) to P9", s)
}

// VariableKind is what a template-variable query lists.
// +enum
type VariableKind string

// Kinds of variable query.
const (
	VariableLabelValues VariableKind = "label_values"
	VariableLabelNames  VariableKind = "label_names"
	VariableMetricNames VariableKind = "metric_names"
	VariableQueryResult VariableKind = "query_result"
	VariableAlertNames  VariableKind = "alert_names"
	VariableSeverities  VariableKind = "severities"
	VariableRuleGroups  VariableKind = "rule_groups"
	// expvar: the targets' names, and the paths of a target's variables (label = target).
	VariableExpvarTargets VariableKind = "expvar_targets"
	VariableExpvarPaths   VariableKind = "expvar_paths"
)

// Variable is a template-variable query (queryType "variable").
type Variable struct {
	Kind  VariableKind `json:"kind"`
	Label string       `json:"label,omitempty"`
	Match string       `json:"match,omitempty"`
	Regex string       `json:"regex,omitempty"`
	Expr  string       `json:"expr,omitempty"`
}

// VariableModel is the model of a `variable` query: the variable query it carries.
type VariableModel struct {
	VariableQuery *Variable `json:"variableQuery"`
}

// ParseVariable decodes and validates a variable query.
func ParseVariable(raw json.RawMessage) (Variable, error) {
	var q VariableModel
	if err := decode(raw, &q); err != nil {
		return Variable{}, err
	}
	if q.VariableQuery == nil {
		return Variable{}, fmt.Errorf("variableQuery is missing")
	}
	v := *q.VariableQuery
	switch v.Kind {
	case VariableLabelValues:
		if v.Label == "" {
			return v, fmt.Errorf("label is empty: name the label whose values to list")
		}
	case VariableQueryResult:
		if strings.TrimSpace(v.Expr) == "" {
			return v, fmt.Errorf("expr is empty: enter the PromQL expression whose result to list")
		}
	case VariableLabelNames, VariableMetricNames, VariableAlertNames, VariableSeverities, VariableRuleGroups, VariableExpvarTargets, VariableExpvarPaths:
	default:
		return v, fmt.Errorf("variable kind %q is unknown: use label_values, label_names, metric_names, query_result, alert_names, severities, rule_groups, expvar_targets or expvar_paths", v.Kind)
	}
	return v, nil
}

// oneOf checks an enumerated field: empty takes def, anything but the valid values is an
// error naming them ("format \"graph\" is unknown: use table, numeric or time_series").
func oneOf[T ~string](field string, v *T, def T, valid ...T) error {
	if *v == "" {
		*v = def
		return nil
	}
	if slices.Contains(valid, *v) {
		return nil
	}
	names := make([]string, len(valid))
	for i, x := range valid {
		names[i] = string(x)
	}
	return fmt.Errorf("%s %q is unknown: use %s or %s", field, *v, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

func decode(raw json.RawMessage, into any) error {
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("invalid query model: %w", err)
	}
	return nil
}

// ErrEmptyRange is the answer to a query over a time range whose end is not after its
// start.
var ErrEmptyRange = errors.New("the time range is empty: its end must be after its start")

// CheckRange refuses, with ErrEmptyRange, a time range whose end is not after its start.
func CheckRange(from, to time.Time) error {
	if !to.After(from) {
		return ErrEmptyRange
	}
	return nil
}

// ParseDuration reads a step or interval as users write it: empty (zero), a
// Prometheus/Go duration ("15s", "1m30s", "1h") or a plain number of seconds ("30", "0.5").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		switch {
		case math.IsNaN(secs) || math.IsInf(secs, 0):
			return 0, fmt.Errorf("must be a finite number of seconds or a duration like 15s")
		case secs < 0:
			return 0, fmt.Errorf("must not be negative")
		case secs > float64(365*24*3600):
			return 0, fmt.Errorf("must be at most one year")
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

// Scoped is a query model with a scope: a job and an instance regex.
type Scoped interface {
	Scope() (job, instance string)
}

// Scope is the runtime query's job and instance regex.
func (q Runtime) Scope() (job, instance string) { return q.Job, q.Instance }

// Scope is the business query's job and instance regex.
func (q Business) Scope() (job, instance string) { return q.Job, q.Instance }

// Scope is the health query's job and instance regex.
func (q Health) Scope() (job, instance string) { return q.Job, q.Instance }
