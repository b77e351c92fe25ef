package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/prometheus"
)

func TestTimeline(t *testing.T) {
	t0 := time.Unix(1000, 0).UTC()
	at := func(steps ...int) []time.Time {
		out := make([]time.Time, len(steps))
		for i, s := range steps {
			out[i] = t0.Add(time.Duration(s) * 10 * time.Second)
		}
		return out
	}
	alertsSeries := func(name, state, severity string, steps ...int) prometheus.Series {
		return prometheus.Series{
			Labels: data.Labels{"__name__": "ALERTS", "alertname": name, "alertstate": state, "severity": severity, "instance": "a:1"},
			Times:  at(steps...), Values: make([]float64, len(steps)),
		}
	}
	series := []prometheus.Series{
		alertsSeries("HighLatency", "pending", "P1", 1, 2),
		alertsSeries("HighLatency", "firing", "P1", 3, 4),
		alertsSeries("Down", "firing", "P0", 4, 5),
	}
	r := v1.Range{Start: t0, End: t0.Add(50 * time.Second), Step: 10 * time.Second}
	// Prometheus scraped from step 1 on: before, nothing is known, not even ok.
	scraped := []prometheus.Series{{Labels: data.Labels{}, Times: at(1, 2, 3, 4, 5), Values: make([]float64, 5)}}
	all, _ := NewFilter(nil, "", nil, DefaultLevels())
	states := func(fr data.Frames) string {
		var got []string
		for _, f := range fr {
			var states []string
			for i := range f.Rows() {
				states = append(states, f.Fields[1].At(i).(string))
			}
			got = append(got, f.Name+": "+strings.Join(states, ","))
		}
		return strings.Join(got, "|")
	}
	fr := Timeline(series, scraped, r, all)
	want := "Down a:1: no data,ok,ok,ok,firing,firing|HighLatency a:1: no data,pending,pending,firing,firing,ok"
	if got := states(fr); got != want {
		t.Errorf("timeline\n got %s\nwant %s", got, want)
	}
	// No alert in the range: one frame says so, ok where Prometheus had data.
	none, _ := NewFilter(nil, "", []string{"P9"}, DefaultLevels())
	if got, want := states(Timeline(series, scraped, r, none)), "No alert pending or firing: no data,ok,ok,ok,ok,ok"; got != want {
		t.Errorf("no alert\n got %s\nwant %s", got, want)
	}
	if got, want := states(Timeline(nil, nil, r, all)), "No alert pending or firing: no data,no data,no data,no data,no data,no data"; got != want {
		t.Errorf("no data at all\n got %s\nwant %s", got, want)
	}
	for _, f := range append(fr, Timeline(series, scraped, r, none)...) {
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTable {
			t.Errorf("frame %q meta %+v, want type table", f.Name, f.Meta)
		}
	}
	p1, _ := NewFilter(nil, "", []string{"P1"}, DefaultLevels())
	if fr := Timeline(series, scraped, r, p1); len(fr) != 1 || fr[0].Name != "HighLatency a:1" {
		t.Errorf("severity filter: %v", fr)
	}
	m, _ := NewFilter(nil, `alertname="Down",instance=~"a:.*"`, nil, DefaultLevels())
	if s := m.Selector(); s != `ALERTS{alertname="Down",instance=~"a:.*"}` {
		t.Errorf("selector %s", s)
	}
}
