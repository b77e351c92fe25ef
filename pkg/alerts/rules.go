package alerts

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// Rules is Prometheus's rule groups as one table, one row per rule: group, file, rule,
// type, state (alerting rules: inactive, pending, firing), severity and P-level, health,
// last error, last evaluation and its duration, and the query. Matchers and severities
// of the filter select alerting rules by their labels; recording rules are kept unless a
// severity is asked for. Rows are in one order whatever the server: groups by file and
// name, then alerting rules before recording rules, by name, labels and query (Prometheus
// keeps a group's rules in file order, Thanos Query sorts them so).
func Rules(groups []v1.RuleGroup, f Filter) *data.Frame {
	var (
		group, file, name, kind, state, severity, priority, health, lastError, expr []string
		lastEval                                                                    []time.Time
		evalSeconds                                                                 []float64
	)
	add := func(g v1.RuleGroup, n, k, st, sev, h, le, q string, at time.Time, took float64) {
		group, file, name, kind, state = append(group, g.Name), append(file, g.File), append(name, n), append(kind, k), append(state, st)
		severity, priority, health, lastError, expr = append(severity, sev), append(priority, f.levels.Priority(sev)), append(health, h), append(lastError, le), append(expr, q)
		lastEval, evalSeconds = append(lastEval, at.UTC()), append(evalSeconds, took)
	}
	for _, g := range ordered(groups) {
		for _, r := range g.Rules {
			switch r := r.(type) {
			case v1.AlertingRule:
				l := map[string]string{"alertname": r.Name}
				for k, v := range r.Labels {
					l[string(k)] = string(v)
				}
				if !f.keepLabels(l, true) {
					continue
				}
				add(g, r.Name, "alerting", r.State, f.levels.Severity(l), string(r.Health), r.LastError, r.Query, r.LastEvaluation, r.EvaluationTime)
			case v1.RecordingRule:
				if !f.keepLabels(map[string]string{"__name__": r.Name}, false) {
					continue
				}
				add(g, r.Name, "recording", "", "", string(r.Health), r.LastError, r.Query, r.LastEvaluation, r.EvaluationTime)
			}
		}
	}
	fr := data.NewFrame("rules",
		data.NewField("group", nil, group),
		data.NewField("file", nil, file),
		data.NewField("rule", nil, name),
		data.NewField("type", nil, kind),
		data.NewField("state", nil, state),
		data.NewField("severity", nil, severity),
		data.NewField("priority", nil, priority),
		data.NewField("health", nil, health),
		data.NewField("lastError", nil, lastError),
		data.NewField("lastEvaluation", nil, lastEval),
		data.NewField("evaluationSeconds", nil, evalSeconds),
		data.NewField("query", nil, expr),
	)
	fr.Fields[10].Config = &data.FieldConfig{Unit: "s"}
	return fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})
}

// keepLabels applies the matchers (and, for alerting rules, the severities) to a rule's
// labels.
func (f Filter) keepLabels(l map[string]string, alerting bool) bool {
	sev := f.levels.Severity(l)
	if len(f.severities) > 0 && (!alerting || (!f.severities[f.levels.Priority(sev)] && !f.severities[strings.ToLower(sev)])) {
		return false
	}
	for _, m := range f.matchers {
		if !m.Matches(l[m.Name]) {
			return false
		}
	}
	return true
}

// ordered sorts copies of the groups by file and name, and their rules: alerting before
// recording, then by name, labels and query.
func ordered(groups []v1.RuleGroup) []v1.RuleGroup {
	out := slices.Clone(groups)
	slices.SortStableFunc(out, func(a, b v1.RuleGroup) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Name, b.Name))
	})
	for i := range out {
		out[i].Rules = slices.Clone(out[i].Rules)
		slices.SortStableFunc(out[i].Rules, func(a, b any) int {
			ka, kb := ruleKey(a), ruleKey(b)
			return cmp.Or(cmp.Compare(ka.kind, kb.kind), strings.Compare(ka.name, kb.name), strings.Compare(ka.labels, kb.labels), strings.Compare(ka.query, kb.query))
		})
	}
	return out
}

type ruleSortKey struct {
	kind                int // 0 alerting, 1 recording, 2 other
	name, labels, query string
}

func ruleKey(r any) ruleSortKey {
	switch r := r.(type) {
	case v1.AlertingRule:
		return ruleSortKey{0, r.Name, r.Labels.String(), r.Query}
	case v1.RecordingRule:
		return ruleSortKey{1, r.Name, r.Labels.String(), r.Query}
	}
	return ruleSortKey{kind: 2}
}
