package goexpvar_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goexpvar/expvartest"
	"github.com/gopulse/health/pkg/query"
)

// The poller reads the demo app's document (recorded, served by httptest); the end-to-end
// tests run the same check on the running demo.
func TestPollerReadsTheDemoDocument(t *testing.T) {
	doc, err := os.ReadFile("testdata/demo-debug-vars.json")
	if err != nil {
		t.Fatal(err)
	}
	demo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(doc)
	}))
	defer demo.Close()
	expvartest.CheckPoller(t, demo.URL+"/debug/vars", demo.Listener.Addr().String())
}

func TestPollerStopWithoutStart(t *testing.T) {
	p := NewPoller(nil, http.DefaultClient, PollerOptions{})
	p.Stop()
	p.Stop()
	p.Start(context.Background()) // after Stop: never starts
}

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
	expvartest.Eventually(t, 10*time.Second, "40 polls of the good target", func() bool { return good.Load() >= 40 })
	p.Stop()
	if n := bad.Load(); n > 12 {
		t.Errorf("the failing target was polled %d times while the good one was polled %d", n, good.Load())
	}
	if _, st, _ := p.Latest("bad"); st.Failures < 3 || !st.NextPoll.After(st.LastPoll) {
		t.Errorf("bad status %+v", st)
	}
}

// hungListener accepts connections and never answers: the fault a real server cannot be
// made to show on demand. Closing it closes the connections it holds.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/debug/vars"
}

// A target that accepts connections and never answers delays no other target: the good
// one is polled on its own schedule, and a query of it never waits for the hung one, the
// first query included.
func TestPollerHungTargetIsolated(t *testing.T) {
	var good atomic.Int32
	goodSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		good.Add(1)
		_, _ = w.Write([]byte(`{"goroutines": 3}`))
	}))
	defer goodSrv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	const interval, timeout, span = 100 * time.Millisecond, 2 * time.Second, 5 * time.Second
	p := NewPoller([]Target{{Name: "hung", URL: hungListener(t)}, {Name: "good", URL: goodSrv.URL}}, hc,
		PollerOptions{Interval: interval, Timeout: timeout})
	defer p.Stop()
	start := time.Now()
	p.Start(context.Background())
	fr, err := Run(context.Background(), p, query.Expvar{Targets: []string{"good"}, Paths: []string{"goroutines"}, Mode: query.ExpvarLatest}, start, start, PollerOptions{})
	firstQuery := time.Since(start)
	if err != nil || fr[0].Rows() != 1 {
		t.Fatalf("first query of the good target: %v, %v", fr, err)
	}
	time.Sleep(span - time.Since(start))
	polls := good.Load()
	want := int32(span/interval) + 1 // one at the start, then one per interval
	t.Logf("good target: %d polls in %s at %s (expected %d); first query answered in %s with a hung target (timeout %s) beside it",
		polls, span, interval, want, firstQuery.Round(time.Millisecond), timeout)
	if polls < want-1 || polls > want+1 {
		t.Errorf("good target polled %d times in %s, want %d ± 1", polls, span, want)
	}
	if firstQuery >= timeout {
		t.Errorf("the first query of the good target took %s: it waited for the hung target (timeout %s)", firstQuery, timeout)
	}
	if _, st, _ := p.Latest("hung"); st.Up || !strings.Contains(st.LastError, "timed out") {
		t.Errorf("hung target status %+v, want down, timed out", st)
	}
}

// When a target that was up goes down, every series of it gets a break (NaN) at that
// poll: the history shows the outage as a gap.
func TestPollerBreaksHistoryAtOutage(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"a": 1, "b": {"c": 2}, "s": "x"}`))
	}))
	defer srv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	p := NewPoller([]Target{{Name: "t", URL: srv.URL}}, hc, PollerOptions{Interval: 20 * time.Millisecond})
	p.Start(context.Background())
	defer p.Stop()
	key := SeriesKey{Target: "t", Path: "b.c"}
	samples := func() []float64 {
		_, values, _ := p.History().Range(key, time.Now().Add(-time.Minute), time.Now().Add(time.Second))
		return values
	}
	expvartest.Eventually(t, 5*time.Second, "two samples", func() bool { return len(samples()) >= 2 })
	down.Store(true)
	expvartest.Eventually(t, 5*time.Second, "target down", func() bool { _, st, _ := p.Latest("t"); return !st.Up })
	values := samples()
	if last := values[len(values)-1]; !math.IsNaN(last) {
		t.Errorf("history %v: no break at the outage", values)
	}
	if n := len(slices.DeleteFunc(slices.Clone(values), func(v float64) bool { return !math.IsNaN(v) })); n != 1 {
		t.Errorf("history %v: %d breaks, want one per outage", values, n)
	}
}

// Advice fits expvar targets: the URL is the endpoint itself, credentials are the
// target's own; Check polls each target without touching its state.
func TestPollerStatusAdviceAndCheck(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("X-Api-Key"))
		switch r.URL.Path {
		case "/debug/vars":
			_, _ = w.Write([]byte(`{"a": 1}`))
		case "/locked":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	p := NewPoller([]Target{
		{Name: "ok", URL: srv.URL + "/debug/vars", Auth: Auth{Token: "tok", Headers: map[string]string{"X-Api-Key": "k"}}},
		{Name: "locked", URL: srv.URL + "/locked"},
		{Name: "locked-creds", URL: srv.URL + "/locked", BasicAuthUser: "u", Auth: Auth{Password: "p"}},
		{Name: "base", URL: srv.URL + "/"},
	}, hc, PollerOptions{})
	defer p.Stop()
	got := map[string]string{}
	for _, c := range p.Check(context.Background()) {
		got[c.Target] = fmt.Sprintf("%v %d %s", c.OK, c.Vars, c.Error)
	}
	for name, want := range map[string]string{
		"ok":           "true 1 ",
		"locked":       "the target has no credentials configured",
		"locked-creds": "check the target's credentials",
		"base":         "the target URL must be the expvar endpoint itself",
	} {
		if !strings.Contains(got[name], want) {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
	if _, st, _ := p.Latest("ok"); !st.LastPoll.IsZero() {
		t.Errorf("Check changed the status: %+v", st)
	}
	// A poll of the target alone: what it received.
	p2 := NewPoller([]Target{{Name: "ok", URL: srv.URL + "/debug/vars", Auth: Auth{Token: "tok", Headers: map[string]string{"X-Api-Key": "k"}}}}, hc, PollerOptions{})
	defer p2.Stop()
	p2.Sweep(context.Background())
	if a := auth.Load().(string); a != "Bearer tok|k" {
		t.Errorf("the target got %q, want its token and header", a)
	}
}
