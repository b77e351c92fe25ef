package goexpvar_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goexpvar/expvartest"
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
