package health

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopulse/health/pkg/prometheus"
)

// Status is the verdict on an instance at a step. Its numbers are what the numeric and
// time-series formats carry, for alert rules: 0 ok, 1 warning, 2 critical, 3 down, and
// -1 unknown.
type Status int8

// The statuses, from best to worst; Unknown is not known to be ok.
const (
	Unknown  Status = -1
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Down     Status = 3
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	case Down:
		return "down"
	}
	return "unknown"
}

// rank orders statuses for "worst first": down, critical, warning, unknown, ok.
func (s Status) rank() int {
	if s == Unknown {
		return 1
	}
	if s == OK {
		return 0
	}
	return int(s) + 1
}

// Grid is the steps a join evaluates: Points steps of Step from Start. An instant join is
// one point (Step 0) and takes every sample as that point.
type Grid struct {
	Start  time.Time
	Step   time.Duration
	Points int
}

// Index is the step of t, or -1 when t is off the grid.
func (g Grid) Index(t time.Time) int {
	if g.Step <= 0 {
		return 0
	}
	d := t.Sub(g.Start)
	if d < -g.Step/2 {
		return -1
	}
	k := int((d + g.Step/2) / g.Step)
	if k >= g.Points {
		return -1
	}
	return k
}

// At is the time of step k.
func (g Grid) At(k int) time.Time { return g.Start.Add(time.Duration(k) * g.Step) }

// Alert is an alert firing for an instance: its name, P-level ("" when its severity maps
// to none), labels (instance and job) and the times at which it fires. Silenced and
// inhibited alerts (Alertmanager) still count: they say that someone knows, not that the
// instance is well; the reason says it.
type Alert struct {
	Name                string
	Level               string
	Labels              map[string]string
	Times               []time.Time
	Silenced, Inhibited bool
}

// state is how Alertmanager handles the alert, for reasons: "", ", silenced", ...
func (a *Alert) state() string {
	switch {
	case a.Silenced && a.Inhibited:
		return ", silenced and inhibited"
	case a.Silenced:
		return ", silenced"
	case a.Inhibited:
		return ", inhibited"
	}
	return ""
}

// Input is what a join reads.
type Input struct {
	Grid Grid
	// Series holds each signal's series in join order (see Signals): for one signal,
	// Prometheus's series first, then those from the expvar targets.
	Series [NumSignals][]prometheus.Series
	// Ranged holds the signals read from sources that resolve them only to a range
	// (histograms, summaries; see Ranged). At a step they come before Series.
	Ranged [NumSignals][]Ranged
	Alerts []Alert
	// Failed says which sources did not answer, and why: an instance that would be ok
	// without them is unknown.
	Failed []string
}

// Options are the data source's (and the query's) rules of the join.
type Options struct {
	InstanceLabel, JobLabel string
	Thresholds              Thresholds
	// AlertCritical is the least urgent P-level whose firing alerts make an instance
	// critical ("P1": P0 and P1); other firing alerts make it a warning.
	AlertCritical string
}

// noLevel is the level of an alert whose severity maps to no P-level: the least urgent.
const noLevel = 10

// level is the number of a P-level, noLevel when s is not one.
func level(s string) int8 {
	if len(s) == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '0' && s[1] <= '9' {
		return int8(s[1] - '0')
	}
	return noLevel
}

// row is one instance: the series and alerts that name it.
type row struct {
	instance, job string
	series        [NumSignals][]*prometheus.Series
	ranged        [NumSignals][]*Ranged
	alerts        []*Alert
}

// Join is the signals of an input grouped by instance, ready to be evaluated.
type Join struct {
	// instanceLabel and jobLabel name the instance and job in the frames' labels.
	instanceLabel, jobLabel string
	grid                    Grid
	failed                  []string
	bounds                  bounds
	critical                int8
	rows                    []*row
	// scratch holds one row's values (NumSignals x Points, signal-major), the bounds of
	// those known only as a range (NaN for exact values) and, per step, the most urgent
	// firing level (-1 none); reused from row to row.
	values, lows, highs []float64
	levels              []int8
}

// NewJoin groups the input's series and alerts by instance. Rows come in the order their
// instances are first seen; series without the instance label are left out.
func NewJoin(in *Input, opts Options) *Join {
	j := &Join{instanceLabel: opts.InstanceLabel, jobLabel: opts.JobLabel, grid: in.Grid, failed: in.Failed, bounds: opts.Thresholds.bounds(), critical: level(opts.AlertCritical)}
	if j.grid.Points < 1 {
		j.grid.Points = 1
	}
	byInstance := map[string]*row{}
	get := func(l map[string]string) *row {
		inst, ok := l[opts.InstanceLabel]
		if !ok {
			return nil
		}
		r := byInstance[inst]
		if r == nil {
			r = &row{instance: inst}
			byInstance[inst] = r
			j.rows = append(j.rows, r)
		}
		if r.job == "" {
			r.job = l[opts.JobLabel]
		}
		return r
	}
	for i := range in.Series {
		for k := range in.Series[i] {
			s := &in.Series[i][k]
			if r := get(s.Labels); r != nil {
				r.series[i] = append(r.series[i], s)
			}
		}
	}
	for i := range in.Ranged {
		for k := range in.Ranged[i] {
			s := &in.Ranged[i][k]
			if r := get(s.Labels); r != nil {
				r.ranged[i] = append(r.ranged[i], s)
			}
		}
	}
	for k := range in.Alerts {
		a := &in.Alerts[k]
		if r := byInstance[a.Labels[opts.InstanceLabel]]; r != nil {
			r.alerts = append(r.alerts, a)
		}
	}
	n := NumSignals * j.grid.Points
	j.values, j.lows, j.highs = make([]float64, n), make([]float64, n), make([]float64, n)
	j.levels = make([]int8, j.grid.Points)
	return j
}

// Len is the number of instances.
func (j *Join) Len() int { return len(j.rows) }

// Lookback is how long a last up of 0 keeps an instance down at the steps where up has
// no newer value: Prometheus's default lookback delta.
const Lookback = 5 * time.Minute

// fill puts a row's values and firing levels on the grid, in the scratch buffers. The
// first value given for a signal at a step wins; NaN is no value. See down for the steps
// at which the instance is down.
func (j *Join) fill(r *row) {
	p := j.grid.Points
	for i := range j.values {
		j.values[i], j.lows[i], j.highs[i] = math.NaN(), math.NaN(), math.NaN()
	}
	for i := range j.levels {
		j.levels[i] = -1
	}
	for sig := range r.series {
		vals := j.values[sig*p : (sig+1)*p]
		for _, s := range r.ranged[sig] {
			for n, t := range s.Times {
				if k := j.grid.Index(t); k >= 0 && math.IsNaN(vals[k]) {
					vals[k], j.lows[sig*p+k], j.highs[sig*p+k] = s.Values[n], s.Low[n], s.High[n]
				}
			}
		}
		for _, s := range r.series[sig] {
			for n, t := range s.Times {
				if k := j.grid.Index(t); k >= 0 && math.IsNaN(vals[k]) {
					vals[k] = s.Values[n]
				}
			}
		}
	}
	for _, a := range r.alerts {
		lv := level(a.Level)
		for _, t := range a.Times {
			if k := j.grid.Index(t); k >= 0 && (j.levels[k] < 0 || lv < j.levels[k]) {
				j.levels[k] = lv
			}
		}
	}
	j.down()
}

// down marks the steps at which the filled row is down: up is 0 there, or up has no value
// there and its last value, at most Lookback before, is 0 (a series that went stale after
// the failed scrapes). At those steps up is 0 and the other signals have no value: what
// they hold (the last scrape or poll, a rate or deriv over a window reaching back before
// the failure) is not current, so neither the frames nor the reason show it.
func (j *Join) down() {
	p := j.grid.Points
	up := j.values[:p]
	last := -1 // the step of up's last value
	for k := range p {
		switch {
		case !math.IsNaN(up[k]):
			last = k
		case last >= 0 && up[last] == 0 && j.grid.At(k).Sub(j.grid.At(last)) <= Lookback:
			up[k] = 0
		}
		if up[k] == 0 {
			for sig := 1; sig < NumSignals; sig++ {
				j.values[sig*p+k] = math.NaN()
			}
		}
	}
}

// status is the verdict at step k of the filled row.
func (j *Join) status(k int) Status {
	if j.values[k] == 0 { // up
		return Down
	}
	worst, known := OK, j.levels[k] >= 0
	for sig := 1; sig < NumSignals; sig++ {
		v := j.proven(sig, k)
		if math.IsNaN(v) {
			continue
		}
		known = true
		switch b := j.bounds[sig]; {
		case v >= b.critical:
			worst = Critical
		case v >= b.warning && worst < Warning:
			worst = Warning
		}
	}
	if lv := j.levels[k]; lv >= 0 {
		if lv <= j.critical {
			worst = Critical
		} else if worst < Warning {
			worst = Warning
		}
	}
	if worst == OK && (len(j.failed) > 0 || (!known && math.IsNaN(j.values[k]))) {
		return Unknown
	}
	return worst
}

// proven is the least value of signal sig at step k that its source proves: the low bound
// of a range, else the value (NaN: none).
func (j *Join) proven(sig, k int) float64 {
	i := sig*j.grid.Points + k
	if lo := j.lows[i]; !math.IsNaN(lo) && !math.IsNaN(j.values[i]) {
		return lo
	}
	return j.values[i]
}

// stated is signal sig at step k as a reason states it, against a threshold: its value
// ("830 ms ≥ 500 ms"), or the range its source resolves ("between 1 s and 2.5 s (≥ 500
// ms)", "above 5 s (≥ 500 ms)").
func (j *Join) stated(sig, k int, bound float64) string {
	i := sig*j.grid.Points + k
	lo, hi := j.lows[i], j.highs[i]
	switch {
	case math.IsNaN(lo) || format(sig, lo) == format(sig, hi):
		return format(sig, j.proven(sig, k)) + " ≥ " + format(sig, bound)
	case math.IsInf(hi, 1):
		return "above " + format(sig, lo) + " (≥ " + format(sig, bound) + ")"
	}
	return "between " + format(sig, lo) + " and " + format(sig, hi) + " (≥ " + format(sig, bound) + ")"
}

// reason says why the filled row has its status at step k: each signal past a threshold
// and each firing alert, worst first, and the sources that failed.
func (j *Join) reason(r *row, k int, st Status) string {
	var parts []string
	if st == Down {
		parts = append(parts, "down: up = 0 (not answering its scrapes or polls)")
	}
	for _, want := range []Status{Critical, Warning} {
		for sig := 1; sig < NumSignals; sig++ {
			v, b := j.proven(sig, k), j.bounds[sig]
			bound, name := b.warning, "warning"
			if want == Critical {
				bound, name = b.critical, "critical"
			}
			if v >= bound && (want == Critical || !(v >= b.critical)) {
				parts = append(parts, fmt.Sprintf("%s: %s %s", name, strings.ToLower(signals[sig].Title), j.stated(sig, k, bound)))
			}
		}
	}
	for _, a := range j.firing(r, k) {
		name := "warning"
		if level(a.Level) <= j.critical {
			name = "critical"
		}
		lv := a.Level
		if lv == "" {
			lv = "no P-level"
		}
		parts = append(parts, fmt.Sprintf("%s: alert %s (%s) firing%s", name, a.Name, lv, a.state()))
	}
	for _, f := range j.failed {
		parts = append(parts, "unknown: "+f)
	}
	if len(parts) == 0 && st == Unknown {
		parts = append(parts, "unknown: no signal has a value for this instance")
	}
	return strings.Join(parts, "; ")
}

// firing lists the row's alerts firing at step k, most urgent first, then by name.
func (j *Join) firing(r *row, k int) []*Alert {
	var out []*Alert
	for _, a := range r.alerts {
		if slices.ContainsFunc(a.Times, func(t time.Time) bool { return j.grid.Index(t) == k }) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *Alert) int {
		return cmp.Or(cmp.Compare(level(a.Level), level(b.Level)), strings.Compare(a.Name, b.Name))
	})
	return out
}

// alertNames lists the alerts firing at step k, most urgent first: "GoServiceDown (P0)".
func (j *Join) alertNames(r *row, k int) string {
	var names []string
	for _, a := range j.firing(r, k) {
		n := a.Name
		if note := strings.TrimPrefix(a.Level+a.state(), ", "); note != "" {
			n += " (" + note + ")"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// Resample puts irregular samples (an expvar target's history) on the grid: at each step
// the last sample at or before it, if no older than lookback and not a gap (NaN: the
// target went down there).
func Resample(times []time.Time, values []float64, g Grid, lookback time.Duration) ([]time.Time, []float64) {
	var ts []time.Time
	var vs []float64
	n := 0
	for k := range max(g.Points, 1) {
		at := g.At(k)
		for n < len(times) && !times[n].After(at) {
			n++
		}
		if n > 0 && at.Sub(times[n-1]) <= lookback && !math.IsNaN(values[n-1]) {
			ts, vs = append(ts, at), append(vs, values[n-1])
		}
	}
	return ts, vs
}

// Deriv is, at each step of the grid, the per-second slope of the least-squares line
// through the samples within window before it (as PromQL's deriv), when there are at
// least two and none is a gap (NaN: the target was down within the window).
func Deriv(times []time.Time, values []float64, g Grid, window time.Duration) ([]time.Time, []float64) {
	var ts []time.Time
	var vs []float64
	for k := range max(g.Points, 1) {
		at := g.At(k)
		var n, sx, sy, sxx, sxy float64
		gap := false
		for i, t := range times {
			if t.After(at) || !t.After(at.Add(-window)) {
				continue
			}
			if math.IsNaN(values[i]) {
				gap = true
				break
			}
			x := t.Sub(at).Seconds()
			n, sx, sy, sxx, sxy = n+1, sx+x, sy+values[i], sxx+x*x, sxy+x*values[i]
		}
		if d := n*sxx - sx*sx; !gap && n >= 2 && d != 0 {
			ts, vs = append(ts, at), append(vs, (n*sxy-sx*sy)/d)
		}
	}
	return ts, vs
}

// statusText is a status as the numeric formats' value mappings show it.
func statusText(s Status) string { return strconv.Itoa(int(s)) }
