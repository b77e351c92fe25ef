// Command loadgen drives the GoPulse demo app with a realistic mix of mini-program
// traffic (login → browse → order → pay, with event tracking along the way) at a bounded
// rate, and serves a control endpoint through which an operator switches the app's mode
// at run time. It also receives Alertmanager's webhook notifications, so the demo stack's
// alert routing can be seen (and tested) end to end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	target := flag.String("target", "http://localhost:8080", "base URL of the demo app")
	rps := flag.Float64("rps", 10, "requests per second to send, at most 1000")
	workers := flag.Int("workers", 16, "simulated users; bounds the requests in flight")
	listen := flag.String("listen", ":8090", "address of the control endpoint (/mode, /stats, /alerts)")
	duration := flag.Duration("duration", 0, "stop after this long (0: run until SIGINT or SIGTERM)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*target, *rps, *workers, *listen, *duration, logger); err != nil {
		logger.Error("loadgen", "err", err)
		os.Exit(1)
	}
}

func run(target string, rps float64, workers int, listen string, duration time.Duration, logger *slog.Logger) error {
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-target %q: want an http(s) base URL", target)
	}
	if rps <= 0 || rps > 1000 {
		return fmt.Errorf("-rps %v: want more than 0 and at most 1000", rps)
	}
	if workers < 1 || workers > 1000 {
		return fmt.Errorf("-workers %d: want 1 to 1000", workers)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	gen := &generator{target: target, client: client}
	srv := &http.Server{
		Handler:           newControl(target, client, &gen.stats, newAlertLog(100)),
		ReadHeaderTimeout: 5 * time.Second,
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	logger.Info("generating load", "target", target, "rps", rps, "workers", workers, "control", ln.Addr().String())

	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		gen.run(ctx, rps, workers)
	}()
	report := time.NewTicker(30 * time.Second)
	defer report.Stop()
loop:
	for {
		select {
		case <-report.C:
			logger.Info("stats", gen.stats.attrs()...)
		case err = <-srvErr:
			stop() // the control endpoint failed: stop the load too
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	<-genDone
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if shutdownErr := srv.Shutdown(shutdownCtx); err == nil && shutdownErr != nil {
		err = shutdownErr
	}
	logger.Info("stopped", gen.stats.attrs()...)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
