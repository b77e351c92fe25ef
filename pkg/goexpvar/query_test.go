package goexpvar

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// fakeSource is a set of targets with fixed latest variables and statuses over a history
// the test fills.
type fakeSource struct {
	targets []Target
	vars    map[string][]Var
	status  map[string]Status
	history *History
	started int
}

func (s *fakeSource) Start(context.Context)                    { s.started++ }
func (s *fakeSource) Targets() []Target                        { return s.targets }
func (s *fakeSource) WaitFirstPoll(context.Context, ...string) {}
func (s *fakeSource) History() *History                        { return s.history }
func (s *fakeSource) Latest(target string) ([]Var, Status, bool) {
	st, ok := s.status[target]
	return s.vars[target], st, ok
}

// newFakeSource: api-1 (10.0.0.1:8080) and api-2 (10.0.0.2:8080), both up, each with
// memstats.HeapAlloc, memstats.NumGC and the string version.
func newFakeSource(t *testing.T) *fakeSource {
	t.Helper()
	s := &fakeSource{
		targets: []Target{{Name: "api-1", Instance: "10.0.0.1:8080"}, {Name: "api-2", Instance: "10.0.0.2:8080"}},
		vars:    map[string][]Var{},
		status:  map[string]Status{},
		history: NewHistory(HistoryOptions{}),
	}
	for i, tg := range s.targets {
		vars, err := FlattenBytes(fmt.Appendf(nil, `{"memstats":{"HeapAlloc":%d,"NumGC":%d},"version":"1.%d"}`, (i+1)*100, (i+1)*10, i), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		s.vars[tg.Name] = vars
		s.status[tg.Name] = Status{Target: tg.Name, Instance: tg.Instance, Up: true}
	}
	return s
}

func (s *fakeSource) add(t *testing.T, target, path string, at time.Time, v float64) {
	t.Helper()
	if err := s.history.Append(SeriesKey{Target: target, Path: path}, at, v); err != nil {
		t.Fatal(err)
	}
}

func noticeTexts(f *data.Frame) []string {
	if f.Meta == nil {
		return nil
	}
	var out []string
	for _, n := range f.Meta.Notices {
		out = append(out, fmt.Sprintf("%s: %s", n.Severity, n.Text))
	}
	return out
}

// An unknown target name, or a path that does not parse, is the query's fault; the
// message names the known targets, or the path.
func TestRunBadSelection(t *testing.T) {
	src := newFakeSource(t)
	_, err := Select(src, query.Expvar{Targets: []string{"api-1", "api-3"}, Paths: []string{"memstats.HeapAlloc"}})
	if err == nil || err.Error() != `expvar target "api-3" is not configured: known targets are api-1, api-2` {
		t.Errorf("Select with an unknown target: %v", err)
	}
	for _, c := range []struct {
		model query.Expvar
		want  string
	}{
		{query.Expvar{Targets: []string{"api-3"}, Paths: []string{"memstats.HeapAlloc"}, Mode: query.ExpvarLatest}, "known targets are api-1, api-2"},
		{query.Expvar{Paths: []string{"memstats.HeapAlloc", "memstats["}, Mode: query.ExpvarHistory}, "memstats["},
	} {
		_, err := Run(context.Background(), src, c.model, time.Now().Add(-time.Hour), time.Now(), PollerOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) || response.Response(nil, err).Status != backend.StatusBadRequest {
			t.Errorf("%+v: %v, want a bad-input error containing %s", c.model, err, c.want)
		}
	}
	if src.started != 0 {
		t.Error("a bad query started the polling")
	}
	sel, err := Select(src, query.Expvar{Targets: []string{"api-2"}, Paths: []string{"memstats.*"}})
	if err != nil || len(sel.Targets) != 1 || sel.Targets[0].Name != "api-2" || len(sel.Matching(src.vars["api-2"])) != 2 {
		t.Errorf("Select api-2 memstats.*: %+v, %v", sel, err)
	}
}

// Latest is one table of the matched variables of every target; a target that is down
// gives a warning, the others still answer.
func TestRunLatest(t *testing.T) {
	src := newFakeSource(t)
	src.status["api-2"] = Status{Target: "api-2", LastError: "connection refused", LastPoll: time.Now()}
	src.vars["api-2"] = nil
	fr, err := Run(context.Background(), src, query.Expvar{Paths: []string{"memstats.HeapAlloc", "version"}, Mode: query.ExpvarLatest}, time.Now().Add(-time.Hour), time.Now(), PollerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if src.started == 0 {
		t.Error("the polling was not started")
	}
	if len(fr) != 1 || fr[0].Meta == nil || fr[0].Meta.Type != data.FrameTypeTable || fr[0].Rows() != 2 {
		t.Fatalf("frames %v, want one table of two rows", fr)
	}
	var rows []string
	for i := range fr[0].Rows() {
		row := fr[0].RowCopy(i)
		v, text := "-", "-"
		if p := row[3].(*float64); p != nil {
			v = fmt.Sprint(*p)
		}
		if p := row[4].(*string); p != nil {
			text = fmt.Sprintf("%q", *p)
		}
		rows = append(rows, fmt.Sprintf("%s %s %s %s %s", row[0], row[1], row[2], v, text))
	}
	if want := []string{`api-1 10.0.0.1:8080 memstats.HeapAlloc 100 -`, `api-1 10.0.0.1:8080 version - "1.0"`}; !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if got, want := noticeTexts(fr[0]), []string{"warning: expvar target api-2 is down: connection refused (never answered; last try "}; len(got) != 1 || !strings.HasPrefix(got[0], want[0]) {
		t.Errorf("notices %q, want %q", got, want)
	}
}

// History and rate are one time series per target and numeric variable; a string has
// no history and says so.
func TestRunHistory(t *testing.T) {
	src := newFakeSource(t)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i, v := range []float64{10, 30, 20} { // a reset at the third poll
		src.add(t, "api-1", "memstats.NumGC", t0.Add(time.Duration(i)*10*time.Second), v)
	}
	model := query.Expvar{Targets: []string{"api-1"}, Paths: []string{"memstats.NumGC", "version"}}
	for _, c := range []struct {
		mode query.ExpvarMode
		want string
	}{
		{query.ExpvarHistory, "[10 30 20]"},
		{query.ExpvarRate, "[2]"},
	} {
		model.Mode = c.mode
		fr, err := Run(context.Background(), src, model, t0, t0.Add(time.Minute), PollerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fr) != 1 || len(fr[0].Fields) != 2 || fr[0].Meta.Type != data.FrameTypeTimeSeriesMulti {
			t.Fatalf("%s: frames %v, want one time series", c.mode, fr)
		}
		v := fr[0].Fields[1]
		if want := (data.Labels{"target": "api-1", "instance": "10.0.0.1:8080", "path": "memstats.NumGC"}); v.Labels.String() != want.String() {
			t.Errorf("%s: labels %s, want %s", c.mode, v.Labels, want)
		}
		var got []float64
		for i := range v.Len() {
			f, _ := v.FloatAt(i)
			got = append(got, f)
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: values %v, want %s", c.mode, got, c.want)
		}
		if got, want := noticeTexts(fr[0]), []string{"warning: api-1 version is a string, not a number: it has no history (use mode latest)"}; !slices.Equal(got, want) {
			t.Errorf("%s: notices %q, want %q", c.mode, got, want)
		}
	}
}

// A range that starts before the oldest kept sample gives an info notice saying how the
// history is kept.
func TestRunHistoryCut(t *testing.T) {
	src := newFakeSource(t)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	src.add(t, "api-1", "memstats.HeapAlloc", t0, 100)
	opts := PollerOptions{Interval: 10 * time.Second, History: HistoryOptions{Retention: time.Hour}}
	model := query.Expvar{Targets: []string{"api-1"}, Paths: []string{"memstats.HeapAlloc"}, Mode: query.ExpvarHistory}
	fr, err := Run(context.Background(), src, model, t0.Add(-time.Hour), t0.Add(time.Minute), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"info: the range starts before the history kept for api-1 (polled every 10s, kept 1h0m0s)"}
	if got := noticeTexts(fr[0]); !slices.Equal(got, want) {
		t.Errorf("notices %q, want %q", got, want)
	}
	fr, err = Run(context.Background(), src, model, t0, t0.Add(time.Minute), opts)
	if err != nil || len(noticeTexts(fr[0])) != 0 {
		t.Errorf("a range within the history: notices %q, %v; want none", noticeTexts(fr[0]), err)
	}
}

// Paths that match nothing answer one frame of the mode's type without rows.
func TestRunEmpty(t *testing.T) {
	src := newFakeSource(t)
	for mode, want := range map[query.ExpvarMode]data.FrameType{
		query.ExpvarLatest:  data.FrameTypeTable,
		query.ExpvarHistory: data.FrameTypeTimeSeriesMulti,
		query.ExpvarRate:    data.FrameTypeTimeSeriesMulti,
	} {
		fr, err := Run(context.Background(), src, query.Expvar{Paths: []string{"nothing.here"}, Mode: mode}, time.Now().Add(-time.Hour), time.Now(), PollerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fr) != 1 || fr[0].Rows() != 0 || fr[0].Meta == nil || fr[0].Meta.Type != want {
			t.Errorf("%s: frames %v, want one %s frame without rows", mode, fr, want)
		}
	}
}

// The Live frame is one row at the push time: every matched numeric variable of the
// targets that are up, and nulls with a notice for a target that is down.
func TestLiveFrame(t *testing.T) {
	src := newFakeSource(t)
	now := time.Unix(2000, 0).UTC()
	src.status["api-1"] = Status{Up: true, LastSuccess: time.Unix(1990, 0), LastPoll: time.Unix(1990, 0)}
	src.status["api-2"] = Status{Up: false, LastError: "connection refused", LastSuccess: time.Unix(1000, 0), LastPoll: time.Unix(1995, 0)}
	sel, err := Select(src, query.Expvar{Paths: []string{"memstats.HeapAlloc", "version"}})
	if err != nil {
		t.Fatal(err)
	}
	f := LiveFrame(src, sel, now)
	if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesWide || f.Rows() != 1 {
		t.Fatalf("frame %v, want one wide row", f)
	}
	var got []string
	for _, fl := range f.Fields {
		v := fl.At(0)
		if p, ok := v.(*float64); ok {
			v = "<nil>"
			if p != nil {
				v = *p
			}
		}
		got = append(got, fmt.Sprintf("%s=%v", fl.Name, v))
	}
	want := []string{"Time=" + now.String(), "api-1 memstats.HeapAlloc=100", "api-2 memstats.HeapAlloc=<nil>"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
	if n := noticeTexts(f); len(n) != 1 || !strings.Contains(n[0], "api-2 is down: connection refused") || !strings.Contains(n[0], "16m40s ago") {
		t.Errorf("notices %q, want api-2 down since 16m40s", n)
	}
}

// A down target's values are not in the latest table: a notice says since when it is
// down; the rows of a target that is up carry their poll time and age; a null leaf has
// neither value nor text.
func TestRunLatestStaleness(t *testing.T) {
	src := newFakeSource(t)
	polled := time.Now().Add(-3 * time.Second).UTC()
	src.status["api-1"] = Status{Up: true, LastPoll: polled, LastSuccess: polled}
	src.status["api-2"] = Status{Up: false, LastError: "timed out", LastPoll: polled, LastSuccess: polled.Add(-time.Minute)}
	vars, err := FlattenBytes([]byte(`{"memstats":{"HeapAlloc":100},"version":"1.0","gone":null}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src.vars["api-1"] = vars
	fr, err := Run(context.Background(), src, query.Expvar{Paths: []string{"**"}, Mode: query.ExpvarLatest}, time.Time{}, time.Time{}, PollerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fr[0]
	var rows []string
	for i := range f.Rows() {
		row := f.RowCopy(i)
		val, text := "null", "null"
		if p := row[3].(*float64); p != nil {
			val = fmt.Sprint(*p)
		}
		if p := row[4].(*string); p != nil {
			text = *p
		}
		if !row[5].(time.Time).Equal(polled) || row[6].(float64) < 3 || row[6].(float64) > 60 {
			t.Errorf("row %d: polled %v age %v, want %v and about 3 s", i, row[5], row[6], polled)
		}
		rows = append(rows, fmt.Sprintf("%s %s %s %s", row[0], row[2], val, text))
	}
	want := []string{"api-1 gone null null", "api-1 memstats.HeapAlloc 100 null", "api-1 version null 1.0"}
	slices.Sort(rows)
	if !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if n := noticeTexts(f); len(n) != 1 || !strings.Contains(n[0], "api-2 is down: timed out. Its last values, polled") || !strings.Contains(n[0], "not shown as current") {
		t.Errorf("notices %q", n)
	}
}

// A break in the history (the NaN the poller writes when a target goes down) is a null
// point, in history and in rate.
func TestRunHistoryOutageIsNull(t *testing.T) {
	src := newFakeSource(t)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i, v := range []float64{10, 20, math.NaN(), 50, 60} {
		src.add(t, "api-1", "memstats.NumGC", t0.Add(time.Duration(i)*time.Second), v)
	}
	for mode, want := range map[query.ExpvarMode]string{query.ExpvarHistory: "[10 20 null 50 60]", query.ExpvarRate: "[10 null 10]"} {
		fr, err := Run(context.Background(), src, query.Expvar{Targets: []string{"api-1"}, Paths: []string{"memstats.NumGC"}, Mode: mode}, t0, t0.Add(time.Minute), PollerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := range fr[0].Fields[1].Len() {
			if v, ok := fr[0].Fields[1].ConcreteAt(i); ok {
				got = append(got, fmt.Sprint(v))
			} else {
				got = append(got, "null")
			}
		}
		if s := "[" + strings.Join(got, " ") + "]"; s != want {
			t.Errorf("%s: %s, want %s", mode, s, want)
		}
	}
}

// A path that matches nothing gets a notice; where quoting a dotted key, or indexing an
// array, would match, the notice says how.
func TestRunNoMatchHints(t *testing.T) {
	src := newFakeSource(t)
	vars, err := FlattenBytes([]byte(`{"raft.status":{"term":4},"memstats":{"PauseNs":[1,2],"BySize":[{"Size":8}]}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src.vars["api-1"] = vars
	for path, want := range map[string]string{
		"raft.status.term": `quote it: ["raft.status"].term`,
		"memstats.PauseNs": "it is an array; use memstats.PauseNs[*] for every element or memstats.PauseNs[0] for one",
		"memstats.BySize":  "array of objects; use memstats.BySize[*].** or a key of its elements, such as memstats.BySize[0].Size",
		"memstats":         "it is an object, not a value",
		"nope":             `expvar path "nope" matches no variable of the targets read`,
	} {
		fr, err := Run(context.Background(), src, query.Expvar{Targets: []string{"api-1"}, Paths: []string{path}, Mode: query.ExpvarLatest}, time.Time{}, time.Time{}, PollerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := noticeTexts(fr[0]); len(n) != 1 || !strings.Contains(n[0], want) {
			t.Errorf("%s: notices %q, want one with %q", path, n, want)
		}
	}
}
