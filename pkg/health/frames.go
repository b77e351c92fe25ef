package health

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// statusColors colour a status, by name (table) and by number (numeric, time series).
var statusColors = []struct {
	s     Status
	color string
}{{OK, "green"}, {Warning, "orange"}, {Critical, "red"}, {Down, "dark-red"}, {Unknown, "text"}}

func statusMappings(byNumber bool) data.ValueMappings {
	m := data.ValueMapper{}
	for i, c := range statusColors {
		key := c.s.String()
		if byNumber {
			key = statusText(c.s)
		}
		m[key] = data.ValueMappingResult{Text: c.s.String(), Color: c.color, Index: i}
	}
	return data.ValueMappings{m}
}

// upMappings show up as "up" and "down".
var upMappings = data.ValueMappings{data.ValueMapper{
	"0": {Text: "down", Color: "dark-red", Index: 0},
	"1": {Text: "up", Color: "green", Index: 1},
}}

// signalConfig is a signal's unit, title and threshold colours.
func (j *Join) signalConfig(sig int, display string) *data.FieldConfig {
	c := &data.FieldConfig{DisplayNameFromDS: display, Unit: signals[sig].Unit, Description: signals[sig].Description}
	if sig == 0 {
		c.Mappings = upMappings
		return c
	}
	steps := []data.Threshold{{Value: data.ConfFloat64(math.Inf(-1)), Color: "green"}}
	if b := j.bounds[sig]; !math.IsNaN(b.warning) {
		steps = append(steps, data.Threshold{Value: data.ConfFloat64(b.warning), Color: "orange"})
	}
	if b := j.bounds[sig]; !math.IsNaN(b.critical) {
		steps = append(steps, data.Threshold{Value: data.ConfFloat64(b.critical), Color: "red"})
	}
	c.Thresholds = &data.ThresholdsConfig{Mode: data.ThresholdsModeAbsolute, Steps: steps}
	return c
}

// Table is one row per instance at the grid's last step, worst first: instance, job,
// status, reason, each signal (nil where it has no value) and the firing alerts.
func (j *Join) Table() *data.Frame {
	type line struct {
		r      *row
		st     Status
		reason string
		alerts string
		vals   [NumSignals]*float64
	}
	k := j.grid.Points - 1
	lines := make([]line, len(j.rows))
	for i, r := range j.rows {
		j.fill(r)
		l := line{r: r, st: j.status(k)}
		l.reason, l.alerts = j.reason(r, k, l.st), j.alertNames(r, k)
		for sig := range NumSignals {
			if v := j.values[sig*j.grid.Points+k]; !math.IsNaN(v) {
				l.vals[sig] = &v
			}
		}
		lines[i] = l
	}
	slices.SortFunc(lines, func(a, b line) int {
		return cmp.Or(cmp.Compare(b.st.rank(), a.st.rank()), strings.Compare(a.r.instance, b.r.instance))
	})
	col := func(get func(line) string) []string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = get(l)
		}
		return out
	}
	status := data.NewField("status", nil, col(func(l line) string { return l.st.String() }))
	status.Config = &data.FieldConfig{DisplayNameFromDS: "Status", Mappings: statusMappings(false),
		Custom: map[string]any{"cellOptions": map[string]any{"type": "color-background"}}}
	f := data.NewFrame("health",
		data.NewField("instance", nil, col(func(l line) string { return l.r.instance })),
		data.NewField("job", nil, col(func(l line) string { return l.r.job })),
		status,
		data.NewField("reason", nil, col(func(l line) string { return l.reason })),
	)
	for sig := range NumSignals {
		vals := make([]*float64, len(lines))
		for i, l := range lines {
			vals[i] = l.vals[sig]
		}
		fl := data.NewField(string(signals[sig].ID), nil, vals)
		fl.Config = j.signalConfig(sig, signals[sig].Title)
		fl.Config.Custom = map[string]any{"cellOptions": map[string]any{"type": "color-text"}}
		f.Fields = append(f.Fields, fl)
	}
	f.Fields = append(f.Fields, data.NewField("alerts", nil, col(func(l line) string { return l.alerts })))
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}
	return f
}

// Numeric is one numeric frame per instance at the grid's last step: its status as a
// number (0 ok, 1 warning, 2 critical, 3 down, -1 unknown) labelled with job and
// instance, for Grafana alert rules (one alert instance per Go instance).
func (j *Join) Numeric() data.Frames {
	k := j.grid.Points - 1
	out := make(data.Frames, 0, len(j.rows))
	for _, r := range j.rows {
		j.fill(r)
		st := j.status(k)
		fl := data.NewField("status", j.labels(r), []float64{float64(st)})
		fl.Config = &data.FieldConfig{DisplayNameFromDS: r.instance, Mappings: statusMappings(true)}
		f := data.NewFrame("", fl)
		f.Meta = &data.FrameMeta{Type: data.FrameTypeNumericMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		out = append(out, f)
	}
	return out
}

func (j *Join) labels(r *row) data.Labels {
	l := data.Labels{j.instanceLabel: r.instance}
	if r.job != "" {
		l[j.jobLabel] = r.job
	}
	return l
}

// TimeSeries is one wide frame per instance over the grid: time, status (as Numeric) and
// every signal, NaN where a signal has no value. With more than one instance, field names
// carry the instance.
func (j *Join) TimeSeries() data.Frames {
	p := j.grid.Points
	times := make([]time.Time, p)
	for k := range times {
		times[k] = j.grid.At(k)
	}
	status := make([]float64, p)
	out := make(data.Frames, 0, len(j.rows))
	for _, r := range j.rows {
		j.fill(r)
		for k := range status {
			status[k] = float64(j.status(k))
		}
		display := func(title string) string {
			if len(j.rows) == 1 {
				return title
			}
			return r.instance + " " + strings.ToLower(title)
		}
		labels := j.labels(r)
		st := data.NewField("status", labels, status)
		st.Config = &data.FieldConfig{DisplayNameFromDS: display("Status"), Mappings: statusMappings(true)}
		f := data.NewFrame(r.instance, data.NewField(data.TimeSeriesTimeFieldName, nil, times), st)
		for sig := range NumSignals {
			fl := data.NewField(string(signals[sig].ID), labels, j.values[sig*p:(sig+1)*p])
			fl.Config = j.signalConfig(sig, display(signals[sig].Title))
			f.Fields = append(f.Fields, fl)
		}
		f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}}
		out = append(out, f)
	}
	return out
}
