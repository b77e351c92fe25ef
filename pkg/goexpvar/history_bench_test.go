package goexpvar

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// histGenSeries is one generated series of a target: its path, its kind (for the report)
// and its values, one per poll.
type histGenSeries struct {
	path string
	kind string // constant, counter, gauge, float, array-slot
	vals []float64
}

// histGenTarget simulates a Go service's /debug/vars polled every 10 s with a few ms of
// jitter for n polls: memstats (a heap growing at a noisy allocation rate and collected
// at NextGC, GC counters, PauseNs/PauseEnd rings, BySize), NumCPU/GOMAXPROCS, goroutines,
// and the app's request, error and order counters. withArrays adds PauseNs[256],
// PauseEnd[256] and BySize[61].{Size,Mallocs,Frees}.
func histGenTarget(seed uint64, n int, start time.Time, withArrays bool) ([]time.Time, []histGenSeries) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	times := make([]time.Time, n)
	for i := range times {
		jitter := time.Duration(rng.IntN(7)-3)*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond
		times[i] = start.Add(time.Duration(i)*10*time.Second + jitter)
	}
	var out []histGenSeries
	add := func(path, kind string) *histGenSeries {
		out = append(out, histGenSeries{path: path, kind: kind, vals: make([]float64, n)})
		return &out[len(out)-1]
	}
	idx := map[string]int{}
	reg := func(path, kind string) { add(path, kind); idx[path] = len(out) - 1 }
	for _, p := range []string{"memstats.Lookups", "memstats.NumForcedGC", "memstats.DebugGC", "memstats.EnableGC", "NumCPU", "GOMAXPROCS", "memstats.BuckHashSys", "memstats.MCacheInuse", "memstats.MCacheSys"} {
		reg(p, "constant")
	}
	for _, p := range []string{"memstats.NumGC", "memstats.TotalAlloc", "memstats.Mallocs", "memstats.Frees", "memstats.PauseTotalNs", "requests_total", "errors_total", "orders_total", "page_views_total"} {
		reg(p, "counter")
	}
	for _, p := range []string{"memstats.Alloc", "memstats.HeapAlloc", "memstats.HeapObjects", "memstats.HeapInuse", "memstats.HeapIdle", "memstats.HeapSys", "memstats.HeapReleased", "memstats.Sys", "memstats.StackInuse", "memstats.StackSys", "memstats.MSpanInuse", "memstats.GCSys", "memstats.OtherSys", "memstats.NextGC", "memstats.LastGC", "goroutines", "inflight_requests"} {
		reg(p, "gauge")
	}
	reg("memstats.GCCPUFraction", "float")
	const nSlots = 256
	const nClasses = 61
	if withArrays {
		for i := 0; i < nSlots; i++ {
			reg(fmt.Sprintf("memstats.PauseNs[%d]", i), "array-slot")
			reg(fmt.Sprintf("memstats.PauseEnd[%d]", i), "array-slot")
		}
		for i := 0; i < nClasses; i++ {
			reg(fmt.Sprintf("memstats.BySize[%d].Size", i), "constant")
			reg(fmt.Sprintf("memstats.BySize[%d].Mallocs", i), "counter")
			reg(fmt.Sprintf("memstats.BySize[%d].Frees", i), "counter")
		}
	}
	set := func(i int, p string, v float64) { out[idx[p]].vals[i] = v }

	var (
		heapAlloc   = 18e6
		nextGC      = 36e6
		totalAlloc  = 5e8
		mallocs     = 5e6
		frees       = 4.8e6
		numGC       = 120.0
		pauseTotal  = 120 * 180e3
		lastGC      = float64(start.UnixNano())
		heapSys     = 48.0 * (1 << 20)
		heapRel     = 8.0 * (1 << 20)
		goroutines  = 40.0
		reqs, errs  = 1e5, 37.0
		orders, pvs = 2100.0, 4e4
		pauseNs     [nSlots]float64
		pauseEnd    [nSlots]float64
		classM      [nClasses]float64
		classF      [nClasses]float64
		uptime      = 3600.0
	)
	for i := range classM {
		classM[i] = float64(1000 * (nClasses - i))
		classF[i] = classM[i] - float64(rng.IntN(50))
	}
	for i := 0; i < n; i++ {
		t := times[i]
		alloc := math.Round(500e3 * 10 * (1 + 0.3*rng.NormFloat64()))
		if alloc < 0 {
			alloc = 0
		}
		nm := math.Round(alloc / 96)
		heapAlloc += alloc
		totalAlloc += alloc
		mallocs += nm
		for k := 0; k < 8; k++ {
			classM[rng.IntN(nClasses/4)] += math.Round(nm / 16)
		}
		for heapAlloc >= nextGC {
			live := math.Round(18e6 + 2e6*rng.NormFloat64())
			freed := math.Round((heapAlloc - live) / 96)
			frees += freed
			for k := 0; k < 8; k++ {
				classF[rng.IntN(nClasses/4)] += math.Round(freed / 16)
			}
			heapAlloc = live
			nextGC = live * 2
			numGC++
			pause := float64(50e3 + rng.IntN(250e3))
			pauseTotal += pause
			lastGC = float64(t.UnixNano() - int64(rng.IntN(10e9)))
			pauseNs[int(numGC)%nSlots] = pause
			pauseEnd[int(numGC)%nSlots] = lastGC
		}
		inuse := math.Ceil((heapAlloc*1.05)/8192) * 8192
		if inuse*1.2 > heapSys {
			heapSys += 4 << 20
		}
		if rng.IntN(30) == 0 {
			heapRel += float64(rng.IntN(64)) * 8192
		}
		goroutines += float64(rng.IntN(5) - 2)
		if goroutines < 20 {
			goroutines = 20
		}
		rps := 50 * (1 + 0.1*rng.NormFloat64())
		reqs += math.Round(rps * 10)
		if rng.IntN(4) == 0 {
			errs += float64(rng.IntN(3))
		}
		orders += float64(rng.IntN(40))
		pvs += math.Round(rps * 3 * 10)
		uptime += 10
		stack := math.Ceil(goroutines/4) * 32768

		for _, p := range []string{"memstats.Lookups", "memstats.NumForcedGC", "memstats.DebugGC"} {
			set(i, p, 0)
		}
		set(i, "memstats.EnableGC", 1)
		set(i, "NumCPU", 8)
		set(i, "GOMAXPROCS", 8)
		set(i, "memstats.BuckHashSys", 1442901)
		set(i, "memstats.MCacheInuse", 9600)
		set(i, "memstats.MCacheSys", 15600)
		set(i, "memstats.NumGC", numGC)
		set(i, "memstats.TotalAlloc", totalAlloc)
		set(i, "memstats.Mallocs", mallocs)
		set(i, "memstats.Frees", frees)
		set(i, "memstats.PauseTotalNs", pauseTotal)
		set(i, "requests_total", reqs)
		set(i, "errors_total", errs)
		set(i, "orders_total", orders)
		set(i, "page_views_total", pvs)
		set(i, "memstats.Alloc", heapAlloc)
		set(i, "memstats.HeapAlloc", heapAlloc)
		set(i, "memstats.HeapObjects", mallocs-frees)
		set(i, "memstats.HeapInuse", inuse)
		set(i, "memstats.HeapIdle", heapSys-inuse)
		set(i, "memstats.HeapSys", heapSys)
		set(i, "memstats.HeapReleased", heapRel)
		set(i, "memstats.Sys", heapSys+stack+8e6)
		set(i, "memstats.StackInuse", stack)
		set(i, "memstats.StackSys", math.Max(stack, 1<<20))
		set(i, "memstats.MSpanInuse", math.Ceil(inuse/8192/64)*16320)
		set(i, "memstats.GCSys", math.Ceil(heapSys/(1<<20))*65536)
		set(i, "memstats.OtherSys", 1.2e6)
		set(i, "memstats.NextGC", nextGC)
		set(i, "memstats.LastGC", lastGC)
		set(i, "goroutines", goroutines)
		set(i, "inflight_requests", float64(rng.IntN(6)))
		set(i, "memstats.GCCPUFraction", pauseTotal/(uptime*1e9*8)+1e-6*rng.Float64())
		if withArrays {
			for k := 0; k < nSlots; k++ {
				out[idx[fmt.Sprintf("memstats.PauseNs[%d]", k)]].vals[i] = pauseNs[k]
				out[idx[fmt.Sprintf("memstats.PauseEnd[%d]", k)]].vals[i] = pauseEnd[k]
			}
			for k := 0; k < nClasses; k++ {
				out[idx[fmt.Sprintf("memstats.BySize[%d].Size", k)]].vals[i] = float64(8 * (k + 1))
				out[idx[fmt.Sprintf("memstats.BySize[%d].Mallocs", k)]].vals[i] = classM[k]
				out[idx[fmt.Sprintf("memstats.BySize[%d].Frees", k)]].vals[i] = classF[k]
			}
		}
	}
	return times, out
}

// histMeasure encodes the generated series of nTargets targets (n polls each) into a
// History without drops and returns encoded bytes and samples per kind, and the History.
func histMeasure(tb testing.TB, nTargets, n int, withArrays bool) (map[string][2]int64, *History) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	h := NewHistory(HistoryOptions{Retention: 1000 * time.Hour, MaxBytes: 1 << 40})
	perKind := map[string][2]int64{}
	for tg := 0; tg < nTargets; tg++ {
		times, series := histGenTarget(uint64(tg+1), n, start, withArrays)
		for _, s := range series {
			key := SeriesKey{Target: fmt.Sprintf("app-%d", tg), Path: s.path}
			var enc histEnc
			var bytes int64
			for i, v := range s.vals {
				if err := h.Append(key, times[i], v); err != nil {
					tb.Fatal(err)
				}
				enc.append(times[i].UnixMilli(), v)
				if enc.n == DefaultHistoryChunkSamples {
					bytes += int64(len(enc.w.b))
					enc = histEnc{}
				}
			}
			bytes += int64(len(enc.w.b))
			k := perKind[s.kind]
			k[0] += bytes
			k[1] += int64(len(s.vals))
			perKind[s.kind] = k
		}
	}
	return perKind, h
}

func histReport(tb testing.TB, perKind map[string][2]int64) float64 {
	var kinds []string
	var tb0, ts0 int64
	for k, v := range perKind {
		kinds = append(kinds, k)
		tb0 += v[0]
		ts0 += v[1]
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		v := perKind[k]
		tb.Logf("%-11s %8d samples %8d bytes %.3f B/sample", k, v[1], v[0], float64(v[0])/float64(v[1]))
	}
	overall := float64(tb0) / float64(ts0)
	tb.Logf("%-11s %8d samples %8d bytes %.3f B/sample", "overall", ts0, tb0, overall)
	return overall
}

// BenchmarkHistoryCompression reports encoded bytes per sample per kind of series (one
// hour of 10 s polls of 4 targets), scalars only and with the memstats arrays.
func BenchmarkHistoryCompression(b *testing.B) {
	for _, withArrays := range []bool{false, true} {
		name := "scalars"
		if withArrays {
			name = "with-arrays"
		}
		b.Run(name, func(b *testing.B) {
			var perKind map[string][2]int64
			var h *History
			for i := 0; i < b.N; i++ {
				perKind, h = histMeasure(b, 4, 360, withArrays)
			}
			overall := histReport(b, perKind)
			for k, v := range perKind {
				b.ReportMetric(float64(v[0])/float64(v[1]), "B/sample-"+k)
			}
			b.ReportMetric(overall, "B/sample")
			st := h.Stats()
			b.ReportMetric(float64(st.Bytes)/float64(st.Samples), "B/sample-accounted")
		})
	}
}

// BenchmarkHistoryAppend appends realistic samples (a memstats document of 36 series
// per poll, 4 targets) to a History with the default options.
func BenchmarkHistoryAppend(b *testing.B) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	const polls = 2000
	type tgt struct {
		times  []time.Time
		series []histGenSeries
		keys   []SeriesKey
	}
	var tgts []tgt
	for i := 0; i < 4; i++ {
		times, series := histGenTarget(uint64(i+1), polls, start, false)
		t := tgt{times: times, series: series}
		for _, s := range series {
			t.keys = append(t.keys, SeriesKey{Target: fmt.Sprintf("app-%d", i), Path: s.path})
		}
		tgts = append(tgts, t)
	}
	perPoll := 0
	for _, t := range tgts {
		perPoll += len(t.series)
	}
	var clock time.Time
	h := NewHistory(HistoryOptions{Now: func() time.Time { return clock }})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	offset := time.Duration(0)
	for n < b.N {
		for p := 0; p < polls && n < b.N; p++ {
			clock = tgts[0].times[p].Add(offset)
			for _, t := range tgts {
				for si, s := range t.series {
					if err := h.Append(t.keys[si], t.times[p].Add(offset), s.vals[p]); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
		}
		offset += polls * 10 * time.Second
	}
	b.StopTimer()
	st := h.Stats()
	b.ReportMetric(float64(st.Bytes)/float64(st.Samples), "B/sample-accounted")
	_ = perPoll
}

// BenchmarkHistoryRange reads one hour (360 samples) of one series out of a History
// holding an hour of 4 targets × 36 series.
func BenchmarkHistoryRange(b *testing.B) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	_, h := histMeasure(b, 4, 360, false)
	for _, path := range []string{"memstats.HeapAlloc", "NumCPU"} {
		b.Run(path, func(b *testing.B) {
			key := SeriesKey{Target: "app-1", Path: path}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ts, _, _ := h.Range(key, start.Add(-time.Minute), start.Add(time.Hour))
				if len(ts) != 360 {
					b.Fatal(len(ts))
				}
			}
			b.ReportMetric(360, "samples/op")
		})
	}
}

// BenchmarkHistoryAppendSweep: one op is one poll sweep of 1000 targets × 36 series
// (36,000 appends) into a History already holding an hour of them, at the default cap.
func BenchmarkHistoryAppendSweep(b *testing.B) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	const targets = 1000
	_, series := histGenTarget(1, 360+1, start, false)
	keys := make([][]SeriesKey, targets)
	for tg := range keys {
		for _, s := range series {
			keys[tg] = append(keys[tg], SeriesKey{Target: fmt.Sprintf("app-%d", tg), Path: s.path})
		}
	}
	var clock time.Time
	h := NewHistory(HistoryOptions{Now: func() time.Time { return clock }})
	sweep := func(i int) {
		clock = start.Add(time.Duration(i) * 10 * time.Second)
		for tg := range keys {
			t := clock.Add(time.Duration(tg%7) * time.Millisecond)
			for si, s := range series {
				if err := h.Append(keys[tg][si], t, s.vals[i%len(s.vals)]+float64(i)); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for i := 0; i < 360; i++ {
		sweep(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sweep(360 + i)
	}
	b.StopTimer()
	st := h.Stats()
	b.ReportMetric(float64(st.Bytes)/(1<<20), "MiB-accounted")
	b.ReportMetric(float64(st.Samples), "samples-kept")
	b.ReportMetric(float64(st.DroppedCap), "dropped-cap")
}
