package plugin_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/gopulse/health/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.jsonc from the current answers")

// pollEpoch is where the poll times of the expvar answers are moved to (see normalise).
var pollEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// TestGolden holds the frames of every query type and format to their golden files
// (testdata/golden/<case>.jsonc): field names, types, labels, units, display names,
// field config, frame meta (type, typeVersion, executed query) and notices — the
// contract with panels, transformations, overrides and alert rules. The queries are in
// testdata/golden-cases.json; they run through QueryData against one upstream server
// that answers from the recorded answers in testdata/upstream (recorded from the demo
// stack by e2e's TestRecordGoldenUpstream) and fails the test on any other request.
// The Prometheus cases run over the recording's time range. The expvar cases run once
// the poller has polled the recorded documents, over a range around now; their poll
// times (and the rates over them) come from the clock and are normalised.
//
//	go test ./pkg/plugin -run Golden -update   # rewrite the golden files, then review the diff
func TestGolden(t *testing.T) {
	cases, err := golden.LoadCases(filepath.Join("testdata", "golden-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	up := newReplay(t, filepath.Join("testdata", "upstream"))
	for _, name := range []string{golden.DataSourcePrometheus, golden.DataSourceExpvar} {
		ds, err := cases.Datasource(name, up.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ds.Dispose)
		query := func(k golden.Case, tr backend.TimeRange) backend.DataResponse {
			t.Helper()
			r, err := ds.Run(k, tr)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		tr := backend.TimeRange{From: up.rec.From, To: up.rec.To}
		if name == golden.DataSourceExpvar {
			// The first expvar query starts the poller; the cases run once every
			// recorded document is in its history (the next poll waits, see newReplay).
			start := time.Now()
			query(cases.Cases[slices.IndexFunc(cases.Cases, func(k golden.Case) bool { return k.DataSource == name })], backend.TimeRange{From: start.Add(-time.Minute), To: start})
			up.waitPolled(t)
			tr = backend.TimeRange{From: start.Add(-time.Minute), To: time.Now().Add(time.Minute)}
		}
		for _, k := range cases.Cases {
			if k.DataSource != name {
				continue
			}
			t.Run(k.Name, func(t *testing.T) {
				res := query(k, tr)
				if k.WallClock != "" {
					normalise(res.Frames, k.WallClock == golden.Rates)
				}
				experimental.CheckGoldenJSONResponse(t, filepath.Join("testdata", "golden"), k.Name, &res, *update)
			})
		}
	}
}

// normalise makes an expvar answer independent of the clock: the answer's distinct
// times, which are poll times, become pollEpoch plus 0, 1, 2… seconds in their order;
// with rates, each number, a difference of recorded values divided by the seconds
// between two polls, becomes its sign (-1, 0 or 1); a latest table's ages (seconds
// since the poll) become 0. Names, types, labels, units,
// display names, config, meta and notices are left as they are.
func normalise(frames data.Frames, rates bool) {
	var times []time.Time
	each := func(f func(*data.Field, int)) {
		for _, fr := range frames {
			for _, fd := range fr.Fields {
				for i := range fd.Len() {
					f(fd, i)
				}
			}
		}
	}
	each(func(fd *data.Field, i int) {
		if t, ok := fd.ConcreteAt(i); ok && fd.Type().Time() {
			times = append(times, t.(time.Time))
		}
	})
	slices.SortFunc(times, time.Time.Compare)
	times = slices.Compact(times)
	each(func(fd *data.Field, i int) {
		v, ok := fd.ConcreteAt(i)
		switch {
		case !ok:
		case fd.Type().Time():
			fd.SetConcrete(i, pollEpoch.Add(time.Duration(slices.Index(times, v.(time.Time)))*time.Second))
		case fd.Name == "age":
			fd.SetConcrete(i, 0.0)
		case rates && fd.Type().Numeric():
			if n, ok := v.(float64); ok {
				fd.SetConcrete(i, sign(n))
			}
		}
	})
}

func sign(n float64) float64 {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}

// replay is the upstream server of the golden test: Prometheus, the Alertmanager and the
// expvar target, answering from a recording.
type replay struct {
	srv *httptest.Server
	rec *golden.Recording
	// polled is closed when the poller asks for one document more than recorded: the
	// recorded ones are then all in its history.
	polled chan struct{}
}

// newReplay serves the recording in dir: each request gets the recorded answer of its
// path and parameters, or fails the test naming it; the expvar documents are served in
// order, and a poll past them waits until the poller gives up on it (its data source is
// disposed), so that the history holds exactly the recorded documents.
func newReplay(t *testing.T, dir string) *replay {
	rec, err := golden.LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name)) // #nosec G304 -- the test's own testdata
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	answers := map[string]golden.Exchange{}
	bodies := map[string][]byte{}
	for _, e := range rec.Exchanges {
		answers[e.Request], bodies[e.Request] = e, read(e.Body)
	}
	var polls [][]byte
	for _, name := range rec.Expvar {
		polls = append(polls, read(name))
	}
	r := &replay{rec: rec, polled: make(chan struct{})}
	var mu sync.Mutex
	next := 0
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if req.URL.Path == golden.ExpvarPath {
			mu.Lock()
			n := next
			next++
			mu.Unlock()
			if n == len(polls) {
				close(r.polled)
			}
			if n >= len(polls) {
				<-req.Context().Done()
				return
			}
			_, _ = w.Write(polls[n])
			return
		}
		key, err := golden.RequestKey(req)
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e, ok := answers[key]
		if !ok {
			t.Errorf("unrecorded request %s %s: re-record (see CONTRIBUTING.md)", req.Method, key)
			http.Error(w, fmt.Sprintf("unrecorded request %s", key), http.StatusNotImplemented)
			return
		}
		w.WriteHeader(e.Status)
		_, _ = w.Write(bodies[key])
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// waitPolled waits until the recorded expvar documents are all polled.
func (r *replay) waitPolled(t *testing.T) {
	t.Helper()
	select {
	case <-r.polled:
	case <-time.After(30 * time.Second):
		t.Fatal("the expvar target was not polled past its recorded documents within 30s")
	}
}

// The recording is JSON all through: a body that is not fails here, before any golden
// comparison would show it as an odd answer.
func TestGoldenRecordingIsJSON(t *testing.T) {
	dir := filepath.Join("testdata", "upstream")
	rec, err := golden.LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := rec.Expvar
	for _, e := range rec.Exchanges {
		names = append(names, e.Body)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n)) // #nosec G304 -- the test's own testdata
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Errorf("%s is not JSON", n)
		}
	}
}
