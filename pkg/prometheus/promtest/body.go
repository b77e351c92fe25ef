// Package promtest generates Prometheus API answers for GoPulse's benchmarks and tests, and
// checks the errors its clients give.
package promtest

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// MatrixBody generates a query_range answer of series × points, shaped like the demo's
// request-rate series (5 labels, realistic float text), all series at the same times, as
// the steps of a range query are.
func MatrixBody(series, points int, start time.Time, step time.Duration) []byte {
	return matrixBody(series, points, start, step, 0)
}

// StaggeredMatrixBody is MatrixBody with the times of series s offset by s·stagger: no two
// series have the same times.
func StaggeredMatrixBody(series, points int, start time.Time, step, stagger time.Duration) []byte {
	return matrixBody(series, points, start, step, stagger)
}

func matrixBody(series, points int, start time.Time, step, stagger time.Duration) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := range series {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"__name__":"http_requests_total","job":"demo","instance":"10.0.%d.%d:8080","path":"/api/items","code":"200"},"values":[`, s/250, s%250)
		for p := range points {
			if p > 0 {
				b.WriteByte(',')
			}
			ts := start.Add(time.Duration(p)*step + time.Duration(s)*stagger)
			b.WriteString(`[`)
			b.WriteString(strconv.FormatFloat(float64(ts.UnixMilli())/1000, 'f', -1, 64))
			b.WriteString(`,"`)
			b.WriteString(strconv.FormatFloat(float64(s*7+p)*1.37+0.123456, 'f', -1, 64))
			b.WriteString(`"]`)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}
