package goexpvar

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// chunkCodec is one way of encoding a series in chunks of DefaultHistoryChunkSamples
// samples, for BenchmarkHistoryVsChunkenc.
type chunkCodec struct {
	name string
	// encode encodes one series and returns its chunks and their bytes.
	encode func(ts []int64, vs []float64) (chunks []any, bytes int)
	// decode reads every sample of the chunks and returns how many it read.
	decode func(chunks []any, sum *float64) int
}

// histChunkMeta is what a chunk of History keeps besides its bit stream to decode it:
// minT (8 bytes) and the bit count (2 bytes). chunkenc chunks hold both in their bytes.
const histChunkMeta = 10

type encodedHistChunk struct {
	b     []byte
	nbits int
	minT  int64
}

var chunkCodecs = []chunkCodec{
	{
		name: "gopulse",
		encode: func(ts []int64, vs []float64) ([]any, int) {
			var out []any
			bytes := 0
			var enc histEnc
			flush := func() {
				out = append(out, encodedHistChunk{b: enc.w.b, nbits: enc.w.nbits(), minT: enc.minT})
				bytes += len(enc.w.b) + histChunkMeta
				enc = histEnc{}
			}
			for i := range ts {
				enc.append(ts[i], vs[i])
				if enc.n == DefaultHistoryChunkSamples {
					flush()
				}
			}
			if enc.n > 0 {
				flush()
			}
			return out, bytes
		},
		decode: func(chunks []any, sum *float64) int {
			n := 0
			var d histDec
			for _, c := range chunks {
				c := c.(encodedHistChunk)
				d.reset(c.b, c.nbits, c.minT)
				for {
					_, v, ok := d.next()
					if !ok {
						break
					}
					*sum += v
					n++
				}
			}
			return n
		},
	},
	promCodec("chunkenc-xor", func() chunkenc.Chunk { return chunkenc.NewXORChunk() }),
	promCodec("chunkenc-xor2", func() chunkenc.Chunk { return chunkenc.NewXOR2Chunk() }),
}

func promCodec(name string, newChunk func() chunkenc.Chunk) chunkCodec {
	return chunkCodec{
		name: name,
		encode: func(ts []int64, vs []float64) ([]any, int) {
			var out []any
			bytes := 0
			var c chunkenc.Chunk
			var app chunkenc.Appender
			for i := range ts {
				if c == nil || c.NumSamples() == DefaultHistoryChunkSamples {
					c = newChunk()
					var err error
					if app, err = c.Appender(); err != nil {
						panic(err)
					}
					out = append(out, c)
				}
				app.Append(0, ts[i], vs[i])
			}
			for _, c := range out {
				bytes += len(c.(chunkenc.Chunk).Bytes())
			}
			return out, bytes
		},
		decode: func(chunks []any, sum *float64) int {
			n := 0
			var it chunkenc.Iterator
			for _, c := range chunks {
				it = c.(chunkenc.Chunk).Iterator(it)
				for it.Next() == chunkenc.ValFloat {
					_, v := it.At()
					*sum += v
					n++
				}
			}
			return n
		},
	}
}

// BenchmarkHistoryVsChunkenc compares History's chunk encoding with the XOR chunks of
// Prometheus's TSDB (tsdb/chunkenc: XOR, and XOR2 with its byte-packed timestamps) on the
// same series: one hour of 10 s polls (with a few ms of jitter) of 4 targets' /debug/vars,
// scalars only and with the memstats arrays, in chunks of 120 samples. It reports bytes
// per sample (History's chunks counted with the minT and bit count they keep beside the
// stream), ns per appended sample and ns per read sample.
func BenchmarkHistoryVsChunkenc(b *testing.B) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	for _, withArrays := range []bool{false, true} {
		set := "scalars"
		if withArrays {
			set = "with-arrays"
		}
		var all [][2]any // per series: []int64 times, []float64 values
		samples := 0
		for tg := range 4 {
			times, series := histGenTarget(uint64(tg+1), 360, start, withArrays)
			ts := make([]int64, len(times))
			for i, t := range times {
				ts[i] = t.UnixMilli()
			}
			for _, s := range series {
				all = append(all, [2]any{ts, s.vals})
				samples += len(s.vals)
			}
		}
		for _, codec := range chunkCodecs {
			b.Run(fmt.Sprintf("%s/%s", set, codec.name), func(b *testing.B) {
				encoded := make([][]any, len(all))
				bytes := 0
				var encodeTime, decodeTime time.Duration
				var sum float64
				for b.Loop() {
					bytes = 0
					t0 := time.Now()
					for i, s := range all {
						var n int
						encoded[i], n = codec.encode(s[0].([]int64), s[1].([]float64))
						bytes += n
					}
					t1 := time.Now()
					read := 0
					for _, chunks := range encoded {
						read += codec.decode(chunks, &sum)
					}
					decodeTime += time.Since(t1)
					encodeTime += t1.Sub(t0)
					if read != samples {
						b.Fatalf("read %d samples of %d", read, samples)
					}
				}
				n := float64(b.N) * float64(samples)
				b.ReportMetric(float64(bytes)/float64(samples), "B/sample")
				b.ReportMetric(float64(encodeTime.Nanoseconds())/n, "ns/append")
				b.ReportMetric(float64(decodeTime.Nanoseconds())/n, "ns/read")
			})
		}
	}
}
