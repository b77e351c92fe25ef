package goexpvar

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// Source is what expvar queries read: the targets, their latest variables and the poll
// history (a Poller).
type Source interface {
	// Start starts polling (once).
	Start(ctx context.Context)
	Targets() []Target
	// WaitFirstPoll waits, briefly, for the first poll of the named targets.
	WaitFirstPoll(ctx context.Context, names ...string)
	Latest(target string) ([]Var, Status, bool)
	History() *History
}

// ErrNoTargets is the answer of expvar queries on a data source without targets.
var ErrNoTargets = errors.New("no expvar targets are configured for this data source: add targets or jobs to discover in its settings")

// Numeric tells whether a variable has a number (numbers, and bools as 0 or 1).
func (v Var) Numeric() bool { return v.Kind == KindNumber || v.Kind == KindBool }

// Selection is what an expvar query reads: its targets and path patterns.
type Selection struct {
	Targets  []Target
	Patterns []Pattern
}

// Select resolves a query's targets and parses its paths. Errors are the query's fault.
func Select(src Source, model query.Expvar) (Selection, error) {
	targets, err := SelectTargets(src.Targets(), model.Targets)
	if err != nil {
		return Selection{}, err
	}
	sel := Selection{Targets: targets, Patterns: make([]Pattern, len(model.Paths))}
	for i, p := range model.Paths {
		if sel.Patterns[i], err = ParsePath(p); err != nil {
			return Selection{}, err
		}
	}
	return sel, nil
}

// SelectTargets are the targets of all with the given names, in that order; no names is
// every target. An unknown name is an error naming the known ones.
func SelectTargets(all []Target, names []string) ([]Target, error) {
	if len(names) == 0 {
		return all, nil
	}
	out := make([]Target, 0, len(names))
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			continue // a target named twice answers once
		}
		i := slices.IndexFunc(all, func(t Target) bool { return t.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, t := range all {
				known[j] = t.Name
			}
			return nil, fmt.Errorf("expvar target %q is not configured: known targets are %s", n, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// Matching are the variables that one of the patterns matches.
func (s Selection) Matching(vars []Var) []Var {
	var out []Var
	for _, v := range vars {
		for _, p := range s.Patterns {
			if p.Match(v.Path) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// Run answers an expvar query: the variables of its targets matching its paths, latest
// values as one table, or their history (or per-second rate) as time series from the
// poll history between from and to. opts says how the history is kept, for the notice
// when the range reaches past it.
//
// A target that is down is not presented as current: its rows are left out of the latest
// table and a notice says since when it is down and how old its last values are; its
// history has a gap (a null point) where the outage began. A target still in its first
// poll is left out with a notice too, so that a slow target never holds up a query.
func Run(ctx context.Context, src Source, model query.Expvar, from, to time.Time, opts PollerOptions) (data.Frames, error) {
	sel, err := Select(src, model)
	if err != nil {
		return nil, response.BadInput(err)
	}
	src.Start(ctx)
	names := make([]string, len(sel.Targets))
	for i, t := range sel.Targets {
		names[i] = t.Name
	}
	src.WaitFirstPoll(ctx, names...)
	now := time.Now()
	var fr data.Frames
	var notices []data.Notice
	var seen []Var // every variable of the targets read, for the no-match hints
	for _, t := range sel.Targets {
		vars, st, _ := src.Latest(t.Name)
		seen = append(seen, vars...)
		if n, ok := StatusNotice(t.Name, st, now); ok {
			notices = append(notices, n)
		}
		matched := sel.Matching(vars)
		switch {
		case model.Mode != query.ExpvarLatest:
			fr = append(fr, history(src.History(), t, matched, from, to, model.Mode == query.ExpvarRate, opts, &notices)...)
		case st.Up:
			fr = appendLatest(fr, t, st, matched, now)
		}
	}
	for _, pt := range sel.Patterns {
		if h := noMatchHint(pt, seen); h != "" {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: h})
		}
	}
	if len(fr) == 0 {
		// No data: one frame of the mode's type without fields (the data plane's empty answer).
		meta := &data.FrameMeta{Type: data.FrameTypeTable}
		if model.Mode != query.ExpvarLatest {
			meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		}
		fr = data.Frames{data.NewFrame("expvar").SetMeta(meta)}
	}
	for _, n := range notices {
		response.AddNotice(fr[0], n)
	}
	return fr, nil
}

// StatusNotice is what a query tells about a target that is not up: still in its first
// poll, or down (since when, why, and how old its last values are).
func StatusNotice(name string, st Status, now time.Time) (data.Notice, bool) {
	switch {
	case st.Up:
		return data.Notice{}, false
	case st.LastPoll.IsZero():
		return data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf("expvar target %s: the first poll is still running; its values are not known yet", name)}, true
	case st.LastSuccess.IsZero():
		return data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("expvar target %s is down: %s (never answered; last try %s)", name, st.LastError, st.LastPoll.Format(time.RFC3339))}, true
	}
	return data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("expvar target %s is down: %s. Its last values, polled %s (%s ago), are not shown as current",
		name, st.LastError, st.LastSuccess.Format(time.RFC3339), now.Sub(st.LastSuccess).Round(time.Second))}, true
}

// appendLatest adds a target's matched variables to the one latest table (made on the
// first call): target, instance, path, value (numbers and bools), text (strings; null
// leaves have neither), the time of the poll they come from and its age in seconds.
func appendLatest(fr data.Frames, t Target, st Status, vars []Var, now time.Time) data.Frames {
	if len(fr) == 0 {
		age := data.NewField("age", nil, []float64{})
		age.Config = &data.FieldConfig{Unit: "s"}
		fr = data.Frames{data.NewFrame("expvar",
			data.NewField("target", nil, []string{}),
			data.NewField("instance", nil, []string{}),
			data.NewField("path", nil, []string{}),
			data.NewField("value", nil, []*float64{}),
			data.NewField("text", nil, []*string{}),
			data.NewField("polled", nil, []time.Time{}),
			age,
		).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})}
	}
	f := fr[0]
	age := now.Sub(st.LastSuccess).Seconds()
	for _, v := range vars {
		var num *float64
		var text *string
		switch {
		case v.Numeric():
			n := v.Num
			num = &n
		case v.Kind == KindString:
			s := v.Str
			text = &s
		}
		f.AppendRow(t.Name, t.Instance, v.Path.String(), num, text, st.LastSuccess, age)
	}
	return fr
}

// history makes one time series per matched numeric variable from the poll history (or
// its per-second rate, counter resets skipped), noting when the range reaches past what
// is kept. An outage is a null point.
func history(h *History, t Target, vars []Var, from, to time.Time, rate bool, opts PollerOptions, notices *[]data.Notice) data.Frames {
	var out data.Frames
	cut := false
	for _, v := range vars {
		if !v.Numeric() {
			*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s %s is a %s, not a number: it has no history (use mode latest)", t.Name, v.Path, v.Kind)})
			continue
		}
		path := v.Path.String()
		times, values, truncated := h.Range(SeriesKey{Target: t.Name, Path: path}, from, to)
		cut = cut || truncated
		if rate {
			times, values = PerSecond(times, values)
		}
		value := data.NewField("Value", data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, Nullable(values))
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Name + " " + path}
		out = append(out, data.NewFrame("", data.NewField("Time", nil, times), value).SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}))
	}
	if cut {
		*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityInfo,
			Text: fmt.Sprintf("the range starts before the history kept for %s (polled every %s, kept %s)", t.Name, opts.Interval, opts.History.Retention.Round(time.Second))})
	}
	return out
}

// Nullable turns NaN (the break the poller writes when a target goes down) into null.
func Nullable(values []float64) []*float64 {
	out := make([]*float64, len(values))
	for i := range values {
		if !math.IsNaN(values[i]) {
			out[i] = &values[i]
		}
	}
	return out
}

// PerSecond turns a counter into its per-second rate between polls; a drop (a restart
// reset the counter) gives no point, and a break (NaN) stays a break.
func PerSecond(times []time.Time, values []float64) ([]time.Time, []float64) {
	var ts []time.Time
	var vs []float64
	for i := 1; i < len(values); i++ {
		if math.IsNaN(values[i]) {
			ts, vs = append(ts, times[i]), append(vs, math.NaN())
			continue
		}
		dt := times[i].Sub(times[i-1]).Seconds()
		if dv := values[i] - values[i-1]; dv >= 0 && dt > 0 {
			ts, vs = append(ts, times[i]), append(vs, dv/dt)
		}
	}
	return ts, vs
}

// LiveFrame is one row at now: the latest value of every matched numeric variable (a
// wide time series: one time field, one labelled field per variable). A target that is
// down, or not polled yet, pushes nulls and a notice, never its old values.
func LiveFrame(src Source, sel Selection, now time.Time) *data.Frame {
	fields := data.Fields{}
	var notices []data.Notice
	for _, t := range sel.Targets {
		vars, st, _ := src.Latest(t.Name)
		if n, ok := StatusNotice(t.Name, st, now); ok {
			notices = append(notices, n)
		}
		for _, v := range sel.Matching(vars) {
			if v.Numeric() {
				path := v.Path.String()
				var value *float64
				if st.Up {
					n := v.Num
					value = &n
				}
				fields = append(fields, data.NewField(t.Name+" "+path, data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, []*float64{value}))
			}
		}
	}
	f := data.NewFrame("expvar", append(data.Fields{data.NewField("Time", nil, []time.Time{now.UTC()})}, fields...)...)
	f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}})
	for _, n := range notices {
		response.AddNotice(f, n)
	}
	return f
}
