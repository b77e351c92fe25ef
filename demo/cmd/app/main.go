// Command app is the GoPulse demo "mini-program" backend: a small shop API (login, browse,
// order, pay, event tracking) that exposes client_golang metrics on /metrics and expvar
// variables on /debug/vars, and whose behaviour can be switched at run time through
// /admin/mode (normal, slow, failing, leak, crash) so that every alert can be seen.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve the API, /metrics and /debug/vars on")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	app := newApp(defaultOptions(func(code int) {
		logger.Error("crash mode: exiting", "code", code)
		os.Exit(code)
	}))
	logger.Info("serving", "addr", ln.Addr().String())
	if err := serve(ctx, ln, app); err != nil {
		logger.Error("serve", "err", err)
		os.Exit(1)
	}
	logger.Info("stopped")
}

// serve serves app on ln until ctx is done, then shuts down gracefully: in-flight requests
// get up to 10 seconds, and leaked goroutines (leak mode) are released.
func serve(ctx context.Context, ln net.Listener, app *App) error {
	defer app.Close()
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
