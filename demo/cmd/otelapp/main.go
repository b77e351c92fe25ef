// Command otelapp is the demo's second target: a checkout service that names its metrics
// and labels the way an OpenTelemetry-instrumented Go service does once Prometheus 3
// scrapes it with UTF-8 names (dots kept, unit and _total suffixes added):
//
//   - http.server.request.duration_seconds{http.route, http.request.method,
//     http.response.status_code}: request latency, a native histogram (schema from a
//     bucket factor of 1.1) with classic buckets too, for engines that read only those;
//   - app.orders_total{order.status}: orders by status;
//   - app.clock.offset_seconds: the offset of the service's clock from a reference, a
//     native histogram only, whose observations are negative, zero and positive;
//   - the Go runtime and process collectors.
//
// service.name and service.instance.id, OpenTelemetry's resource attributes, are target
// labels: Prometheus's scrape configuration sets them. The service drives its own
// traffic (every -interval, one request per route), so it needs no load generator.
//
// Prometheus 3 scrapes native histograms in protobuf and asks for it without an escaping
// term, which client_golang answers with names escaped to underscores; with
// -protobuf-utf8 (the default) the service keeps the dots in protobuf answers, as a
// Prometheus 3 reads them. Prometheus 2 cannot read such names: set it false for it.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes are the service's routes and their typical latency in seconds.
var routes = []struct {
	route, method string
	latency       float64
}{{"/api/cart", "GET", 0.004}, {"/api/checkout", "POST", 0.120}}

func main() {
	listen := flag.String("listen", ":8081", "address to serve /metrics on")
	interval := flag.Duration("interval", 50*time.Millisecond, "time between two rounds of requests")
	utf8Protobuf := flag.Bool("protobuf-utf8", true, "keep UTF-8 names in protobuf answers to a scraper that names no escaping")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:                        "http.server.request.duration_seconds",
		Help:                        "Duration of HTTP server requests.",
		Buckets:                     []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		NativeHistogramBucketFactor: 1.1,
	}, []string{"http.route", "http.request.method", "http.response.status_code"})
	orders := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "app.orders_total",
		Help: "Orders by status.",
	}, []string{"order.status"})
	offset := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:                         "app.clock.offset_seconds",
		Help:                         "Offset of the service's clock from the reference clock.",
		NativeHistogramBucketFactor:  1.1,
		NativeHistogramZeroThreshold: 1e-6,
	})
	reg.MustRegister(duration, orders, offset)

	go drive(ctx, *interval, duration, orders, offset)
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if *utf8Protobuf {
		handler = utf8InProtobuf(handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	logger.Info("serving", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
		os.Exit(1)
	}
}

// utf8InProtobuf adds escaping=allow-utf-8 to the protobuf clause of an Accept header that
// names no escaping.
func utf8InProtobuf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clauses := strings.Split(r.Header.Get("Accept"), ",")
		for i, c := range clauses {
			if strings.Contains(c, "application/vnd.google.protobuf") && !strings.Contains(c, "escaping=") {
				clauses[i] = c + ";escaping=allow-utf-8"
			}
		}
		r.Header.Set("Accept", strings.Join(clauses, ","))
		next.ServeHTTP(w, r)
	})
}

// drive records one request per route every interval (one in ten checkouts fails, slowly),
// an order per successful checkout, and a clock offset, until ctx is done.
func drive(ctx context.Context, interval time.Duration, duration *prometheus.HistogramVec, orders *prometheus.CounterVec, offset prometheus.Histogram) {
	for _, s := range []string{"created", "rejected"} {
		orders.WithLabelValues(s)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range routes {
			code, latency := 200, r.latency*(0.5+rand.Float64())
			if r.method == "POST" && n%10 == 9 {
				code, latency = 500, latency*4
			}
			duration.WithLabelValues(r.route, r.method, strconv.Itoa(code)).Observe(latency)
			if r.method == "POST" {
				if code == 200 {
					orders.WithLabelValues("created").Inc()
				} else {
					orders.WithLabelValues("rejected").Inc()
				}
			}
		}
		if n%5 == 0 {
			offset.Observe(0) // in step with the reference
		} else {
			offset.Observe(rand.NormFloat64() * 0.002)
		}
	}
}
