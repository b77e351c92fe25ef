// Package alerts turns alert state into panel data: the alerts Prometheus evaluates
// (/api/v1/alerts), filtered by state, label matchers and severity, with each alert's
// severity mapped to a P-level, as one table frame.
package alerts

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/scope"
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

// Levels maps an alert's severity label to a P-level. The data source configures the
// label and the words; P0..P9 (any case) always map to themselves.
type Levels struct {
	// Label is the severity label's name (default "severity").
	Label string
	// Words maps lower-cased severity values to P-levels.
	Words map[string]string
}

// DefaultLevels: the severity label, with critical → P0, error/high/major → P1,
// warning/medium/minor → P2, info/low → P3.
func DefaultLevels() Levels {
	return Levels{Label: "severity", Words: map[string]string{
		"critical": "P0", "page": "P0", "emergency": "P0",
		"error": "P1", "high": "P1", "major": "P1",
		"warning": "P2", "warn": "P2", "medium": "P2", "minor": "P2",
		"info": "P3", "low": "P3", "none": "P3",
	}}
}

// NewLevels validates a data source's severity label and words (nil words: the default
// ones).
func NewLevels(label string, words map[string]string) (Levels, error) {
	lv := DefaultLevels()
	if label != "" {
		lv.Label = label
	}
	if words != nil {
		lv.Words = make(map[string]string, len(words))
		for w, p := range words {
			if !pLevel.MatchString(p) {
				return lv, fmt.Errorf("severity %q maps to %q: use a P-level, P0 to P9", w, p)
			}
			lv.Words[strings.ToLower(w)] = strings.ToUpper(p)
		}
	}
	return lv, nil
}

// Severity is the severity label of an alert's labels.
func (lv Levels) Severity(l map[string]string) string { return l[lv.Label] }

// Priority is the P-level of a severity value, or "" when it maps to none.
func (lv Levels) Priority(severity string) string {
	if m := pLevel.FindStringSubmatch(severity); m != nil {
		return "P" + m[1]
	}
	return lv.Words[strings.ToLower(severity)]
}

// alert makes an Alert from labels and annotations.
func (lv Levels) alert(l, annotations map[string]string, state, source string, since time.Time, value float64) Alert {
	sev := lv.Severity(l)
	return Alert{
		Name: l["alertname"], State: state, Severity: sev, Priority: lv.Priority(sev),
		Instance: l["instance"], Job: l["job"], ActiveSince: since.UTC(), Value: value,
		Summary: annotations["summary"], Description: annotations["description"], Labels: l, Source: source,
	}
}

// FromPrometheus converts Prometheus's active alerts.
func FromPrometheus(in []v1.Alert, lv Levels) []Alert {
	out := make([]Alert, 0, len(in))
	for _, a := range in {
		value, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			value = math.NaN()
		}
		out = append(out, lv.alert(labelMap(a.Labels), labelMap(a.Annotations), string(a.State), "prometheus", a.ActiveAt, value))
	}
	return out
}

func labelMap(ls model.LabelSet) map[string]string {
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		out[string(k)] = string(v)
	}
	return out
}

// FromAlertmanager converts Alertmanager's alerts. Alertmanager only holds firing alerts.
func FromAlertmanager(in []alertmanager.Alert, lv Levels) []Alert {
	out := make([]Alert, 0, len(in))
	for _, a := range in {
		al := lv.alert(a.Labels, a.Annotations, "firing", "alertmanager", a.StartsAt, math.NaN())
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
func Merge(prom []Alert, am []alertmanager.Alert, lv Levels) []Alert {
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
	return append(out, FromAlertmanager(rest, lv)...)
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
	levels     Levels
	states     map[string]bool
	matchers   []*labels.Matcher
	severities map[string]bool
}

// NewFilter validates a query's filters: states (empty = firing and pending), label
// matchers in Prometheus syntax (`severity="P0",instance=~"api-.*"`), and severities
// (P-levels or severity label values; empty = all).
func NewFilter(states []string, matchers string, severities []string, lv Levels) (Filter, error) {
	f := Filter{levels: lv, states: map[string]bool{}, severities: map[string]bool{}}
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
		ms, err := scope.ParseMatchers("", m)
		if err != nil {
			return f, fmt.Errorf("matchers %q are not a label-matcher list like severity=\"P0\",instance=~\"api-.*\": %v", m, err)
		}
		f.matchers = ms
	}
	for _, s := range severities {
		key, err := lv.filterKey(s)
		if err != nil {
			return f, err
		}
		f.severities[key] = true
	}
	return f, nil
}

// filterKey is how a severity filter is matched: a P-level as P0..P9, a severity value of
// the levels in lower case. Anything else would silently select nothing: it is an error
// that names what is known.
func (lv Levels) filterKey(s string) (string, error) {
	if m := pLevel.FindStringSubmatch(s); m != nil {
		return "P" + m[1], nil
	}
	if _, ok := lv.Words[strings.ToLower(s)]; ok {
		return strings.ToLower(s), nil
	}
	words := slices.Sorted(maps.Keys(lv.Words))
	return "", fmt.Errorf("severity %q is unknown: use a P-level (P0 to P9) or a severity value of the data source (%s)", s, strings.Join(words, ", "))
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
	value := make([]*float64, len(in)) // empty where the source gives none (Alertmanager)
	silenced := make([]bool, len(in))
	inhibited := make([]bool, len(in))
	for i, a := range in {
		since[i], silenced[i], inhibited[i] = a.ActiveSince, a.Silenced, a.Inhibited
		if !math.IsNaN(a.Value) {
			value[i] = &in[i].Value
		}
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
	f.Fields[3].Config = &data.FieldConfig{Mappings: priorityColors}
	return f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})
}

// priorityColors colour the P-levels in tables: P0 red, P1 orange, P2 yellow, P3 blue.
var priorityColors = data.ValueMappings{data.ValueMapper{
	"P0": {Color: "red", Index: 0},
	"P1": {Color: "orange", Index: 1},
	"P2": {Color: "yellow", Index: 2},
	"P3": {Color: "blue", Index: 3},
}}

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

// Counts is the number of alerts in state (firing or pending) per P-level as
// numeric-multi frames (one per level, labelled priority=Pn; P0, P1 and P2 always
// present, at 0 when none is, "none" for alerts without a level), for stat panels and
// Grafana alert rules. The field is named after the state.
func Counts(in []Alert, state string) data.Frames {
	counts := map[string]float64{"P0": 0, "P1": 0, "P2": 0}
	for _, a := range in {
		if a.State != state {
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
		f := data.NewField(state, data.Labels{"priority": p}, []float64{counts[p]})
		f.Config = &data.FieldConfig{DisplayNameFromDS: p}
		out = append(out, data.NewFrame("", f).SetMeta(meta))
	}
	return out
}
