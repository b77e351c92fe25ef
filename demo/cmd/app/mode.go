package main

import (
	"fmt"
	"math/rand/v2"
	"mime"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// mode is the app's behaviour, switched at run time through /admin/mode.
type mode string

const (
	modeNormal  mode = "normal"  // answers quickly and correctly
	modeSlow    mode = "slow"    // API handlers sleep, p99 latency above 0.5 s
	modeFailing mode = "failing" // a large share of API requests answer 500
	modeLeak    mode = "leak"    // goroutines (each holding some heap) leak steadily, bounded
	modeCrash   mode = "crash"   // the process exits with status 2 shortly after answering
)

var modes = []mode{modeNormal, modeSlow, modeFailing, modeLeak, modeCrash}

func parseMode(s string) (mode, error) {
	for _, m := range modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q: want one of %v", s, modes)
}

// options tune the modes; tests shrink them.
type options struct {
	slowMin, slowMax time.Duration // slow mode: each API request sleeps in [slowMin, slowMax)
	failShare        float64       // failing mode: share of API requests answering 500
	leakEvery        time.Duration // leak mode: one batch of leaked goroutines per tick
	leakBatch        int           // goroutines leaked per tick
	leakMax          int           // cap on leaked goroutines, so the machine stays safe
	leakBytes        int           // heap held by each leaked goroutine
	crashDelay       time.Duration // crash mode: time between the answer and the exit
	exit             func(code int)
}

// defaultOptions: slow mode sleeps 0.6–1 s, failing mode fails half of the API requests,
// leak mode leaks 200 goroutines/s holding 8 KiB each up to 50k (about 400 MiB of heap,
// reached after about 4 minutes), crash mode exits 200 ms after answering.
func defaultOptions(exit func(int)) options {
	return options{
		slowMin:    600 * time.Millisecond,
		slowMax:    time.Second,
		failShare:  0.5,
		leakEvery:  100 * time.Millisecond,
		leakBatch:  20,
		leakMax:    50_000,
		leakBytes:  8 << 10,
		crashDelay: 200 * time.Millisecond,
		exit:       exit,
	}
}

// inject applies the current mode to an API request before its handler runs. It reports
// whether it answered the request itself (an injected failure, or the client went away
// while the request was being slowed down).
func (a *App) inject(w http.ResponseWriter, r *http.Request) bool {
	switch a.currentMode() {
	case modeSlow:
		d := a.opts.slowMin
		if span := a.opts.slowMax - a.opts.slowMin; span > 0 {
			d += rand.N(span)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			writeError(w, http.StatusServiceUnavailable, "request cancelled")
			return true
		}
	case modeFailing:
		if rand.Float64() < a.opts.failShare {
			writeError(w, http.StatusInternalServerError, "injected failure (failing mode)")
			return true
		}
	}
	return false
}

func (a *App) currentMode() mode {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mode
}

// switchMode sets the mode; leaving leak mode releases the leaked goroutines, so the
// goroutine and memory alerts resolve.
func (a *App) switchMode(next mode) (previous mode) {
	a.mu.Lock()
	defer a.mu.Unlock()
	previous = a.mode
	if previous == modeLeak && next != modeLeak {
		a.leak.release()
		a.leak = nil
	}
	if next == modeLeak && previous != modeLeak {
		a.leak = startLeak(a.opts, &a.leaked)
	}
	a.mode = next
	a.metrics.setMode(next)
	return previous
}

func (a *App) getMode(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"mode": a.currentMode(), "modes": modes})
}

// postMode takes the mode from the query (?mode=slow), a form body (mode=slow) or a JSON
// body ({"mode":"slow"}).
func (a *App) postMode(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("mode")
	if name == "" {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "application/json" {
			var body struct {
				Mode string `json:"mode"`
			}
			if err := decodeJSON(r, &body); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			name = body.Mode
		} else {
			name = r.PostFormValue("mode")
		}
	}
	next, err := parseMode(name)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	previous := a.switchMode(next)
	writeJSON(w, http.StatusOK, map[string]any{"mode": next, "previous": previous})
	if next == modeCrash {
		time.AfterFunc(a.opts.crashDelay, func() { a.opts.exit(2) })
	}
}

// leaker leaks goroutines on purpose: each blocks until release and holds leakBytes of heap.
type leaker struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func startLeak(o options, leaked *atomic.Int64) *leaker {
	l := &leaker{stop: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(o.leakEvery)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			for i := 0; i < o.leakBatch && leaked.Load() < int64(o.leakMax); i++ {
				leaked.Add(1)
				l.wg.Add(1)
				go func() {
					defer l.wg.Done()
					defer leaked.Add(-1)
					held := make([]byte, o.leakBytes)
					<-l.stop
					runtime.KeepAlive(held)
				}()
			}
		}
	}()
	return l
}

// release ends the leaked goroutines and waits for them.
func (l *leaker) release() {
	close(l.stop)
	l.wg.Wait()
}
