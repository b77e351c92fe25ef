package prometheus

import (
	"fmt"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/query"
)

// MaxPointsPerSeries is the most points one series of a range query may have, as in
// Grafana's Prometheus data source: a wider range gets a larger step.
const MaxPointsPerSeries = 11000

// defaultMaxDataPoints is the resolution used when the request gives neither an interval
// nor a number of data points (an API caller, not a panel).
const defaultMaxDataPoints = 1000

// StepRange returns the range query for a time range: the step is the largest of the
// request's interval, the range divided by maxDataPoints, minStep, and what keeps every
// series within MaxPointsPerSeries; start and end are aligned down to a multiple of the
// step so that panels refreshed later show the same points.
func StepRange(from, to time.Time, interval time.Duration, maxDataPoints int64, minStep time.Duration) (v1.Range, error) {
	if err := query.CheckRange(from, to); err != nil {
		return v1.Range{}, err
	}
	span := to.Sub(from)
	// Alignment can add one point at the start, and both ends count: divide by cap-2.
	step := max(requestedStep(span, interval, maxDataPoints, minStep), wholeMillis(ceilDiv(span, MaxPointsPerSeries-2)))
	return v1.Range{Start: alignDown(from, step), End: alignDown(to, step), Step: step}, nil
}

// StepNotice says, for a range made by StepRange, when its step is larger than the
// request asked for because of the MaxPointsPerSeries cap; "" when it is not.
func StepNotice(r v1.Range, from, to time.Time, interval time.Duration, maxDataPoints int64, minStep time.Duration) string {
	asked := requestedStep(to.Sub(from), interval, maxDataPoints, minStep)
	if r.Step <= asked {
		return ""
	}
	return fmt.Sprintf("The step was raised from %s to %s so that no series has more than %d points.", asked, r.Step, MaxPointsPerSeries)
}

// requestedStep is the step the request asks for: the largest of its interval, the range
// divided by maxDataPoints, and minStep, in whole milliseconds.
func requestedStep(span, interval time.Duration, maxDataPoints int64, minStep time.Duration) time.Duration {
	if interval <= 0 && maxDataPoints <= 0 {
		maxDataPoints = defaultMaxDataPoints
	}
	step := interval
	if maxDataPoints > 0 {
		step = max(step, span/time.Duration(maxDataPoints))
	}
	return wholeMillis(max(step, minStep, 1))
}

// wholeMillis rounds d up to whole milliseconds.
func wholeMillis(d time.Duration) time.Duration {
	return ceilDiv(d, int64(time.Millisecond)) * time.Millisecond
}

func ceilDiv(d time.Duration, n int64) time.Duration {
	return time.Duration((int64(d) + n - 1) / n)
}

func alignDown(t time.Time, step time.Duration) time.Time {
	ns := t.UnixNano()
	return time.Unix(0, ns-mod(ns, int64(step))).UTC()
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
