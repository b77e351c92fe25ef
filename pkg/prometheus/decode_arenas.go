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
	for _, t := range c.times {
		t = t[:0]
		timeChunks.Put(&t)
	}
	for _, v := range c.values {
		v = v[:0]
		valueChunks.Put(&v)
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

// points holds the float samples of many series in shared chunks; the series being
// decoded is at the end of the current chunk, from start.
type points struct {
	t      []time.Time
	v      []float64
	start  int
	chunks sampleChunks
	// handed: the series' slices are handed to a sink, which keeps them (as frame field
	// vectors): the chunks are new and never go back to the pools.
	handed bool
}

// addPoint adds a float sample to the series being decoded.
func (d *decoder) addPoint(ms int64, v float64) {
	p := &d.pts
	if len(p.t) == cap(p.t) {
		p.grow(d.estimate())
	}
	p.t = append(p.t, msTime(ms))
	p.v = append(p.v, v)
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

// grow moves the series being decoded to a new chunk of about size points.
func (p *points) grow(size int) {
	n := len(p.t) - p.start
	size = max(min(max(size, minChunk), maxChunk), 2*n)
	var t []time.Time
	var v []float64
	if p.handed {
		t, v = make([]time.Time, n, size), make([]float64, n, size)
	} else {
		t = getChunk[time.Time](&timeChunks, size)[:n]
		v = getChunk[float64](&valueChunks, size)[:n]
		p.chunks.times = append(p.chunks.times, t)
		p.chunks.values = append(p.chunks.values, v)
	}
	copy(t, p.t[p.start:])
	copy(v, p.v[p.start:])
	p.t, p.v, p.start = t, v, 0
}

// done returns the series being decoded (nil if empty), capped so that appending to it
// cannot touch the next series.
func (p *points) done() ([]time.Time, []float64) {
	s, e := p.start, len(p.t)
	if s == e {
		return nil, nil
	}
	p.start = e
	return p.t[s:e:e], p.v[s:e:e]
}

// chunk is points for one kind of value (histogram samples and buckets).
type chunk[T any] struct {
	buf   []T
	start int
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

func (c *chunk[T]) done() []T {
	s, e := c.start, len(c.buf)
	if s == e {
		return nil
	}
	c.start = e
	return c.buf[s:e:e]
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
