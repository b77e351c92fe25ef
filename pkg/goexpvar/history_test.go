package goexpvar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// histRoundTrip encodes ts/vs into one chunk, decodes it and fails on any difference
// (values compared bit for bit).
func histRoundTrip(t testing.TB, ts []int64, vs []float64) {
	t.Helper()
	var e histEnc
	for i := range ts {
		e.append(ts[i], vs[i])
	}
	var d histDec
	d.reset(e.w.b, e.w.nbits(), e.minT)
	for i := range ts {
		gt, gv, ok := d.next()
		if !ok {
			t.Fatalf("sample %d of %d: decode failed", i, len(ts))
		}
		if gt != ts[i] || math.Float64bits(gv) != math.Float64bits(vs[i]) {
			t.Fatalf("sample %d: got (%d, %x) want (%d, %x)", i, gt, math.Float64bits(gv), ts[i], math.Float64bits(vs[i]))
		}
	}
	if d.r.pos != d.r.end {
		t.Fatalf("%d bits left after %d samples", d.r.end-d.r.pos, len(ts))
	}
}

var histSpecials = []float64{
	0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
	math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0xfff0000000000abc), // NaN payloads
	math.Float64frombits(0x7ff0000000000001), // signalling NaN
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	1 << 53, -(1 << 53), 1<<53 + 2, -(1<<53 + 2), 1 << 62, math.MaxInt64, math.MinInt64,
	0.1, 1e-300, 123456789.5, 4.2e18,
}

func TestHistoryEncodingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(i int, prev float64) float64{
		"constant":  func(int, float64) float64 { return 8 },
		"counter":   func(i int, p float64) float64 { return p + float64(rng.IntN(1000)) },
		"steady":    func(i int, p float64) float64 { return p + 100 },
		"randbits":  func(int, float64) float64 { return math.Float64frombits(rng.Uint64()) },
		"randfloat": func(int, float64) float64 { return rng.NormFloat64() * 1e6 },
		"specials":  func(int, float64) float64 { return histSpecials[rng.IntN(len(histSpecials))] },
		"mixed": func(i int, p float64) float64 {
			switch rng.IntN(4) {
			case 0:
				return histSpecials[rng.IntN(len(histSpecials))]
			case 1:
				return p
			case 2:
				return float64(rng.Int64N(1<<54) - 1<<53)
			default:
				return math.Float64frombits(rng.Uint64())
			}
		},
		"int-extremes": func(i int, p float64) float64 {
			if i%2 == 0 {
				return 1 << 53
			}
			return -(1 << 53)
		},
	}
	tgens := map[string]func(i int) int64{
		"regular": func(int) int64 { return 10000 },
		"jitter":  func(int) int64 { return 10000 + int64(rng.IntN(7)) - 3 },
		"wild":    func(int) int64 { return 1 + rng.Int64N(1<<40) },
		"huge":    func(int) int64 { return 1 + rng.Int64N(math.MaxInt64/300) },
		"one":     func(int) int64 { return 1 },
	}
	for gn, g := range gens {
		for tn, tg := range tgens {
			t.Run(gn+"/"+tn, func(t *testing.T) {
				for _, n := range []int{1, 2, 3, 120, 500} {
					ts := make([]int64, n)
					vs := make([]float64, n)
					cur := rng.Int64N(1<<45) - 1<<44
					if tn == "huge" {
						cur = math.MinInt64 / 2
					}
					prev := 0.0
					for i := range ts {
						if i > 0 {
							cur += tg(i)
						}
						ts[i] = cur
						vs[i] = g(i, prev)
						prev = vs[i]
					}
					histRoundTrip(t, ts, vs)
				}
			})
		}
	}
	// every pair of specials, in both orders, after ints and floats
	var ts []int64
	var vs []float64
	for i, a := range histSpecials {
		for _, b := range histSpecials {
			ts = append(ts, int64(len(ts)*10000+i), int64(len(ts)*10000+10000+i))
			vs = append(vs, a, b)
		}
	}
	histRoundTrip(t, ts, vs)
	// timestamps at the ends of int64
	histRoundTrip(t, []int64{math.MinInt64, -1, 0, math.MaxInt64}, []float64{1, 2, 3, 4})
}

func TestHistoryAppendRange(t *testing.T) {
	var clock = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	h := NewHistory(HistoryOptions{Now: func() time.Time { return clock }})
	key := SeriesKey{Target: "app", Path: "memstats.HeapAlloc"}
	start := clock
	var want []float64
	for i := 0; i < 300; i++ {
		v := float64(i * i)
		if i%7 == 0 {
			v = histSpecials[i%len(histSpecials)]
		}
		clock = start.Add(time.Duration(i) * 10 * time.Second)
		if err := h.Append(key, clock.Add(1234567*time.Nanosecond), v); err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	ts, vs, trunc := h.Range(key, start.Add(time.Millisecond), clock.Add(time.Second))
	if trunc {
		t.Error("truncated for a range starting at the first sample")
	}
	if len(ts) != 300 || len(vs) != 300 {
		t.Fatalf("got %d samples", len(ts))
	}
	for i := range ts {
		wt := start.Add(time.Duration(i)*10*time.Second + time.Millisecond) // kept to the millisecond
		if !ts[i].Equal(wt) || math.Float64bits(vs[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%d: got %v %v want %v %v", i, ts[i], vs[i], wt, want[i])
		}
	}
	// sub-range across chunk boundaries, bounds inclusive
	ts, vs, _ = h.Range(key, start.Add(1000*time.Second+time.Millisecond), start.Add(2000*time.Second+time.Millisecond))
	if len(ts) != 101 || vs[0] != want[100] || vs[100] != want[200] {
		t.Fatalf("sub-range: %d samples", len(ts))
	}
	if ts, _, _ := h.Range(key, clock.Add(time.Hour), clock.Add(2*time.Hour)); len(ts) != 0 {
		t.Fatal("samples after the last")
	}
	if _, _, tr := h.Range(key, start.Add(-time.Hour), start); !tr {
		t.Error("a range before the first kept sample is not said truncated")
	}
	if ts, vs, tr := h.Range(SeriesKey{"app", "nope"}, start, clock); ts != nil || vs != nil || tr {
		t.Error("unknown key")
	}
	lt, lv, ok := h.Latest(key)
	if !ok || !lt.Equal(clock.Add(time.Millisecond)) || math.Float64bits(lv) != math.Float64bits(want[299]) {
		t.Errorf("Latest = %v %v %v", lt, lv, ok)
	}
	if _, _, ok := h.Latest(SeriesKey{"x", "y"}); ok {
		t.Error("Latest of an unknown key")
	}
	h.Append(SeriesKey{"a", "z"}, clock, 1)
	h.Append(SeriesKey{"a", "b"}, clock, 1)
	if k := h.Keys(); fmt.Sprint(k) != "[{a b} {a z} {app memstats.HeapAlloc}]" {
		t.Errorf("Keys = %v", k)
	}
	st := h.Stats()
	if st.Series != 3 || st.Samples != 302 || st.Appended != 302 || st.Bytes <= st.EncodedBytes || st.Chunks != 5 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestHistoryOutOfOrder(t *testing.T) {
	h := NewHistory(HistoryOptions{})
	key := SeriesKey{"app", "NumGC"}
	t0 := time.Now().Truncate(time.Millisecond) // +100µs stays in the same millisecond
	if err := h.Append(key, t0, 1); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []time.Time{t0, t0.Add(-time.Second), t0.Add(100 * time.Microsecond)} { // equal, older, same millisecond
		if err := h.Append(key, tt, 2); !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("Append at %v: err = %v", tt.Sub(t0), err)
		}
	}
	if err := h.Append(key, t0.Add(time.Millisecond), 3); err != nil {
		t.Fatal(err)
	}
	_, vs, _ := h.Range(key, t0.Add(-time.Hour), t0.Add(time.Hour))
	if fmt.Sprint(vs) != "[1 3]" {
		t.Errorf("values %v", vs)
	}
	if st := h.Stats(); st.Rejected != 3 || st.Samples != 2 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestHistoryRetention(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := start
	h := NewHistory(HistoryOptions{Now: func() time.Time { return clock }}) // 1 h, 120-sample chunks
	a, b := SeriesKey{"app", "requests"}, SeriesKey{"gone", "requests"}
	for i := 0; i < 3*360; i++ { // three hours at 10 s
		clock = start.Add(time.Duration(i) * 10 * time.Second)
		if err := h.Append(a, clock, float64(i)); err != nil {
			t.Fatal(err)
		}
		if i < 100 { // a target that stops after 1000 s, its open chunk never closes
			h.Append(b, clock, float64(i))
		}
	}
	ts, vs, trunc := h.Range(a, start, clock)
	if !trunc {
		t.Error("range from the start not said truncated")
	}
	oldest := ts[0]
	if age := clock.Sub(oldest); age < time.Hour || age > time.Hour+20*time.Minute {
		t.Errorf("oldest kept sample is %v old; want 1 h to 1 h + one chunk (20 min)", age)
	}
	if vs[len(vs)-1] != 3*360-1 {
		t.Error("newest sample lost")
	}
	st := h.Stats()
	if st.DroppedRetention == 0 || st.DroppedRetention+int64(len(ts)) != 3*360+100 || st.DroppedCap != 0 {
		t.Errorf("Stats = %+v, kept %d", st, len(ts))
	}
	if _, _, ok := h.Latest(b); ok {
		t.Error("the stopped target's series is still there")
	}
	if len(h.Keys()) != 1 {
		t.Errorf("Keys = %v", h.Keys())
	}
	// Prune alone, later: everything is older than the retention
	clock = clock.Add(3 * time.Hour)
	h.Prune()
	if st := h.Stats(); st.Series != 0 || st.Samples != 0 || st.Bytes != 0 || st.EncodedBytes != 0 || st.Chunks != 0 {
		t.Errorf("after Prune: %+v", st)
	}
}

func TestHistoryMemoryCap(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := start
	const capBytes = 64 << 10
	h := NewHistory(HistoryOptions{MaxBytes: capBytes, Retention: 100 * time.Hour, Now: func() time.Time { return clock }})
	times, series := histGenTarget(7, 2000, start, false)
	for i := range times {
		clock = times[i]
		for _, s := range series {
			if err := h.Append(SeriesKey{"app", s.path}, times[i], s.vals[i]); err != nil {
				t.Fatal(err)
			}
		}
		if st := h.Stats(); st.Bytes > capBytes {
			t.Fatalf("poll %d: %d bytes > cap %d", i, st.Bytes, capBytes)
		}
	}
	st := h.Stats()
	if st.DroppedCap == 0 || st.DroppedCapChunks == 0 || st.DroppedRetention != 0 {
		t.Fatalf("Stats = %+v", st)
	}
	if st.Samples+st.DroppedCap != int64(len(times)*len(series)) {
		t.Errorf("kept %d + dropped %d != appended %d", st.Samples, st.DroppedCap, len(times)*len(series))
	}
	// oldest dropped first: every series keeps its newest samples, and the oldest kept
	// samples of all series are within one chunk of each other.
	var minOld, maxOld time.Time
	for _, s := range series {
		key := SeriesKey{"app", s.path}
		ts, vs, trunc := h.Range(key, start, clock)
		if len(ts) == 0 || !trunc {
			t.Fatalf("%s: %d samples, truncated %v", s.path, len(ts), trunc)
		}
		if math.Float64bits(vs[len(vs)-1]) != math.Float64bits(s.vals[len(s.vals)-1]) {
			t.Fatalf("%s: newest sample lost", s.path)
		}
		if minOld.IsZero() || ts[0].Before(minOld) {
			minOld = ts[0]
		}
		if ts[0].After(maxOld) {
			maxOld = ts[0]
		}
	}
	if d := maxOld.Sub(minOld); d > 20*time.Minute+time.Second {
		t.Errorf("oldest kept samples spread over %v; the oldest chunks were not dropped first", d)
	}
	t.Logf("cap %d: %+v", capBytes, st)

	// a cap smaller than one open chunk: bytes still never exceed it
	h = NewHistory(HistoryOptions{MaxBytes: 300})
	for i := 0; i < 1000; i++ {
		h.Append(SeriesKey{"a", fmt.Sprint(i % 3)}, start.Add(time.Duration(i)*time.Second), math.Float64frombits(uint64(i)*0x9e3779b97f4a7c15))
		if st := h.Stats(); st.Bytes > 300 {
			t.Fatalf("%d bytes > 300", st.Bytes)
		}
	}
}

func TestHistoryConcurrent(t *testing.T) {
	start := time.Now().Add(-time.Hour)
	h := NewHistory(HistoryOptions{MaxBytes: 64 << 10})
	times, series := histGenTarget(3, 1500, start, false)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() { // the poller
		defer wg.Done()
		defer close(done)
		for i := range times {
			for _, s := range series {
				if err := h.Append(SeriesKey{"app", s.path}, times[i], s.vals[i]); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(r int) { // queries
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, k := range h.Keys() {
					ts, vs, _ := h.Range(k, start, time.Now())
					if len(ts) != len(vs) {
						t.Error("lengths differ")
						return
					}
					for i := 1; i < len(ts); i++ {
						if !ts[i].After(ts[i-1]) {
							t.Error("times not increasing")
							return
						}
					}
					h.Latest(k)
				}
				h.Stats()
			}
		}(r)
	}
	wg.Wait()
	if st := h.Stats(); st.Bytes > 64<<10 || st.DroppedCap == 0 || st.Appended != int64(len(times)*len(series)) {
		t.Errorf("Stats = %+v", st)
	}
}

// TestHistoryBytesPerSample: the goal of ≤ 2 bytes per stored sample on realistic series.
func TestHistoryBytesPerSample(t *testing.T) {
	perKind, h := histMeasure(t, 2, 360, false)
	overall := histReport(t, perKind)
	if overall > 2 {
		t.Errorf("scalar memstats + app counters: %.3f B/sample > 2", overall)
	}
	st := h.Stats()
	t.Logf("accounted (with bookkeeping): %.3f B/sample", float64(st.Bytes)/float64(st.Samples))
	perKind, _ = histMeasure(t, 1, 360, true)
	if overall := histReport(t, perKind); overall > 2 {
		t.Errorf("full document: %.3f B/sample > 2", overall)
	}
}

// FuzzHistoryRoundTrip builds a series from the fuzz input (intervals and values: repeats,
// small integer steps, raw bit patterns, specials) and checks encode → decode is exact.
func FuzzHistoryRoundTrip(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte("\x03\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x00\x00\xf8\x7f"))
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ts []int64
		var vs []float64
		cur := int64(0)
		if len(data) >= 8 {
			cur = int64(binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		prev := 0.0
		take := func(n int) uint64 {
			var b [8]byte
			k := copy(b[:n], data)
			data = data[k:]
			return binary.LittleEndian.Uint64(b[:])
		}
		for len(data) > 0 && len(ts) < 1000 {
			op := data[0]
			data = data[1:]
			switch op >> 5 {
			case 0:
				cur += 10000
			case 1:
				cur += 10000 + int64(op&15) - 8
			case 2:
				cur += int64(take(2)) + 1
			default:
				cur += int64(take(8)>>1) + 1
			}
			var v float64
			switch op & 7 {
			case 0, 1:
				v = prev
			case 2:
				v = prev + float64(int8(take(1)))
			case 3:
				v = math.Float64frombits(take(8))
			case 4:
				v = histSpecials[int(take(1))%len(histSpecials)]
			case 5:
				v = float64(int64(take(8)) >> 10)
			case 6:
				v = prev * 1.0001
			default:
				v = float64(int32(take(4))) / 1000
			}
			ts = append(ts, cur)
			vs = append(vs, v)
			prev = v
		}
		if len(ts) > 0 {
			histRoundTrip(t, ts, vs)
		}
	})
}

// FuzzHistoryDecode: decoding any bytes never panics or reads past the end.
func FuzzHistoryDecode(f *testing.F) {
	var e histEnc
	for i := 0; i < 50; i++ {
		e.append(int64(i*10000+i%3), float64(i*i)+0.5*float64(i%2))
	}
	f.Add(e.w.b, uint16(50))
	f.Add([]byte{0xff, 0xff, 0xff}, uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		var d histDec
		d.reset(data, len(data)*8, 0)
		for i := 0; i < int(n%512); i++ {
			if _, _, ok := d.next(); !ok {
				break
			}
			if d.r.pos > d.r.end {
				t.Fatal("read past the end")
			}
		}
	})
}
