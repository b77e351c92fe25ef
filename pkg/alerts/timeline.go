package alerts

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/prometheus"
)

// Selector is the ALERTS series selector for the filter's label matchers.
func (f Filter) Selector() string {
	parts := make([]string, len(f.matchers))
	for i, m := range f.matchers {
		parts[i] = m.String()
	}
	return "ALERTS{" + strings.Join(parts, ",") + "}"
}

// stateColors are the state-timeline colours of the alert states.
var stateColors = data.ValueMappings{data.ValueMapper{
	"firing":  {Color: "red", Index: 0},
	"pending": {Color: "orange", Index: 1},
	"ok":      {Color: "green", Index: 2},
	noData:    {Color: "text", Index: 3},
}}

// noData is the state of the steps at which Prometheus had no data.
const noData = "no data"

// Timeline turns the ALERTS series of a range (one per alert and state) into one frame
// per alert and instance: its state at every step of r, firing, pending, ok, or "no data"
// where Prometheus had no data (no sample of scraped, count(up), and no ALERTS), shaped
// for Grafana's state-timeline panel. The filter's severities apply; most urgent first.
// Without any alert in the range, one frame "No alert pending or firing" says ok (or no
// data) at every step: nothing firing is an answer. The frames are tables: a state is a
// string, and the data plane's time-series types carry numeric values only.
func Timeline(series, scraped []prometheus.Series, r v1.Range, f Filter) data.Frames {
	grid := make([]time.Time, 0, int(r.End.Sub(r.Start)/r.Step)+1)
	for t := r.Start; !t.After(r.End); t = t.Add(r.Step) {
		grid = append(grid, t.UTC())
	}
	index := make(map[int64]int, len(grid))
	for i, t := range grid {
		index[t.UnixMilli()] = i
	}
	// known[i]: Prometheus had data at step i.
	known := make([]bool, len(grid))
	for _, s := range append(slices.Clone(scraped), series...) {
		for _, t := range s.Times {
			if i, ok := index[t.UnixMilli()]; ok {
				known[i] = true
			}
		}
	}
	quiet := func() []string {
		states := make([]string, len(grid))
		for i := range states {
			states[i] = noData
			if known[i] {
				states[i] = "ok"
			}
		}
		return states
	}
	type group struct {
		alert  Alert
		states []string
	}
	groups := map[string]*group{}
	for _, s := range series {
		l := make(map[string]string, len(s.Labels))
		for k, v := range s.Labels {
			if k != "__name__" && k != "alertstate" {
				l[k] = v
			}
		}
		if !f.keepLabels(l, true) {
			continue
		}
		a := f.levels.alert(l, nil, "", "prometheus", time.Time{}, 0)
		key := labelString(l)
		g := groups[key]
		if g == nil {
			g = &group{alert: a, states: quiet()}
			groups[key] = g
		}
		state := s.Labels["alertstate"]
		for _, t := range s.Times {
			i, ok := index[t.UnixMilli()]
			if ok && g.states[i] != "firing" { // firing wins over pending at the same step
				g.states[i] = state
			}
		}
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int {
		return cmp.Or(cmp.Compare(rank(a.alert.Priority), rank(b.alert.Priority)), cmp.Compare(a.alert.Name, b.alert.Name), cmp.Compare(a.alert.Instance, b.alert.Instance))
	})
	out := make(data.Frames, 0, len(list))
	for _, g := range list {
		name := g.alert.Name
		if g.alert.Instance != "" {
			name += " " + g.alert.Instance
		}
		state := data.NewField("state", g.alert.Labels, g.states)
		state.Config = &data.FieldConfig{DisplayNameFromDS: name, Mappings: stateColors}
		out = append(out, data.NewFrame(name, data.NewField("Time", nil, grid), state).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable}))
	}
	if len(out) == 0 {
		const name = "No alert pending or firing"
		state := data.NewField("state", nil, quiet())
		state.Config = &data.FieldConfig{DisplayNameFromDS: name, Mappings: stateColors}
		out = data.Frames{data.NewFrame(name, data.NewField("Time", nil, grid), state).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})}
	}
	return out
}
