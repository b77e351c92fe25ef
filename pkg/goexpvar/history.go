package goexpvar

// History: the in-memory, compressed history of polled expvar values, one series per
// (target, path).
//
// Encoding (one chunk = up to HistoryOptions.ChunkSamples samples, default 120):
//
//   - Timestamps are kept in milliseconds (time.Time is truncated to the millisecond on
//     Append). The first one is the chunk's minT (outside the bit stream); later ones
//     write the interval minus the predicted interval (histPredDelta: the last interval,
//     rounded to 10 ms when >= 1 s; that is delta-of-delta with the jitter rounded off),
//     in the sign + Elias-gamma code of histWriteGamma (a regular poll costs 1 bit, a few
//     ms of jitter 3-7 bits).
//   - Values: the first one is '0' + its integer in histWriteCode's code when it is
//     integer-valued, else '1' + its 64 raw bits. After that:
//     when the previous value and this one are both integer-valued (|v| <= 2^53, not -0),
//     the residual of the integer delta-of-delta, or of the delta, whichever predicted the
//     last sample better (histPredValue), is written zigzagged in the adaptive code of
//     histWriteCode (a constant or a counter growing at a steady rate costs 1 bit);
//     otherwise the Gorilla XOR code ('0' same bits; '10' inside the previous
//     leading/trailing-zero window; '11' + 5 bits leading zeros + 6 bits length + the
//     meaningful bits). An integer followed by a non-integer writes the escape of
//     histWriteCode's code and then the XOR code.
//     Values round-trip bit-exactly (NaN payloads, ±Inf, -0 included).
//
// A series is a list of closed, immutable chunks plus one open chunk. Retention and the
// memory cap drop whole closed chunks, the oldest (by last timestamp) across all series
// first.
//
// Ordering: a sample whose millisecond timestamp is not after the series' last one
// (older or equal) is rejected with an error wrapping ErrOutOfOrder and counted in
// HistoryStats.Rejected; the stored series is unchanged.

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync"
	"time"
)

// Defaults of HistoryOptions.
const (
	DefaultHistoryRetention    = time.Hour
	DefaultHistoryMaxBytes     = 64 << 20
	DefaultHistoryChunkSamples = 120
)

// Bookkeeping bytes counted per series (map entry, struct, slices) and per chunk, on top
// of the key strings and the encoded bytes, so that the cap bounds the real memory.
const (
	histSeriesOverhead = 160
	histChunkOverhead  = 96
)

// ErrOutOfOrder is wrapped by Append's error for a sample that is not after the series'
// last sample (timestamps compared in milliseconds).
var ErrOutOfOrder = errors.New("expvar history: sample not after the series' last sample")

// SeriesKey names one series: a target and a flattened expvar path.
type SeriesKey struct {
	Target string
	Path   string
}

// HistoryOptions configures a History. Zero values take the defaults.
type HistoryOptions struct {
	Retention    time.Duration    // samples older than now-Retention are dropped (whole chunks); default 1 h
	MaxBytes     int64            // memory cap in bytes; default 64 MiB
	ChunkSamples int              // samples per chunk (the granularity of drops); default 120
	Now          func() time.Time // clock for retention; default time.Now
}

// HistoryStats reports the size of a History and what it dropped.
type HistoryStats struct {
	Series           int
	Samples          int64 // samples kept
	Chunks           int   // closed and open chunks holding samples
	Bytes            int64 // accounted bytes (encoded data + bookkeeping), held <= MaxBytes
	EncodedBytes     int64 // bytes of encoded chunk data alone
	MaxBytes         int64
	DroppedCap       int64 // samples dropped to keep Bytes <= MaxBytes
	DroppedRetention int64 // samples dropped because they were older than the retention
	DroppedCapChunks int64
	DroppedRetChunks int64
	Rejected         int64 // out-of-order or duplicate samples refused by Append
	Appended         int64 // samples accepted by Append
}

// History keeps compressed series of polled values. It is safe for concurrent use: one
// poller appends while queries read.
type History struct {
	mu       sync.RWMutex
	opts     HistoryOptions
	series   map[SeriesKey]*histSeries
	closed   histHeap // closed chunks of all series, oldest last timestamp first
	bytes    int64
	encoded  int64
	samples  int64
	chunks   int
	lastScan int64 // ms of the last scan for stale open chunks
	stats    HistoryStats
}

type histSeries struct {
	key    SeriesKey
	closed []*histChunk
	open   histEnc
	lastT  int64
	lastV  float64
	has    bool
}

// histChunk is a closed, immutable chunk.
type histChunk struct {
	s     *histSeries
	data  []byte
	nbits int
	n     int
	minT  int64
	maxT  int64
}

// NewHistory returns an empty History.
func NewHistory(opts HistoryOptions) *History {
	if opts.Retention <= 0 {
		opts.Retention = DefaultHistoryRetention
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultHistoryMaxBytes
	}
	if opts.ChunkSamples <= 1 {
		opts.ChunkSamples = DefaultHistoryChunkSamples
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &History{opts: opts, series: make(map[SeriesKey]*histSeries)}
}

// Append adds a sample to the series key. t is kept to the millisecond. A sample not
// after the series' last one is refused with an error wrapping ErrOutOfOrder.
// Afterwards closed chunks older than the retention are dropped, then the oldest closed
// chunks of all series until Bytes <= MaxBytes; when no closed chunk is left and the cap
// is still exceeded (a cap smaller than the open chunks), the open chunk of this series
// is dropped. Drops are counted in Stats.
func (h *History) Append(key SeriesKey, t time.Time, v float64) error {
	ms := t.UnixMilli()
	now := h.opts.Now().UnixMilli()
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[key]
	if s == nil {
		s = &histSeries{key: key}
		h.series[key] = s
		h.bytes += histSeriesOverhead + int64(len(key.Target)+len(key.Path))
	} else if s.has && ms <= s.lastT {
		h.stats.Rejected++
		return fmt.Errorf("%w: %s %q at %s, last at %s", ErrOutOfOrder, key.Target, key.Path,
			time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), time.UnixMilli(s.lastT).UTC().Format(time.RFC3339Nano))
	}
	e := &s.open
	if e.n == 0 {
		h.chunks++
		h.bytes += histChunkOverhead
	}
	before := int64(cap(e.w.b))
	e.append(ms, v)
	after := int64(cap(e.w.b))
	h.bytes += after - before
	h.encoded += after - before
	h.samples++
	h.stats.Appended++
	s.lastT, s.lastV, s.has = ms, v, true
	if e.n >= h.opts.ChunkSamples {
		h.closeOpen(s)
	}
	h.pruneLocked(now, false)
	h.enforceCapLocked(s)
	return nil
}

// closeOpen turns the open chunk of s into a closed chunk (copied to an exact-size
// buffer) and resets the open chunk, reusing its buffer.
func (h *History) closeOpen(s *histSeries) {
	e := &s.open
	c := &histChunk{s: s, data: append([]byte(nil), e.w.b...), nbits: e.w.nbits(), n: e.n, minT: e.minT, maxT: e.t}
	delta := int64(len(c.data)) - int64(cap(e.w.b))
	h.bytes += delta
	h.encoded += delta
	b := e.w.b[:0]
	*e = histEnc{}
	e.w.b = b
	h.bytes += int64(cap(b))
	h.encoded += int64(cap(b))
	s.closed = append(s.closed, c)
	heap.Push(&h.closed, c) // the open chunk's count and overhead move to c
}

// dropOldestClosed drops the closed chunk with the oldest last timestamp.
func (h *History) dropOldestClosed() *histChunk {
	c := heap.Pop(&h.closed).(*histChunk)
	s := c.s
	if len(s.closed) == 0 || s.closed[0] != c {
		panic("expvar history: closed chunk heap out of step with its series")
	}
	copy(s.closed, s.closed[1:])
	s.closed[len(s.closed)-1] = nil
	s.closed = s.closed[:len(s.closed)-1]
	h.bytes -= histChunkOverhead + int64(len(c.data))
	h.encoded -= int64(len(c.data))
	h.samples -= int64(c.n)
	h.chunks--
	h.removeIfEmpty(s)
	return c
}

// dropOpen drops the samples of the open chunk of s.
func (h *History) dropOpen(s *histSeries) int {
	e := &s.open
	n := e.n
	if n == 0 {
		return 0
	}
	h.bytes -= histChunkOverhead + int64(cap(e.w.b))
	h.encoded -= int64(cap(e.w.b))
	h.samples -= int64(n)
	h.chunks--
	*e = histEnc{}
	h.removeIfEmpty(s)
	return n
}

func (h *History) removeIfEmpty(s *histSeries) {
	if len(s.closed) == 0 && s.open.n == 0 {
		if h.series[s.key] == s {
			delete(h.series, s.key)
			h.bytes -= histSeriesOverhead + int64(len(s.key.Target)+len(s.key.Path)) + int64(cap(s.open.w.b))
			h.encoded -= int64(cap(s.open.w.b))
			s.open.w.b = nil
		}
	}
}

// pruneLocked drops closed chunks older than the retention and, at most once a minute,
// open chunks of series that stopped being appended.
func (h *History) pruneLocked(nowMs int64, scan bool) {
	cutoff := nowMs - h.opts.Retention.Milliseconds()
	for len(h.closed) > 0 && h.closed[0].maxT < cutoff {
		c := h.dropOldestClosed()
		h.stats.DroppedRetention += int64(c.n)
		h.stats.DroppedRetChunks++
	}
	if !scan && nowMs-h.lastScan < 60_000 && nowMs >= h.lastScan {
		return
	}
	h.lastScan = nowMs
	for _, s := range h.series {
		if s.open.n > 0 && s.open.t < cutoff && len(s.closed) == 0 {
			n := h.dropOpen(s)
			h.stats.DroppedRetention += int64(n)
			h.stats.DroppedRetChunks++
		}
	}
}

// enforceCapLocked drops the oldest closed chunks until the accounted bytes fit the cap.
// When no closed chunk is left, the open chunk of the series just appended to is dropped.
func (h *History) enforceCapLocked(cur *histSeries) {
	for h.bytes > h.opts.MaxBytes && len(h.closed) > 0 {
		c := h.dropOldestClosed()
		h.stats.DroppedCap += int64(c.n)
		h.stats.DroppedCapChunks++
	}
	if h.bytes > h.opts.MaxBytes {
		n := h.dropOpen(cur)
		h.stats.DroppedCap += int64(n)
		if n > 0 {
			h.stats.DroppedCapChunks++
		}
		if h.series[cur.key] == cur { // nothing left to drop but the empty series itself
			h.removeIfEmpty(cur)
		}
	}
}

// Prune drops what is older than the retention now (Append also does it as it goes).
func (h *History) Prune() {
	now := h.opts.Now().UnixMilli()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pruneLocked(now, true)
}

// Range returns the samples of key with from <= t <= to, oldest first. truncated is true
// when the series exists and from is before its oldest kept sample.
func (h *History) Range(key SeriesKey, from, to time.Time) (times []time.Time, values []float64, truncated bool) {
	f, t := from.UnixMilli(), to.UnixMilli()
	var chunks []*histChunk
	var open histChunk
	h.mu.RLock()
	s := h.series[key]
	if s == nil {
		h.mu.RUnlock()
		return nil, nil, false
	}
	oldest := s.open.minT
	if len(s.closed) > 0 {
		oldest = s.closed[0].minT
	}
	truncated = f < oldest
	n := 0
	for _, c := range s.closed {
		if c.maxT >= f && c.minT <= t {
			chunks = append(chunks, c)
			n += c.n
		}
	}
	if s.open.n > 0 && s.open.t >= f && s.open.minT <= t {
		open = histChunk{data: append([]byte(nil), s.open.w.b...), nbits: s.open.w.nbits(), n: s.open.n, minT: s.open.minT}
		n += open.n
	}
	h.mu.RUnlock()
	if n == 0 {
		return nil, nil, truncated
	}
	if open.n > 0 {
		chunks = append(chunks, &open)
	}
	times = make([]time.Time, 0, n)
	values = make([]float64, 0, n)
	for _, c := range chunks {
		var d histDec
		d.reset(c.data, c.nbits, c.minT)
		for i := 0; i < c.n; i++ {
			ms, v, ok := d.next()
			if !ok {
				panic("expvar history: corrupt chunk") // cannot happen: chunks are only written by histEnc
			}
			if ms < f {
				continue
			}
			if ms > t {
				break
			}
			times = append(times, time.UnixMilli(ms))
			values = append(values, v)
		}
	}
	return times, values, truncated
}

// Latest returns the last sample appended to key.
func (h *History) Latest(key SeriesKey) (t time.Time, v float64, ok bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.series[key]
	if s == nil || !s.has {
		return time.Time{}, 0, false
	}
	return time.UnixMilli(s.lastT), s.lastV, true
}

// Keys returns the keys of the series that hold samples, sorted by target then path.
func (h *History) Keys() []SeriesKey {
	h.mu.RLock()
	keys := make([]SeriesKey, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	h.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Target != keys[j].Target {
			return keys[i].Target < keys[j].Target
		}
		return keys[i].Path < keys[j].Path
	})
	return keys
}

// Stats reports sizes and drop counters.
func (h *History) Stats() HistoryStats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	st := h.stats
	st.Series = len(h.series)
	st.Samples = h.samples
	st.Chunks = h.chunks
	st.Bytes = h.bytes
	st.EncodedBytes = h.encoded
	st.MaxBytes = h.opts.MaxBytes
	return st
}

// histHeap orders closed chunks by last timestamp.
type histHeap []*histChunk

func (q histHeap) Len() int           { return len(q) }
func (q histHeap) Less(i, j int) bool { return q[i].maxT < q[j].maxT }
func (q histHeap) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *histHeap) Push(x any)        { *q = append(*q, x.(*histChunk)) }
func (q *histHeap) Pop() any {
	old := *q
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return c
}

// ---- bit stream ----

type histBitW struct {
	b    []byte
	free uint8 // unused low bits of the last byte
}

func (w *histBitW) nbits() int { return len(w.b)*8 - int(w.free) }

func (w *histBitW) write(v uint64, n int) {
	for n > 0 {
		if w.free == 0 {
			w.b = append(w.b, 0)
			w.free = 8
		}
		k := n
		if k > int(w.free) {
			k = int(w.free)
		}
		part := byte(v>>uint(n-k)) & byte(1<<uint(k)-1)
		w.b[len(w.b)-1] |= part << (w.free - uint8(k))
		w.free -= uint8(k)
		n -= k
	}
}

type histBitR struct {
	b   []byte
	pos int
	end int
}

func (r *histBitR) read(n int) (uint64, bool) {
	if n > r.end-r.pos {
		return 0, false
	}
	if i := r.pos >> 3; n <= 56 && i+8 <= len(r.b) {
		// fast path: one 64-bit load holds the n bits (offset in the byte <= 7)
		w := binary.BigEndian.Uint64(r.b[i:])
		r.pos += n
		if n == 0 {
			return 0, true
		}
		return (w << uint(r.pos-n-i*8)) >> uint(64-n), true
	}
	var v uint64
	for n > 0 {
		off := r.pos & 7
		avail := 8 - off
		k := n
		if k > avail {
			k = avail
		}
		part := uint64(r.b[r.pos>>3]>>uint(avail-k)) & (1<<uint(k) - 1)
		v = v<<uint(k) | part
		r.pos += k
		n -= k
	}
	return v, true
}

func (r *histBitR) bit() (bool, bool) {
	if r.pos >= r.end {
		return false, false
	}
	b := r.b[r.pos>>3]>>(7-uint(r.pos&7))&1 == 1
	r.pos++
	return b, true
}

// ---- adaptive code for zigzagged deltas of deltas ----
//
// u = zigzag(x) has L significant bits (0..64). L is coded against the previous L of the
// same stream (the noise of a series keeps its magnitude): '0' same L; '10'+sign L±1;
// '110'+sign+1 bit L±2 or L±3; '111'+7 bits L, where 127 is the escape (values only: an
// XOR-coded non-integer follows). Then the low L-1 bits of u (its top bit is implied).
// A constant, a counter at a steady rate or a poll without jitter costs 1 bit.

func histZig(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func histUnzig(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

const histEscapeL = 127

func histWriteL(w *histBitW, l int, prev *uint8) {
	d := l - int(*prev)
	switch {
	case d == 0:
		w.write(0, 1)
	case d == 1:
		w.write(0b100, 3)
	case d == -1:
		w.write(0b101, 3)
	case d >= 2 && d <= 3:
		w.write(0b11000|uint64(d-2), 5)
	case d >= -3 && d <= -2:
		w.write(0b11010|uint64(-d-2), 5)
	default:
		w.write(0b111, 3)
		w.write(uint64(l), 7)
	}
	if l != histEscapeL {
		*prev = uint8(l)
	}
}

func histWriteCode(w *histBitW, x int64, prev *uint8) {
	u := histZig(x)
	l := 64 - bits.LeadingZeros64(u)
	histWriteL(w, l, prev)
	if l > 1 {
		w.write(u, l-1)
	}
}

func histWriteEscape(w *histBitW, prev *uint8) { histWriteL(w, histEscapeL, prev) }

// histReadCode returns the value, whether it was the escape, and ok.
func histReadCode(r *histBitR, prev *uint8) (int64, bool, bool) {
	l := int(*prev)
	b, ok := r.bit()
	if !ok {
		return 0, false, false
	}
	if b {
		b1, ok1 := r.bit()
		b2, ok2 := r.bit()
		if !ok1 || !ok2 {
			return 0, false, false
		}
		switch {
		case !b1:
			if b2 {
				l--
			} else {
				l++
			}
		case !b2:
			v, ok := r.read(2)
			if !ok {
				return 0, false, false
			}
			if v&0b10 != 0 {
				l -= int(v&1) + 2
			} else {
				l += int(v&1) + 2
			}
		default:
			v, ok := r.read(7)
			if !ok {
				return 0, false, false
			}
			if v == histEscapeL {
				return 0, true, true
			}
			l = int(v)
		}
	}
	if l < 0 || l > 64 {
		return 0, false, false
	}
	*prev = uint8(l)
	if l == 0 {
		return 0, false, true
	}
	u := uint64(1) << uint(l-1)
	if l > 1 {
		low, ok := r.read(l - 1)
		if !ok {
			return 0, false, false
		}
		u |= low
	}
	return histUnzig(u), false, true
}

// histWriteGamma writes the timestamp residual x: '0' for 0, else '1', a sign bit and
// |x| in Elias gamma (L-1 ones, a zero unless L = 64, then the low L-1 bits of |x|, L its
// bit length): jitter of a few ms costs 3-7 bits.
func histWriteGamma(w *histBitW, x int64) {
	if x == 0 {
		w.write(0, 1)
		return
	}
	m := histAbs(x)
	sign := uint64(0)
	if x < 0 {
		sign = 1
	}
	w.write(0b10|sign, 2)
	l := bits.Len64(m)
	if l < 64 {
		w.write((1<<uint(l))-2, l) // l-1 ones then a zero
	} else {
		w.write(1<<63-1, 63)
	}
	if l > 1 {
		w.write(m, l-1)
	}
}

func histReadGamma(r *histBitR) (int64, bool) {
	nz, ok := r.bit()
	if !ok {
		return 0, false
	}
	if !nz {
		return 0, true
	}
	neg, ok := r.bit()
	if !ok {
		return 0, false
	}
	l := 1
	for l < 64 {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		if !b {
			break
		}
		l++
	}
	m := uint64(1) << uint(l-1)
	if l > 1 {
		low, ok := r.read(l - 1)
		if !ok {
			return 0, false
		}
		m |= low
	}
	if neg {
		return -int64(m), true
	}
	return int64(m), true
}

// ---- encoder / decoder of one chunk ----

func histIsInt(v float64) bool {
	return v == math.Trunc(v) && math.Abs(v) <= 1<<53 && (v != 0 || !math.Signbit(v))
}

type histEnc struct {
	w      histBitW
	n      int
	minT   int64
	t      int64 // last timestamp
	tDelta int64
	vb     uint64 // last value's bits
	vInt   bool
	vDelta int64 // last integer delta
	vDOD   int64 // last integer delta of delta
	vL     uint8 // bit length of the last integer value code
	lead   uint8
	trail  uint8
	win    bool // lead/trail hold a window
}

func (e *histEnc) append(t int64, v float64) {
	vb := math.Float64bits(v)
	isInt := histIsInt(v)
	switch e.n {
	case 0:
		// t0 is kept in the chunk (minT), not in the stream.
		if isInt {
			var l uint8
			e.w.write(0, 1)
			histWriteCode(&e.w, int64(v), &l)
		} else {
			e.w.write(1, 1)
			e.w.write(vb, 64)
		}
		e.minT = t
	default:
		d := t - e.t
		histWriteGamma(&e.w, d-histPredDelta(e.tDelta))
		e.tDelta = d
		switch {
		case e.vInt && isInt:
			vd := int64(v) - int64(math.Float64frombits(e.vb))
			histWriteCode(&e.w, vd-histPredValue(e.vDelta, e.vDOD), &e.vL)
			e.vDOD = vd - e.vDelta
			e.vDelta = vd
		case e.vInt:
			histWriteEscape(&e.w, &e.vL)
			e.writeXOR(vb)
			e.vDelta, e.vDOD = 0, 0
		default:
			e.writeXOR(vb)
			e.vDelta, e.vDOD = 0, 0
		}
	}
	e.t, e.vb, e.vInt = t, vb, isInt
	e.n++
}

func (e *histEnc) writeXOR(vb uint64) {
	x := vb ^ e.vb
	if x == 0 {
		e.w.write(0, 1)
		return
	}
	lead := uint8(bits.LeadingZeros64(x))
	trail := uint8(bits.TrailingZeros64(x))
	if lead > 31 {
		lead = 31
	}
	if e.win && lead >= e.lead && trail >= e.trail {
		e.w.write(0b10, 2)
		e.w.write(x>>e.trail, 64-int(e.lead)-int(e.trail))
		return
	}
	sig := 64 - int(lead) - int(trail)
	e.w.write(0b11, 2)
	e.w.write(uint64(lead), 5)
	e.w.write(uint64(sig&63), 6) // 64 is written as 0
	e.w.write(x>>trail, sig)
	e.lead, e.trail, e.win = lead, trail, true
}

type histDec struct {
	r      histBitR
	i      int
	t      int64
	tDelta int64
	vb     uint64
	vInt   bool
	vDelta int64 // last integer delta
	vDOD   int64 // last integer delta of delta
	vL     uint8
	lead   uint8
	trail  uint8
	win    bool
}

func (d *histDec) reset(b []byte, nbits int, t0 int64) {
	*d = histDec{r: histBitR{b: b, end: nbits}, t: t0}
}

// histPredDelta predicts the next interval from the last one: polls are regular with
// a few ms of jitter, so an interval of a second or more is rounded to 10 ms (the next
// residual is then the difference of two jitters, not of three); shorter ones are used as
// they are (plain delta-of-delta).
func histPredValue(delta, dod int64) int64 {
	// Backward-adaptive: the predictor that did better on the last sample. Delta-of-delta
	// (the next delta is the last one: counters, growing heaps) when the last delta of
	// delta was smaller than the last delta, else repeat (delta 0: gauges that wander or
	// just dropped, e.g. HeapAlloc after a GC).
	if histAbs(delta) < histAbs(dod) {
		return 0
	}
	return delta
}

func histAbs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

func histPredDelta(prev int64) int64 {
	if prev >= 1000 && prev < 1<<40 {
		return (prev + 5) / 10 * 10
	}
	return prev
}

func (d *histDec) next() (int64, float64, bool) {
	if d.i == 0 {
		raw, ok := d.r.bit()
		if !ok {
			return 0, 0, false
		}
		if raw {
			vb, ok := d.r.read(64)
			if !ok {
				return 0, 0, false
			}
			d.vb = vb
		} else {
			var l uint8
			x, esc, ok := histReadCode(&d.r, &l)
			if !ok || esc {
				return 0, 0, false
			}
			d.vb = math.Float64bits(float64(x))
		}
	} else {
		dod, ok := histReadGamma(&d.r)
		if !ok {
			return 0, 0, false
		}
		d.tDelta = histPredDelta(d.tDelta) + dod
		d.t += d.tDelta
		if d.vInt {
			dod, esc, ok := histReadCode(&d.r, &d.vL)
			if !ok {
				return 0, 0, false
			}
			if esc {
				if !d.readXOR() {
					return 0, 0, false
				}
				d.vDelta, d.vDOD = 0, 0
			} else {
				vd := histPredValue(d.vDelta, d.vDOD) + dod
				d.vDOD = vd - d.vDelta
				d.vDelta = vd
				d.vb = math.Float64bits(float64(int64(math.Float64frombits(d.vb)) + d.vDelta))
			}
		} else {
			if !d.readXOR() {
				return 0, 0, false
			}
			d.vDelta, d.vDOD = 0, 0
		}
	}
	v := math.Float64frombits(d.vb)
	d.vInt = histIsInt(v)
	d.i++
	return d.t, v, true
}

func (d *histDec) readXOR() bool {
	b, ok := d.r.bit()
	if !ok {
		return false
	}
	if !b {
		return true
	}
	b, ok = d.r.bit()
	if !ok {
		return false
	}
	if !b {
		if !d.win {
			return false
		}
		sig := 64 - int(d.lead) - int(d.trail)
		x, ok := d.r.read(sig)
		if !ok {
			return false
		}
		d.vb ^= x << d.trail
		return true
	}
	lead, ok1 := d.r.read(5)
	sig, ok2 := d.r.read(6)
	if !ok1 || !ok2 {
		return false
	}
	if sig == 0 {
		sig = 64
	}
	if int(lead)+int(sig) > 64 {
		return false
	}
	x, ok := d.r.read(int(sig))
	if !ok {
		return false
	}
	d.lead, d.trail, d.win = uint8(lead), uint8(64-int(lead)-int(sig)), true
	d.vb ^= x << d.trail
	return true
}
