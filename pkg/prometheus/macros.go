package prometheus

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// DefaultScrapeInterval is the scrape interval assumed for $__rate_interval when the data
// source does not set one (Prometheus's own default is 1m; 15s is the common setting).
const DefaultScrapeInterval = 15 * time.Second

// Macros are the values of Grafana's interval and range variables for one query. They are
// expanded in the backend so that dashboards and Grafana alert rules (which have no
// frontend) run the same expression.
type Macros struct {
	// Interval is the query step.
	Interval time.Duration
	// Range is the length of the query's time range.
	Range time.Duration
	// ScrapeInterval is the data source's scrape interval.
	ScrapeInterval time.Duration
}

// RateInterval is Grafana's $__rate_interval: at least four scrapes, and at least one
// step plus one scrape, so that rate() always has two samples and no sample is skipped.
func (m Macros) RateInterval() time.Duration {
	scrape := m.ScrapeInterval
	if scrape <= 0 {
		scrape = DefaultScrapeInterval
	}
	return max(m.Interval+scrape, 4*scrape)
}

// Expand replaces $__interval, $__interval_ms, $__range, $__range_s, $__range_ms and
// $__rate_interval (also written ${__name}) in expr.
func (m Macros) Expand(expr string) string {
	if !strings.Contains(expr, "__") {
		return expr
	}
	rangeS := int64(m.Range.Round(time.Second) / time.Second)
	// Longer names first, so that $__interval does not eat $__interval_ms.
	pairs := []struct{ name, value string }{
		{"__rate_interval", promDuration(m.RateInterval())},
		{"__interval_ms", strconv.FormatInt(m.Interval.Milliseconds(), 10)},
		{"__interval", promDuration(m.Interval)},
		{"__range_ms", strconv.FormatInt(m.Range.Milliseconds(), 10)},
		{"__range_s", strconv.FormatInt(rangeS, 10)},
		{"__range", strconv.FormatInt(rangeS, 10) + "s"},
	}
	args := make([]string, 0, 4*len(pairs))
	for _, p := range pairs {
		args = append(args, "${"+p.name+"}", p.value, "$"+p.name, p.value)
	}
	return strings.NewReplacer(args...).Replace(expr)
}

// promDuration formats d as PromQL duration ("15s", "1m30s", "250ms"); never "0s" for a
// positive duration below a millisecond.
func promDuration(d time.Duration) string {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return model.Duration(d.Round(time.Millisecond)).String()
}
