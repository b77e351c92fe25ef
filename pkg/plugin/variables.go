package plugin

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// queryVariable answers a template-variable query with one frame: a `text` field and a
// `value` field (the regex's first capture group when it has one, else the text).
func (d *Datasource) queryVariable(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	v, err := query.ParseVariable(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	re, err := variableRegexp(v.Regex)
	if err != nil {
		return response.Response(nil, err)
	}
	window := prometheus.Window(q.TimeRange.From, q.TimeRange.To)
	var matches []string
	if v.Match != "" {
		matches = []string{v.Match}
	}
	var texts []string
	switch v.Kind {
	case query.VariableLabelValues:
		var l prometheus.List
		l, err = d.prom.LabelValues(ctx, v.Label, matches, window)
		texts = l.Values
	case query.VariableLabelNames:
		var l prometheus.List
		l, err = d.prom.LabelNames(ctx, matches, window)
		texts = l.Values
	case query.VariableMetricNames:
		var l prometheus.List
		l, err = d.prom.LabelValues(ctx, "__name__", matches, window)
		texts = l.Values
	case query.VariableQueryResult:
		var series []prometheus.Series
		series, err = d.prom.InstantSeries(ctx, d.request(q).Macros(q.Interval).Expand(v.Expr), q.TimeRange.To)
		for _, s := range series {
			for i, val := range s.Values {
				texts = append(texts, fmt.Sprintf("%s %s %d", prometheus.SeriesName(s.Labels), strconv.FormatFloat(val, 'g', -1, 64), s.Times[i].UnixMilli()))
			}
		}
	case query.VariableAlertNames, query.VariableSeverities, query.VariableRuleGroups:
		texts, err = d.ruleVariable(ctx, v.Kind)
	case query.VariableExpvarTargets, query.VariableExpvarPaths:
		texts, err = d.expvarVariable(ctx, v)
	}
	if err != nil {
		return response.Response(nil, err)
	}
	text, value := applyVariableRegexp(texts, re)
	f := data.NewFrame("", data.NewField("text", nil, text), data.NewField("value", nil, value))
	return response.Response(data.Frames{f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTable, ExecutedQueryString: string(v.Kind)})}, nil)
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

// ruleVariable lists, from Prometheus's alerting rules, the alert names, the severities
// (with P-levels first, in order) or the rule groups.
func (d *Datasource) ruleVariable(ctx context.Context, kind query.VariableKind) ([]string, error) {
	groups, err := d.prom.Rules(ctx)
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
			} else if sev := string(ar.Labels[model.LabelName(d.settings.Levels.Label)]); sev != "" {
				out = append(out, sev)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// expvarVariable lists the expvar targets' names, or the paths of the variables of one
// target (Label) or of all targets.
func (d *Datasource) expvarVariable(ctx context.Context, v query.Variable) ([]string, error) {
	if d.expvar == nil {
		return nil, response.BadInput(goexpvar.ErrNoTargets)
	}
	// The first sweep discovers the targets: start before listing them.
	d.expvar.Start(ctx)
	var names []string
	if v.Label != "" {
		names = []string{v.Label}
	}
	targets, err := goexpvar.SelectTargets(d.expvar.Targets(), names)
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
		vars, _, _ := d.expvar.Latest(t.Name)
		for _, x := range vars {
			out = append(out, x.Path.String())
		}
	}
	return out, nil
}
