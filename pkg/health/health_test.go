package health

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/prometheus"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func opts() Options {
	return Options{InstanceLabel: "instance", JobLabel: "job", Thresholds: DefaultThresholds(), AlertCritical: "P1"}
}

// instant is a one-point input: for each instance, the signals given by id.
func instant(values map[string]map[SignalID]float64) *Input {
	in := &Input{Grid: Grid{Start: t0, Points: 1}}
	for inst, sigs := range values {
		for id, v := range sigs {
			i := Index(id)
			in.Series[i] = append(in.Series[i], prometheus.Series{
				Labels: data.Labels{"instance": inst, "job": "demo"}, Times: []time.Time{t0}, Values: []float64{v},
			})
		}
	}
	return in
}

func healthy() map[SignalID]float64 {
	return map[SignalID]float64{Up: 1, Goroutines: 40, GoroutineGrowth: 0, HeapInuse: 8 << 20, GCPauseP99: 0.0002,
		RequestRate: 20, ErrorRatio: 0.002, LatencyP99: 0.05}
}

func with(m map[SignalID]float64, id SignalID, v float64) map[SignalID]float64 {
	out := map[SignalID]float64{}
	for k, x := range m {
		out[k] = x
	}
	out[id] = v
	return out
}

// tableRows reads the table as instance -> column -> value text.
func tableRows(t *testing.T, f *data.Frame) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for i := range f.Rows() {
		row := map[string]string{}
		for _, fl := range f.Fields {
			switch v := fl.At(i).(type) {
			case string:
				row[fl.Name] = v
			case *float64:
				if v != nil {
					row[fl.Name] = format(Index(SignalID(fl.Name)), *v)
				}
			}
		}
		out[row["instance"]] = row
	}
	return out
}

func TestStatuses(t *testing.T) {
	in := instant(map[string]map[SignalID]float64{
		"ok:1":       healthy(),
		"slow:1":     with(healthy(), LatencyP99, 0.83),
		"busy:1":     with(healthy(), Goroutines, 12_000),
		"failing:1":  with(with(healthy(), ErrorRatio, 0.5), LatencyP99, 0.3),
		"crashed:1":  with(healthy(), Up, 0),
		"leaking:1":  with(with(healthy(), GoroutineGrowth, 200), Goroutines, 20_000),
		"expvar:1":   {Up: 1, Goroutines: 12, HeapInuse: 1 << 30},
		"nothing:1":  {RequestRate: math.NaN()},
		"alerting:1": healthy(),
		"ticket:1":   healthy(),
	})
	in.Alerts = []Alert{
		{Name: "GoHighErrorRatio", Level: "P1", Labels: map[string]string{"instance": "alerting:1"}, Times: []time.Time{t0}},
		{Name: "GoGoroutineGrowth", Level: "P2", Labels: map[string]string{"instance": "ticket:1"}, Times: []time.Time{t0}},
		{Name: "Elsewhere", Level: "P0", Labels: map[string]string{"instance": "unknown:1"}, Times: []time.Time{t0}},
	}
	f := NewJoin(in, opts()).Table()
	rows := tableRows(t, f)
	want := map[string]struct{ status, reason string }{
		"ok:1":       {"ok", ""},
		"slow:1":     {"critical", "critical: latency p99 830 ms ≥ 500 ms"},
		"busy:1":     {"warning", "warning: goroutines 12000 ≥ 10000"},
		"failing:1":  {"critical", "critical: error ratio 50% ≥ 5%; warning: latency p99 300 ms ≥ 250 ms"},
		"crashed:1":  {"down", "down: up = 0 (not answering its scrapes or polls)"},
		"leaking:1":  {"critical", "critical: goroutine growth 200/s ≥ 50/s; warning: goroutines 20000 ≥ 10000"},
		"expvar:1":   {"critical", "critical: heap in use 1.0 GiB ≥ 1.0 GiB"},
		"nothing:1":  {"unknown", "unknown: no signal has a value for this instance"},
		"alerting:1": {"critical", "critical: alert GoHighErrorRatio (P1) firing"},
		"ticket:1":   {"warning", "warning: alert GoGoroutineGrowth (P2) firing"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d (an alert of an instance without series makes no row): %v", len(rows), len(want), rows)
	}
	for inst, w := range want {
		if got := rows[inst]; got["status"] != w.status || got["reason"] != w.reason {
			t.Errorf("%s: status %q reason %q, want %q %q", inst, got["status"], got["reason"], w.status, w.reason)
		}
	}
	if rows["alerting:1"]["alerts"] != "GoHighErrorRatio (P1)" || rows["ok:1"]["alerts"] != "" {
		t.Errorf("alerts column: %q, %q", rows["alerting:1"]["alerts"], rows["ok:1"]["alerts"])
	}
	if rows["expvar:1"]["latency_p99"] != "" || rows["slow:1"]["latency_p99"] != "830 ms" {
		t.Errorf("a missing signal is empty, a present one has its value: %q %q", rows["expvar:1"]["latency_p99"], rows["slow:1"]["latency_p99"])
	}
	// Worst first: down, then critical (by instance), ..., ok last.
	var order []string
	for i := range f.Rows() {
		order = append(order, f.Fields[2].At(i).(string))
	}
	if got := strings.Join(order, ","); got != "down,critical,critical,critical,critical,critical,warning,warning,unknown,ok" {
		t.Errorf("order %s", got)
	}
}

func TestFailedSourceIsNeverOK(t *testing.T) {
	in := instant(map[string]map[SignalID]float64{"ok:1": healthy(), "slow:1": with(healthy(), LatencyP99, 2)})
	in.Failed = []string{"alerts: Prometheus /api/v1/alerts: connection refused"}
	rows := tableRows(t, NewJoin(in, opts()).Table())
	if r := rows["ok:1"]; r["status"] != "unknown" || r["reason"] != "unknown: alerts: Prometheus /api/v1/alerts: connection refused" {
		t.Errorf("ok with a failed source: %q %q", r["status"], r["reason"])
	}
	if r := rows["slow:1"]; r["status"] != "critical" || !strings.HasSuffix(r["reason"], "; unknown: alerts: Prometheus /api/v1/alerts: connection refused") {
		t.Errorf("a known critical stays critical and says what is missing: %q %q", r["status"], r["reason"])
	}
}

func TestAlertCriticalLevel(t *testing.T) {
	in := instant(map[string]map[SignalID]float64{"a:1": healthy()})
	in.Alerts = []Alert{{Name: "X", Level: "P1", Labels: map[string]string{"instance": "a:1"}, Times: []time.Time{t0}}}
	for lv, want := range map[string]string{"P0": "warning", "P1": "critical", "P3": "critical"} {
		o := opts()
		o.AlertCritical = lv
		if got := tableRows(t, NewJoin(in, o).Table())["a:1"]["status"]; got != want {
			t.Errorf("alertCritical %s: a P1 alert makes %s, want %s", lv, got, want)
		}
	}
	in.Alerts[0].Level = ""
	if got := tableRows(t, NewJoin(in, opts()).Table())["a:1"]["reason"]; got != "warning: alert X (no P-level) firing" {
		t.Errorf("alert without a P-level: %q", got)
	}
	in.Alerts[0].Silenced = true
	row := tableRows(t, NewJoin(in, opts()).Table())["a:1"]
	if row["status"] != "warning" || row["reason"] != "warning: alert X (no P-level) firing, silenced" || row["alerts"] != "X (silenced)" {
		t.Errorf("a silenced alert still counts, and says it is silenced: %v", row)
	}
	in.Alerts[0].Level, in.Alerts[0].Inhibited = "P0", true
	if got := tableRows(t, NewJoin(in, opts()).Table())["a:1"]["alerts"]; got != "X (P0, silenced and inhibited)" {
		t.Errorf("alerts column %q", got)
	}
}

// TestPrometheusBeforeExpvar: the first series of a signal wins at a step; the next ones
// fill the steps it lacks.
func TestPrometheusBeforeExpvar(t *testing.T) {
	g := Grid{Start: t0, Step: 10 * time.Second, Points: 4}
	l := data.Labels{"instance": "a:1"}
	in := &Input{Grid: g}
	in.Series[Index(Goroutines)] = []prometheus.Series{
		{Labels: l, Times: []time.Time{g.At(0), g.At(1)}, Values: []float64{10, 11}},
		{Labels: l, Times: []time.Time{g.At(1), g.At(2), g.At(3).Add(-2 * time.Second)}, Values: []float64{99, 12, 13}},
	}
	in.Series[Index(Up)] = []prometheus.Series{{Labels: l, Times: []time.Time{g.At(0), g.At(1), g.At(2)}, Values: []float64{1, 1, 1}}}
	fr := NewJoin(in, opts()).TimeSeries()
	if len(fr) != 1 {
		t.Fatalf("%d frames", len(fr))
	}
	got := func(name string) []float64 {
		fl, _ := fr[0].FieldByName(name)
		out := make([]float64, fl.Len())
		for i := range out {
			out[i] = fl.At(i).(float64)
		}
		return out
	}
	if g := got("goroutines"); g[0] != 10 || g[1] != 11 || g[2] != 12 || g[3] != 13 {
		t.Errorf("goroutines %v, want 10 11 12 13", g)
	}
	if s := got("status"); s[0] != 0 || s[1] != 0 || s[2] != 0 || s[3] != 0 {
		t.Errorf("status %v, want ok at every step (up 1, then no up but goroutines)", s)
	}
	if fr[0].Meta.Type != data.FrameTypeTimeSeriesWide || fr[0].Fields[0].At(3).(time.Time) != g.At(3) {
		t.Errorf("meta %v, last time %v", fr[0].Meta.Type, fr[0].Fields[0].At(3))
	}
}

// TestDownWhileUpIsZero follows a crash as Prometheus records it: up 1, then 0 at the
// failed scrape, then no value (the series went stale), while goroutines keep the last
// scrape's value and the growth (deriv over its window) lingers. The instance is down at
// every step whose last up, within the lookback, is 0, and shows only up and its alerts.
func TestDownWhileUpIsZero(t *testing.T) {
	g := Grid{Start: t0, Step: time.Minute, Points: 10}
	l := data.Labels{"instance": "a:1", "job": "demo"}
	steps := func(from, to int, v float64) prometheus.Series {
		s := prometheus.Series{Labels: l}
		for k := from; k <= to; k++ {
			s.Times, s.Values = append(s.Times, g.At(k)), append(s.Values, v)
		}
		return s
	}
	in := &Input{Grid: g}
	in.Series[Index(Up)] = []prometheus.Series{steps(0, 2, 1), steps(3, 3, 0)}
	in.Series[Index(Goroutines)] = []prometheus.Series{steps(0, 3, 20990)}
	in.Series[Index(GoroutineGrowth)] = []prometheus.Series{steps(0, 5, 200)}
	in.Alerts = []Alert{{Name: "GoServiceDown", Level: "P0", Labels: map[string]string{"instance": "a:1"}, Times: steps(4, 6, 1).Times}}
	fr := NewJoin(in, opts()).TimeSeries()
	if len(fr) != 1 {
		t.Fatalf("%d frames", len(fr))
	}
	field := func(name string) string {
		fl, _ := fr[0].FieldByName(name)
		var out []string
		for i := range fl.Len() {
			out = append(out, strconv.FormatFloat(fl.At(i).(float64), 'g', -1, 64))
		}
		return strings.Join(out, " ")
	}
	// Down from the failed scrape (step 3) until up's last 0 is older than the lookback
	// (step 9, 6 minutes on): then nothing is known.
	for name, want := range map[string]string{
		"status":           "2 2 2 3 3 3 3 3 3 -1",
		"up":               "1 1 1 0 0 0 0 0 0 NaN",
		"goroutines":       "20990 20990 20990 NaN NaN NaN NaN NaN NaN NaN",
		"goroutine_growth": "200 200 200 NaN NaN NaN NaN NaN NaN NaN",
	} {
		if got := field(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}

	// The table at the failed scrape: the reason is the down state and the firing alerts,
	// not the last scrape's goroutines or the lingering growth; their cells are empty.
	in = instant(map[string]map[SignalID]float64{"a:1": {Up: 0, Goroutines: 20990, GoroutineGrowth: 200, HeapInuse: 2 << 30}})
	in.Alerts = []Alert{{Name: "GoServiceDown", Level: "P0", Labels: map[string]string{"instance": "a:1"}, Times: []time.Time{t0}}}
	row := tableRows(t, NewJoin(in, opts()).Table())["a:1"]
	if row["status"] != "down" || row["reason"] != "down: up = 0 (not answering its scrapes or polls); critical: alert GoServiceDown (P0) firing" {
		t.Errorf("down: status %q, reason %q", row["status"], row["reason"])
	}
	if row["up"] != "0" || row["goroutines"] != "" || row["goroutine_growth"] != "" || row["heap_inuse"] != "" {
		t.Errorf("a down instance shows up 0 and no other signal: %v", row)
	}
}

func TestNumeric(t *testing.T) {
	in := instant(map[string]map[SignalID]float64{"a:1": healthy(), "b:1": with(healthy(), Up, 0)})
	fr := NewJoin(in, opts()).Numeric()
	got := map[string]float64{}
	for _, f := range fr {
		if f.Meta.Type != data.FrameTypeNumericMulti || len(f.Fields) != 1 || f.Fields[0].Labels["job"] != "demo" {
			t.Fatalf("frame %v %v", f.Meta.Type, f.Fields)
		}
		got[f.Fields[0].Labels["instance"]] = f.Fields[0].At(0).(float64)
	}
	if got["a:1"] != 0 || got["b:1"] != 3 || len(got) != 2 {
		t.Errorf("numeric statuses %v, want a:1 0 (ok), b:1 3 (down)", got)
	}
	b, err := json.Marshal(fr[0].Fields[0].Config.Mappings)
	if err != nil || !strings.Contains(string(b), `"3":{"text":"down","color":"dark-red"`) {
		t.Errorf("mappings %s %v", b, err)
	}
}

func TestThresholds(t *testing.T) {
	def := DefaultThresholds()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	over := def.With(Thresholds{LatencyP99: {Critical: ptr(2)}, RequestRate: {Warning: ptr(100)}})
	if *over[LatencyP99].Warning != 0.25 || *over[LatencyP99].Critical != 2 || *over[RequestRate].Warning != 100 || *def[LatencyP99].Critical != 0.5 {
		t.Errorf("With replaces only the bounds given, without changing the defaults: %v %v", over[LatencyP99], def[LatencyP99])
	}
	for th, want := range map[string]string{
		`{"latency":{"warning":1}}`:                      `thresholds: unknown signal "latency": use goroutines, goroutine_growth, heap_inuse, gc_pause_p99, request_rate, error_ratio, latency_p99`,
		`{"up":{"warning":1}}`:                           "thresholds: up has no threshold (0 is down)",
		`{"error_ratio":{"warning":0.5,"critical":0.1}}`: "thresholds: error_ratio warning 0.5 is above its critical 0.1",
		`{"goroutines":{"critical":-1}}`:                 "thresholds: goroutines critical must be a number at or above 0, not -1",
	} {
		var tt Thresholds
		if err := json.Unmarshal([]byte(th), &tt); err != nil {
			t.Fatal(err)
		}
		if err := tt.Validate(); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %s", th, err, want)
		}
	}
}

func TestResample(t *testing.T) {
	g := Grid{Start: t0, Step: 10 * time.Second, Points: 5}
	times := []time.Time{t0.Add(-3 * time.Second), t0.Add(12 * time.Second), t0.Add(14 * time.Second)}
	ts, vs := Resample(times, []float64{1, 2, 3}, g, 15*time.Second)
	// steps 0, 10, 20, 30 s: 1 (3 s old), 1 (13 s old), 3, 3 (16 s old: too old for 30 s? 30-14=16 > 15)
	if len(ts) != 3 || vs[0] != 1 || vs[1] != 1 || vs[2] != 3 || !ts[2].Equal(g.At(2)) {
		t.Errorf("resampled %v %v", ts, vs)
	}
}

// A gap (the target went down) is not carried forward as a current value.
func TestResampleGap(t *testing.T) {
	g := Grid{Start: t0, Step: 10 * time.Second, Points: 2}
	ts, vs := Resample([]time.Time{t0.Add(-5 * time.Second), t0.Add(5 * time.Second)}, []float64{4, math.NaN()}, g, 30*time.Second)
	if len(ts) != 1 || vs[0] != 4 || !ts[0].Equal(t0) {
		t.Errorf("resampled %v %v, want 4 at the first step only", ts, vs)
	}
}

// Deriv is the least-squares slope per second over the window, as PromQL's deriv; fewer
// than two samples, or a gap in the window, give no point.
func TestDeriv(t *testing.T) {
	g := Grid{Start: t0, Step: time.Minute, Points: 3}
	var times []time.Time
	var values []float64
	for i := range 7 { // 10, 12, 14, ... every 10 s up to t0: 0.2 per second
		times, values = append(times, t0.Add(time.Duration(i-6)*10*time.Second)), append(values, 10+2*float64(i))
	}
	times, values = append(times, t0.Add(70*time.Second)), append(values, math.NaN())
	ts, vs := Deriv(times, values, g, time.Minute)
	if len(ts) != 1 || !ts[0].Equal(t0) || math.Abs(vs[0]-0.2) > 1e-9 {
		t.Errorf("deriv %v %v, want 0.2 at t0 only (one sample at +60 s, a gap before +120 s)", ts, vs)
	}
}
