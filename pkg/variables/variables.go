// Package variables answers Grafana template-variable queries: label values and names,
// metric names, query results, names from Prometheus's alerting rules, and expvar targets
// and paths, as one text/value frame.
package variables

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// Prometheus is what variable queries read from Prometheus.
type Prometheus interface {
	LabelValues(ctx context.Context, label string, matches []string, r v1.Range) (prometheus.List, error)
	LabelNames(ctx context.Context, matches []string, r v1.Range) (prometheus.List, error)
	InstantSeries(ctx context.Context, expr string, at time.Time) ([]prometheus.Series, error)
	Rules(ctx context.Context) ([]v1.RuleGroup, error)
}

// Sources are where variable queries read; Expvar is nil without expvar targets.
type Sources struct {
	Prometheus Prometheus
	Expvar     goexpvar.Source
}

// Run answers a template-variable query with one frame: a `text` field and a `value`
// field (the regex's first capture group when it has one, else the text).
func Run(ctx context.Context, src Sources, v query.Variable, severityLabel string, req prometheus.Request) (data.Frames, error) {
	re, err := variableRegexp(v.Regex)
	if err != nil {
		return nil, err
	}
	window := prometheus.Window(req.From, req.To)
	var matches []string
	if v.Match != "" {
		matches = []string{v.Match}
	}
	var texts []string
	switch v.Kind {
	case query.VariableLabelValues:
		var l prometheus.List
		l, err = src.Prometheus.LabelValues(ctx, v.Label, matches, window)
		texts = l.Values
	case query.VariableLabelNames:
		var l prometheus.List
		l, err = src.Prometheus.LabelNames(ctx, matches, window)
		texts = l.Values
	case query.VariableMetricNames:
		var l prometheus.List
		l, err = src.Prometheus.LabelValues(ctx, "__name__", matches, window)
		texts = l.Values
	case query.VariableQueryResult:
		var series []prometheus.Series
		series, err = src.Prometheus.InstantSeries(ctx, req.Macros(req.Interval).Expand(v.Expr), req.To)
		for _, s := range series {
			for i, val := range s.Values {
				texts = append(texts, fmt.Sprintf("%s %s %d", prometheus.SeriesName(s.Labels), strconv.FormatFloat(val, 'g', -1, 64), s.Times[i].UnixMilli()))
			}
		}
	case query.VariableAlertNames, query.VariableSeverities, query.VariableRuleGroups:
		texts, err = rules(ctx, src.Prometheus, v.Kind, severityLabel)
	case query.VariableExpvarTargets, query.VariableExpvarPaths:
		texts, err = expvarNames(ctx, src.Expvar, v)
	}
	if err != nil {
		return nil, err
	}
	text, value := applyVariableRegexp(texts, re)
	f := data.NewFrame("", data.NewField("text", nil, text), data.NewField("value", nil, value))
	return data.Frames{f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTable, ExecutedQueryString: string(v.Kind)})}, nil
}

// variableRegexp compiles a variable's regex, written as in Grafana (`/…/` or bare).
func variableRegexp(expr string) (*regexp.Regexp, error) {
	expr = strings.TrimSpace(expr)
	if len(expr) >= 2 && expr[0] == '/' && strings.LastIndex(expr, "/") > 0 {
		expr = expr[1:strings.LastIndex(expr, "/")]
	}
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, response.BadInput(fmt.Errorf("invalid regex %q: %w", expr, err))
	}
	return re, nil
}

// applyVariableRegexp keeps the texts the regex matches; the first capture group, when
// there is one, becomes the text and value. Duplicates are dropped, order is kept.
func applyVariableRegexp(texts []string, re *regexp.Regexp) (text, value []string) {
	seen := make(map[string]bool, len(texts))
	for _, t := range texts {
		v := t
		if re != nil {
			m := re.FindStringSubmatch(t)
			if m == nil {
				continue
			}
			if len(m) > 1 {
				t, v = m[1], m[1]
			}
		}
		if !seen[t] {
			seen[t] = true
			text, value = append(text, t), append(value, v)
		}
	}
	return text, value
}

// rules lists, from Prometheus's alerting rules, the alert names, the severities (the
// values of severityLabel) or the rule groups.
func rules(ctx context.Context, prom Prometheus, kind query.VariableKind, severityLabel string) ([]string, error) {
	groups, err := prom.Rules(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range groups {
		if kind == query.VariableRuleGroups {
			out = append(out, g.Name)
			continue
		}
		for _, r := range g.Rules {
			ar, ok := r.(v1.AlertingRule)
			if !ok {
				continue
			}
			if kind == query.VariableAlertNames {
				out = append(out, ar.Name)
			} else if sev := string(ar.Labels[model.LabelName(severityLabel)]); sev != "" {
				out = append(out, sev)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// expvarNames lists the expvar targets' names, or the paths of the variables of one
// target (Label) or of all targets.
func expvarNames(ctx context.Context, ev goexpvar.Source, v query.Variable) ([]string, error) {
	if ev == nil {
		return nil, response.BadInput(goexpvar.ErrNoTargets)
	}
	// The first discovery finds the targets: start before listing them.
	ev.Start(ctx)
	var names []string
	if v.Label != "" {
		names = []string{v.Label}
	}
	ev.WaitFirstPoll(ctx, names...)
	targets, err := goexpvar.SelectTargets(ev.Targets(), names)
	if err != nil {
		return nil, response.BadInput(err)
	}
	var out []string
	if v.Kind == query.VariableExpvarTargets {
		for _, t := range targets {
			out = append(out, t.Name)
		}
		return out, nil
	}
	for _, t := range targets {
		vars, _, _ := ev.Latest(t.Name)
		for _, x := range vars {
			out = append(out, x.Path.String())
		}
	}
	return out, nil
}
