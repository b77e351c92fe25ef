package goexpvar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gopulse/health/pkg/telemetry/logtest"
)

// A target that goes down for several polls and comes back is logged twice: once when it
// goes down (a warning with the target, its host and the error), once when it is back.
// The metrics follow every sweep.
func TestPollerLogsStateChangesOnce(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"goroutines": 7}`))
	}))
	defer srv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	rec := logtest.New()
	m := Metrics{
		TargetsUp:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "up"}),
		TargetsDown:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "down"}),
		PollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "duration"}),
		HistoryBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bytes"}),
	}
	// A nanosecond interval: the back-off of the failing target never skips a sweep.
	p := NewPoller([]Target{{Name: "api", URL: srv.URL + "/debug/vars"}}, hc, PollerOptions{Interval: time.Nanosecond, Logger: rec, Metrics: m})
	host := strings.TrimPrefix(srv.URL, "http://")
	sweeps := 0
	for _, isDown := range []bool{false, false, true, true, true, true, false, false} {
		down.Store(isDown)
		p.Sweep(context.Background())
		sweeps++
		if _, st, _ := p.Latest("api"); st.Up == isDown {
			t.Fatalf("sweep %d: up=%v, want %v", sweeps, st.Up, !isDown)
		}
		wantUp := 1.0
		if isDown {
			wantUp = 0
		}
		if got := value(t, m.TargetsUp); got != wantUp || value(t, m.TargetsDown) != 1-wantUp {
			t.Errorf("sweep %d: targets up %v down %v, want up %v", sweeps, got, value(t, m.TargetsDown), wantUp)
		}
	}
	lines := rec.Lines()
	if len(lines) != 2 {
		t.Fatalf("%d log lines over %d sweeps, want 2 (down, up again):\n%v", len(lines), sweeps, lines)
	}
	if l := lines[0]; l.Level != log.Warn || l.Arg("target") != "api" || l.Arg("host") != host || !strings.Contains(l.String(), "server error 503") {
		t.Errorf("down line: %s", l)
	}
	if l := lines[1]; l.Level != log.Info || l.Arg("target") != "api" || l.Arg("failed_polls") != 4 {
		t.Errorf("up again line: %s", l)
	}
	if got := sampleCount(t, m.PollDuration.(prometheus.Histogram)); got != uint64(sweeps) {
		t.Errorf("poll duration observed %d polls, want %d", got, sweeps)
	}
	if value(t, m.HistoryBytes) <= 0 {
		t.Error("history bytes not reported")
	}
}

// A history held at its memory cap logs once that it drops samples, not at every sweep,
// and the dropped samples are counted.
func TestPollerLogsMemoryCapOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8}`))
	}))
	defer srv.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	rec := logtest.New()
	dropped := prometheus.NewCounter(prometheus.CounterOpts{Name: "dropped"})
	p := NewPoller([]Target{{Name: "api", URL: srv.URL}}, hc, PollerOptions{
		Interval: time.Nanosecond, Logger: rec, Metrics: Metrics{DroppedCap: dropped},
		History: HistoryOptions{MaxBytes: 1500, ChunkSamples: 2},
	})
	deadline := time.Now().Add(10 * time.Second)
	for value(t, dropped) < 20 && time.Now().Before(deadline) {
		p.Sweep(context.Background())
	}
	if value(t, dropped) < 20 {
		t.Fatalf("the cap dropped %v samples: the test proves nothing", value(t, dropped))
	}
	warns := rec.At(log.Warn)
	if len(warns) != 1 || warns[0].Arg("max_bytes") != int64(1500) {
		t.Errorf("memory cap: %d warnings, want 1 with max_bytes: %v", len(warns), warns)
	}
}

// value reads a gauge or counter; sampleCount the number of a histogram's observations.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	m := write(t, c)
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}

func sampleCount(t *testing.T, c prometheus.Metric) uint64 {
	t.Helper()
	return write(t, c).GetHistogram().GetSampleCount()
}

func write(t *testing.T, c prometheus.Metric) *dto.Metric {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return &m
}
