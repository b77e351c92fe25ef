package goexpvar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// The poller reads the demo's real /debug/vars, keeps its variables and status, fills the
// history at every sweep, and marks a broken target down without touching the others.
func TestPollerAgainstTheDemo(t *testing.T) {
	demo := harness.StartDemo(t)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login</html>"))
	}))
	defer html.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	p := NewPoller([]Target{
		{Name: "demo", URL: demo.URL + "/debug/vars", Instance: demo.Addr},
		{Name: "portal", URL: html.URL + "/debug/vars"},
	}, hc, PollerOptions{Interval: 50 * time.Millisecond})
	p.Start(context.Background())
	defer p.Stop()

	vars, st, ok := p.Latest("demo")
	if !ok || !st.Up || st.Instance != demo.Addr || len(vars) < 100 {
		t.Fatalf("demo: %d vars, status %+v", len(vars), st)
	}
	goroutines := MustParsePath("goroutines")
	found := false
	for _, v := range vars {
		if goroutines.Match(v.Path) && v.Num > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no goroutines var in the demo's document")
	}
	if _, st, _ := p.Latest("portal"); st.Up || !strings.Contains(st.LastError, "not JSON") {
		t.Errorf("portal status %+v, want down with a not-JSON error", st)
	}
	// Later sweeps append to the history.
	key := SeriesKey{Target: "demo", Path: "memstats.NumGC"}
	harness.Eventually(t, 5*time.Second, 20*time.Millisecond, "three samples in the history", func() error {
		if times, _, _ := p.History().Range(key, time.Now().Add(-time.Minute), time.Now()); len(times) < 3 {
			return errNotYet
		}
		return nil
	})
	if got := len(p.Statuses()); got != 2 {
		t.Errorf("%d statuses", got)
	}
}

func TestPollerStopWithoutStart(t *testing.T) {
	p := NewPoller(nil, http.DefaultClient, PollerOptions{})
	p.Stop()
	p.Stop()
	p.Start(context.Background()) // after Stop: never starts
}

type notYet struct{}

func (notYet) Error() string { return "not yet" }

var errNotYet error = notYet{}

// A failing target is polled less and less often; a good one every interval.
func TestPollerBacksOff(t *testing.T) {
	var bad, good atomic.Int32
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer badSrv.Close()
	goodSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		good.Add(1)
		_, _ = w.Write([]byte(`{"goroutines": 3}`))
	}))
	defer goodSrv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	p := NewPoller([]Target{{Name: "bad", URL: badSrv.URL}, {Name: "good", URL: goodSrv.URL}}, hc, PollerOptions{Interval: 10 * time.Millisecond})
	p.Start(context.Background())
	harness.Eventually(t, 10*time.Second, 10*time.Millisecond, "40 polls of the good target", func() error {
		if good.Load() < 40 {
			return errNotYet
		}
		return nil
	})
	p.Stop()
	if n := bad.Load(); n > 12 {
		t.Errorf("the failing target was polled %d times while the good one was polled %d", n, good.Load())
	}
	if _, st, _ := p.Latest("bad"); st.Failures < 3 || !st.NextPoll.After(st.LastPoll) {
		t.Errorf("bad status %+v", st)
	}
}
