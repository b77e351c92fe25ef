package main

import (
	"expvar"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Label values of the business counters. They are fixed sets, so every series exists
// (at 0) from the first scrape and rates over them are defined.
var (
	loginResults   = []string{"success", "failure", "error"}
	orderStatuses  = []string{"created", "rejected", "error"}
	paymentResults = []string{"paid", "rejected", "error"}
)

// The expvar side (/debug/vars) is process-wide by nature: a "business" map holding the
// same counters as the Prometheus side, and "goroutines". The expvar package itself
// publishes "memstats" and "cmdline".
var (
	expBusiness      = expvar.NewMap("business")
	expLogins        = new(expvar.Map) // business.logins.<result>
	expOrders        = new(expvar.Map) // business.orders.<status>
	expPayments      = new(expvar.Map) // business.payments.<status>
	expPaymentAmount = new(expvar.Float)
	expEvents        = new(expvar.Map) // business.events.<event_type>
)

func init() {
	expBusiness.Set("logins", expLogins)
	expBusiness.Set("orders", expOrders)
	expBusiness.Set("payments", expPayments)
	expBusiness.Set("payment_amount", expPaymentAmount)
	expBusiness.Set("events", expEvents)
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
}

// metrics are the app's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	logins        *prometheus.CounterVec
	orders        *prometheus.CounterVec
	payments      *prometheus.CounterVec
	paymentAmount prometheus.Counter
	events        *prometheus.CounterVec
	mode          *prometheus.GaugeVec
}

// gauges are read at scrape time from the app's state.
type gauges struct {
	activeSessions, cartItems, leakedGoroutines func() float64
}

func newMetrics(g gauges) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "path", "code"}),
		// Classic buckets with bounds at the health thresholds (0.25, 0.5 and 1 s), so a
		// p99 is never only "somewhere in (0.1, 1] s"; and the same observations as a
		// native histogram (buckets about 10% wide) for servers that scrape those.
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:                            "http_request_duration_seconds",
			Help:                            "HTTP request latency by method and route pattern.",
			Buckets:                         []float64{.005, .01, .025, .05, .1, .25, .5, .75, 1, 2.5, 5},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"method", "path"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_logins_total",
			Help: "Login attempts by result (success, failure, error).",
		}, []string{"result"}),
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_orders_total",
			Help: "Orders by status (created, rejected, error).",
		}, []string{"status"}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_payments_total",
			Help: "Payments by status (paid, rejected, error).",
		}, []string{"status"}),
		paymentAmount: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "demo_payment_amount_total",
			Help: "Amount paid, in yuan.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_events_total",
			Help: "Tracked front-end events by type, page and element (allow-listed values only).",
		}, []string{"event_type", "page", "element_id"}),
		mode: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "demo_mode",
			Help: "1 for the current behaviour mode of the app, 0 for the others.",
		}, []string{"mode"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.logins, m.orders, m.payments, m.paymentAmount, m.events, m.mode,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "demo_active_sessions",
			Help: "Logged-in sessions that have not expired.",
		}, g.activeSessions),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "demo_cart_items",
			Help: "Items in orders that are created but not paid yet.",
		}, g.cartItems),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "demo_leaked_goroutines",
			Help: "Goroutines leaked on purpose by the leak mode.",
		}, g.leakedGoroutines),
	)
	for _, c := range []struct {
		vec    *prometheus.CounterVec
		exp    *expvar.Map
		values []string
	}{{m.logins, expLogins, loginResults}, {m.orders, expOrders, orderStatuses}, {m.payments, expPayments, paymentResults}} {
		for _, v := range c.values {
			c.vec.WithLabelValues(v)
			c.exp.Add(v, 0)
		}
	}
	return m
}

func (m *metrics) login(result string) {
	m.logins.WithLabelValues(result).Inc()
	expLogins.Add(result, 1)
}

func (m *metrics) order(status string) {
	m.orders.WithLabelValues(status).Inc()
	expOrders.Add(status, 1)
}

func (m *metrics) payment(status string, amount float64) {
	m.payments.WithLabelValues(status).Inc()
	expPayments.Add(status, 1)
	if amount > 0 {
		m.paymentAmount.Add(amount)
		expPaymentAmount.Add(amount)
	}
}

func (m *metrics) event(e event) {
	m.events.WithLabelValues(e.EventType, e.Page, e.ElementID).Inc()
	expEvents.Add(e.EventType, 1)
}

func (m *metrics) setMode(current mode) {
	for _, md := range modes {
		v := 0.0
		if md == current {
			v = 1
		}
		m.mode.WithLabelValues(string(md)).Set(v)
	}
}

// instrument counts and times the requests of one route. The path label is the route
// pattern, never the raw URL, so its values are bounded.
func (m *metrics) instrument(method, path string, h http.HandlerFunc) http.Handler {
	observe := m.duration.WithLabelValues(method, path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h(rec, r)
		observe.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(method, path, strconv.Itoa(rec.code)).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}
