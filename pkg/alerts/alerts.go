// Package alerts turns alert state into panel data: the alerts Prometheus evaluates
// (/api/v1/alerts), filtered by state, label matchers and severity, with each alert's
// severity mapped to a P-level, as one table frame.
package alerts

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gopulse/health/pkg/alertmanager"
)

// Alert is one active alert, whatever its source.
type Alert struct {
	Name        string
	State       string // firing | pending
	Severity    string // the severity label as written
	Priority    string // P0, P1, P2, ... or "" when the severity maps to none
	Instance    string
	Job         string
	ActiveSince time.Time
	Value       float64 // NaN when the source gives none
	Summary     string
	Description string
	Labels      map[string]string
	Source      string
	// From Alertmanager, when it knows the alert.
	Silenced  bool
	Inhibited bool
	Receivers []string
}

// States of an alert that a query can ask for.
var States = []string{"firing", "pending"}

var pLevel = regexp.MustCompile(`^[Pp]([0-9])$`)

// Priority maps a severity label to a P-level: P0..P9 as such (any case), and the common
// words critical → P0, error/high/major → P1, warning/medium/minor → P2, info/low → P3.
func Priority(severity string) string {
	if m := pLevel.FindStringSubmatch(severity); m != nil {
		return "P" + m[1]
	}
	switch strings.ToLower(severity) {
	case "critical", "page", "emergency":
		return "P0"
	case "error", "high", "major":
		return "P1"
	case "warning", "warn", "medium", "minor":
		return "P2"
	case "info", "low", "none":
		return "P3"
	}
	return ""
}

// FromPrometheus converts Prometheus's active alerts.
func FromPrometheus(in []v1.Alert) []Alert {
	out := make([]Alert, 0, len(in))
	for _, a := range in {
		l := make(map[string]string, len(a.Labels))
		for k, v := range a.Labels {
			l[string(k)] = string(v)
		}
		value, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			value = math.NaN()
		}
		out = append(out, Alert{
			Name: l["alertname"], State: string(a.State), Severity: l["severity"], Priority: Priority(l["severity"]),
			Instance: l["instance"], Job: l["job"], ActiveSince: a.ActiveAt.UTC(), Value: value,
			Summary: string(a.Annotations["summary"]), Description: string(a.Annotations["description"]),
			Labels: l, Source: "prometheus",
		})
	}
	return out
}

// FromAlertmanager converts Alertmanager's alerts. Alertmanager only holds firing alerts.
func FromAlertmanager(in []alertmanager.Alert) []Alert {
	out := make([]Alert, 0, len(in))
	for _, a := range in {
		al := Alert{
			Name: a.Labels["alertname"], State: "firing", Severity: a.Labels["severity"], Priority: Priority(a.Labels["severity"]),
			Instance: a.Labels["instance"], Job: a.Labels["job"], ActiveSince: a.StartsAt.UTC(), Value: math.NaN(),
			Summary: a.Annotations["summary"], Description: a.Annotations["description"], Labels: a.Labels, Source: "alertmanager",
		}
		amStatus(&al, a)
		out = append(out, al)
	}
	return out
}

func amStatus(al *Alert, a alertmanager.Alert) {
	al.Silenced = len(a.Status.SilencedBy) > 0
	al.Inhibited = len(a.Status.InhibitedBy) > 0
	al.Receivers = al.Receivers[:0]
	for _, r := range a.Receivers {
		al.Receivers = append(al.Receivers, r.Name)
	}
}

// Merge joins Prometheus's alerts with Alertmanager's by label set: a Prometheus alert
// that Alertmanager holds gets its silenced, inhibited and receivers; Alertmanager's other
// alerts (from other Prometheus servers) are added as they are.
func Merge(prom []Alert, am []alertmanager.Alert) []Alert {
	byLabels := make(map[string]int, len(am))
	for i, a := range am {
		byLabels[labelKey(a.Labels)] = i
	}
	out := make([]Alert, 0, len(prom)+len(am))
	for _, p := range prom {
		key := labelKey(p.Labels)
		if i, ok := byLabels[key]; ok {
			amStatus(&p, am[i])
			p.Source = "both"
			delete(byLabels, key)
		}
		out = append(out, p)
	}
	rest := make([]alertmanager.Alert, 0, len(byLabels))
	for _, i := range byLabels {
		rest = append(rest, am[i])
	}
	return append(out, FromAlertmanager(rest)...)
}

// labelKey identifies a label set: its pairs sorted, joined by bytes no label has.
func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	size := 0
	for k, v := range l {
		keys = append(keys, k)
		size += len(k) + len(v) + 2
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0xfe)
		b.WriteString(l[k])
		b.WriteByte(0xff)
	}
	return b.String()
}

// Filter selects alerts.
type Filter struct {
	states     map[string]bool
	matchers   []*labels.Matcher
	severities map[string]bool
}

var promql = parser.NewParser(parser.Options{})

// NewFilter validates a query's filters: states (empty = firing and pending), label
// matchers in Prometheus syntax (`severity="P0",instance=~"api-.*"`), and severities
// (P-levels or severity label values; empty = all).
func NewFilter(states []string, matchers string, severities []string) (Filter, error) {
	f := Filter{states: map[string]bool{}, severities: map[string]bool{}}
	if len(states) == 0 {
		states = States
	}
	for _, s := range states {
		if !slices.Contains(States, s) {
			return f, fmt.Errorf("state %q is unknown: use firing or pending", s)
		}
		f.states[s] = true
	}
	if m := strings.TrimSpace(matchers); m != "" {
		ms, err := promql.ParseMetricSelector("{" + m + "}")
		if err != nil {
			var pe parser.ParseErrors
			if errors.As(err, &pe) && len(pe) > 0 {
				err = pe[0].Err
			}
			return f, fmt.Errorf("matchers %q are not a label-matcher list like severity=\"P0\",instance=~\"api-.*\": %v", m, err)
		}
		f.matchers = ms
	}
	for _, s := range severities {
		f.severities[s] = true
	}
	return f, nil
}

// Keep tells whether the filter selects a.
func (f Filter) Keep(a Alert) bool {
	return f.states[a.State] && f.keepLabels(a.Labels, true)
}

// Select returns the alerts the filter keeps, most urgent first: by P-level (none last),
// then firing before pending, then oldest first, then name and instance.
func Select(in []Alert, f Filter) []Alert {
	out := make([]Alert, 0, len(in))
	for _, a := range in {
		if f.Keep(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(
			cmp.Compare(rank(a.Priority), rank(b.Priority)),
			cmp.Compare(stateRank(a.State), stateRank(b.State)),
			a.ActiveSince.Compare(b.ActiveSince),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Instance, b.Instance),
		)
	})
	return out
}

func rank(p string) string {
	if p == "" || p == "none" {
		return "~" // after every P-level
	}
	return p
}

func stateRank(s string) int {
	if s == "firing" {
		return 0
	}
	return 1
}

// Table is the alerts as one table frame, one row per alert.
func Table(in []Alert) *data.Frame {
	str := func(get func(Alert) string) []string {
		out := make([]string, len(in))
		for i, a := range in {
			out[i] = get(a)
		}
		return out
	}
	since := make([]time.Time, len(in))
	value := make([]float64, len(in))
	silenced := make([]bool, len(in))
	inhibited := make([]bool, len(in))
	for i, a := range in {
		since[i], value[i], silenced[i], inhibited[i] = a.ActiveSince, a.Value, a.Silenced, a.Inhibited
	}
	f := data.NewFrame("alerts",
		data.NewField("alertname", nil, str(func(a Alert) string { return a.Name })),
		data.NewField("state", nil, str(func(a Alert) string { return a.State })),
		data.NewField("severity", nil, str(func(a Alert) string { return a.Severity })),
		data.NewField("priority", nil, str(func(a Alert) string { return a.Priority })),
		data.NewField("instance", nil, str(func(a Alert) string { return a.Instance })),
		data.NewField("job", nil, str(func(a Alert) string { return a.Job })),
		data.NewField("activeSince", nil, since),
		data.NewField("value", nil, value),
		data.NewField("summary", nil, str(func(a Alert) string { return a.Summary })),
		data.NewField("description", nil, str(func(a Alert) string { return a.Description })),
		data.NewField("silenced", nil, silenced),
		data.NewField("inhibited", nil, inhibited),
		data.NewField("receivers", nil, str(func(a Alert) string { return strings.Join(a.Receivers, ", ") })),
		data.NewField("labels", nil, str(func(a Alert) string { return labelString(a.Labels) })),
		data.NewField("source", nil, str(func(a Alert) string { return a.Source })),
	)
	return f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})
}

// labelString writes labels as Prometheus does: {a="b", c="d"}, sorted.
func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Counts is the number of firing alerts per P-level as numeric-multi frames (one per
// level, labelled priority=Pn; P0, P1 and P2 always present, "none" for alerts without a
// level), for stat panels and Grafana alert rules.
func Counts(in []Alert) data.Frames {
	counts := map[string]float64{"P0": 0, "P1": 0, "P2": 0}
	for _, a := range in {
		if a.State != "firing" {
			continue
		}
		p := a.Priority
		if p == "" {
			p = "none"
		}
		counts[p]++
	}
	levels := make([]string, 0, len(counts))
	for p := range counts {
		levels = append(levels, p)
	}
	slices.SortFunc(levels, func(a, b string) int {
		return cmp.Compare(rank(strings.Replace(a, "none", "", 1)), rank(strings.Replace(b, "none", "", 1)))
	})
	meta := &data.FrameMeta{Type: data.FrameTypeNumericMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
	out := make(data.Frames, 0, len(levels))
	for _, p := range levels {
		f := data.NewField("firing", data.Labels{"priority": p}, []float64{counts[p]})
		f.Config = &data.FieldConfig{DisplayNameFromDS: p}
		out = append(out, data.NewFrame("", f).SetMeta(meta))
	}
	return out
}
