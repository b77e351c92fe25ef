// Package telemetry is what GoPulse tells its operator about its own work: the metrics it
// exports (registered with client_golang's default registry, which the SDK's metrics
// endpoint serves), the log line of every failed upstream request and limit hit, and the
// span of every query.
package telemetry

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/gopulse/health/pkg/goexpvar"
)

// The metrics, labelled by the data source's UID.
var (
	expvarTargets = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gopulse_expvar_targets",
		Help: "Expvar targets of a data source by the state of their last poll (up, down).",
	}, []string{"datasource", "state"})
	expvarPollDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gopulse_expvar_poll_duration_seconds",
		Help:    "Duration of one poll of one expvar target (request, read, flatten), failed polls included.",
		Buckets: prometheus.DefBuckets,
	}, []string{"datasource"})
	expvarHistoryBytes = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gopulse_expvar_history_bytes",
		Help: "Memory held by the expvar poll history of a data source (encoded samples and bookkeeping).",
	}, []string{"datasource"})
	expvarHistoryDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "gopulse_expvar_history_dropped_samples_total",
		Help: "Samples dropped from the expvar poll history: older than the retention (reason retention) or to stay within the memory cap (reason memory_cap).",
	}, []string{"datasource", "reason"})
	upstreamReads = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "gopulse_upstream_reads_total",
		Help: "Reads from Prometheus and Alertmanager: answered from an answer kept a short time (result hit), by joining an identical request in flight (result shared), or by a round trip (result miss).",
	}, []string{"datasource", "result"})
	resourceCache = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "gopulse_resource_cache_requests_total",
		Help: "Resource requests (the editors' autocomplete) answered from the cache (result hit) or from the server (result miss).",
	}, []string{"datasource", "result"})
)

// Metrics are the metrics of one data source. Grafana makes the new instance of a data
// source before it disposes the old one, so both share the series of its UID, which go
// when the last instance closes its Metrics.
type Metrics struct{ uid string }

var (
	mu   sync.Mutex
	open = map[string]int{} // instances per data source UID
)

// Open returns the metrics of the data source uid.
func Open(uid string) *Metrics {
	mu.Lock()
	defer mu.Unlock()
	open[uid]++
	return &Metrics{uid: uid}
}

// Close drops the data source's series when no other instance of it is open.
func (m *Metrics) Close() {
	mu.Lock()
	defer mu.Unlock()
	if open[m.uid]--; open[m.uid] > 0 {
		return
	}
	delete(open, m.uid)
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{expvarTargets, expvarPollDuration, expvarHistoryBytes, expvarHistoryDropped, resourceCache, upstreamReads} {
		v.DeletePartialMatch(prometheus.Labels{"datasource": m.uid})
	}
}

// Expvar are the expvar poller's metrics.
func (m *Metrics) Expvar() goexpvar.Metrics {
	return goexpvar.Metrics{
		TargetsUp:        expvarTargets.WithLabelValues(m.uid, "up"),
		TargetsDown:      expvarTargets.WithLabelValues(m.uid, "down"),
		PollDuration:     expvarPollDuration.WithLabelValues(m.uid),
		HistoryBytes:     expvarHistoryBytes.WithLabelValues(m.uid),
		DroppedCap:       expvarHistoryDropped.WithLabelValues(m.uid, "memory_cap"),
		DroppedRetention: expvarHistoryDropped.WithLabelValues(m.uid, "retention"),
	}
}

// Cache are the resource cache's hit and miss counters.
func (m *Metrics) Cache() (hits, misses prometheus.Counter) {
	return resourceCache.WithLabelValues(m.uid, "hit"), resourceCache.WithLabelValues(m.uid, "miss")
}

// UpstreamReads are the counters of shared upstream reads: hits, shared, misses.
func (m *Metrics) UpstreamReads() (hits, shared, misses prometheus.Counter) {
	return upstreamReads.WithLabelValues(m.uid, "hit"), upstreamReads.WithLabelValues(m.uid, "shared"), upstreamReads.WithLabelValues(m.uid, "miss")
}
