package prometheus

import (
	"strings"
	"sync"
	"time"
)

// Where decoded samples and label strings live: chunks shared by many series, pooled
// across decodes, and a string arena per decode.

// sampleChunks are the sample chunks one Decode filled, reused through pools across
// decodes: a query's samples then cost no allocation once the pools are warm.
type sampleChunks struct {
	times  [][]time.Time
	values [][]float64
}

var (
	timeChunks  sync.Pool // *[]time.Time
	valueChunks sync.Pool // *[]float64
)

func (c sampleChunks) release() {
	putChunks(&timeChunks, c.times)
	putChunks(&valueChunks, c.values)
}

func putChunks[T any](pool *sync.Pool, chunks [][]T) {
	for _, c := range chunks {
		c = c[:0]
		pool.Put(&c)
	}
}

// getChunk returns a pooled chunk with room for size points, or a new one.
func getChunk[T any](pool *sync.Pool, size int) []T {
	if c, ok := pool.Get().(*[]T); ok && cap(*c) >= size {
		return (*c)[:0]
	}
	return make([]T, 0, size)
}

const (
	// Chunks of samples grow from minChunk to maxChunk points.
	minChunk = 256
	maxChunk = 1 << 16
	// String arena chunks grow from minArena to maxArena bytes.
	minArena = 1 << 10
	maxArena = 64 << 10
)

// samples holds one kind of sample value (times, values) of many series in shared
// chunks; the series being decoded is at the end of the current chunk, from start.
type samples[T any] struct {
	buf   []T
	start int
}

// grow moves the series being decoded to a new chunk of about size points: a new one
// when pool is nil (the chunks are handed to frames, which keep them), else a pooled one,
// added to taken.
func (s *samples[T]) grow(size int, pool *sync.Pool, taken *[][]T) {
	n := len(s.buf) - s.start
	size = max(min(max(size, minChunk), maxChunk), 2*n)
	var buf []T
	if pool == nil {
		buf = make([]T, n, size)
	} else {
		buf = getChunk[T](pool, size)[:n]
		*taken = append(*taken, buf)
	}
	copy(buf, s.buf[s.start:])
	s.buf, s.start = buf, 0
}

// done returns the series being decoded (nil if empty), capped so that appending to it
// cannot touch the next series.
func (s *samples[T]) done() []T {
	b, e := s.start, len(s.buf)
	if b == e {
		return nil
	}
	s.start = e
	return s.buf[b:e:e]
}

// drop forgets the samples of the series being decoded.
func (s *samples[T]) drop() { s.buf = s.buf[:s.start] }

// points holds the float samples of many series. A range query's series mostly have the
// same times (the steps of the range): a series whose times are those of the last series
// that had times of its own (the grid), or the first of them, shares the grid's slice
// rather than keeping a copy, and its times are compared, not written.
type points struct {
	t      samples[time.Time]
	v      samples[float64]
	chunks sampleChunks
	// handed: the series' slices are handed to a sink, which keeps them (as frame field
	// vectors): the chunks are new and never go back to the pools.
	handed bool

	grid   []time.Time
	gridMs []int64 // the grid's times in milliseconds
	// shared is how many times of the series being decoded are the grid's, -1 once one is
	// not: its times are then in t, and in ms as milliseconds.
	shared int
	ms     []int64
	// own counts the series with times of their own, sharing those that shared the grid:
	// time chunks grow by the series being decoded until two series in a row had their own
	// times and none shared, then by the samples still to come.
	own     int
	sharing bool
}

// addPoint adds a float sample to the series being decoded.
func (d *decoder) addPoint(ms int64, v float64) {
	p := &d.pts
	if len(p.v.buf) == cap(p.v.buf) {
		p.v.grow(d.estimate(), p.pool(&valueChunks), &p.chunks.values)
	}
	p.v.buf = append(p.v.buf, v)
	if p.shared >= 0 {
		if p.shared < len(p.gridMs) && p.gridMs[p.shared] == ms {
			p.shared++
			return
		}
		// the first time that is not the grid's: the series keeps its own
		p.ms = append(p.ms[:0], p.gridMs[:p.shared]...)
		for _, t := range p.grid[:p.shared] {
			d.addTime(t)
		}
		p.shared = -1
	}
	p.ms = append(p.ms, ms)
	d.addTime(msTime(ms))
}

func (d *decoder) addTime(t time.Time) {
	p := &d.pts
	if len(p.t.buf) == cap(p.t.buf) {
		size := 2 * len(p.ms)
		if !p.sharing && p.own >= 2 {
			size = d.estimate()
		}
		p.t.grow(size, p.pool(&timeChunks), &p.chunks.times)
	}
	p.t.buf = append(p.t.buf, t)
}

// pool is where chunks come from: nil when they are handed to a sink.
func (p *points) pool(pool *sync.Pool) *sync.Pool {
	if p.handed {
		return nil
	}
	return pool
}

// done returns the series being decoded (nil if empty).
func (p *points) done() ([]time.Time, []float64) {
	values := p.v.done()
	shared := p.shared
	p.shared = 0
	switch {
	case values == nil:
		return nil, nil
	case shared >= 0:
		p.sharing = true
		return p.grid[:shared:shared], values
	}
	times := p.t.done()
	p.own++
	p.grid = times
	p.gridMs, p.ms = p.ms, p.gridMs[:0]
	return times, values
}

// drop forgets the samples of the series being decoded and the grid (whose times may be
// among them).
func (p *points) drop() {
	p.t.drop()
	p.v.drop()
	p.grid, p.gridMs, p.ms, p.shared, p.own, p.sharing = nil, p.gridMs[:0], p.ms[:0], 0, 0, false
}

// estimate guesses how many samples are still to come, from the bytes per sample so far.
func (d *decoder) estimate() int {
	if d.firstSample == 0 { // the first chunk
		d.firstSample = d.I
	}
	n := minChunk
	if used := d.I - d.firstSample; d.samples >= minChunk && used > 0 {
		n = int(int64(len(d.B)-d.I)*int64(d.samples)/int64(used)) + 1
		n += n/32 + 16 // a little more rather than a last small chunk
	}
	if d.lim.MaxSamples > 0 {
		n = min(n, d.lim.MaxSamples-d.samples+1)
	}
	return n
}

// chunk is samples of one kind of value (histogram samples and buckets), in chunks that
// grow with what was decoded so far and are never pooled.
type chunk[T any] struct {
	samples[T]
	total int
}

func (c *chunk[T]) add(x T) {
	if len(c.buf) == cap(c.buf) {
		n := len(c.buf) - c.start
		size := max(min(max(c.total, 16), maxChunk), 2*n)
		buf := make([]T, n, size)
		copy(buf, c.buf[c.start:])
		c.total += size
		c.buf, c.start = buf, 0
	}
	c.buf = append(c.buf, x)
}

// arena makes strings out of chunks of a strings.Builder: one allocation for many label
// names and values. It lives for one Decode call.
type arena struct {
	sb    *strings.Builder
	total int
}

func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a.sb == nil || a.sb.Cap()-a.sb.Len() < len(b) {
		size := min(max(a.total, minArena), maxArena)
		if len(b) > size/4 {
			return string(b)
		}
		a.sb = new(strings.Builder)
		a.sb.Grow(size)
		a.total += size
	}
	n := a.sb.Len()
	a.sb.Write(b)
	return a.sb.String()[n:]
}
