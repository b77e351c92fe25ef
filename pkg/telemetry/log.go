package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/gopulse/health/pkg/upstream"
)

// Service is a server GoPulse sends requests to, known by its base URL.
type Service struct {
	Name string
	Base *url.URL
}

// LogFailuresMiddlewareName names the middleware of LogFailures.
const LogFailuresMiddlewareName = "gopulse-log-failures"

// LogFailures is an HTTP client middleware that logs, through l with the request's
// context, every failed request to one of services (the one whose base URL is the
// longest prefix of the request's): a warning with the service, the host and the status
// (or the transport error, without the URL), and a warning when an answer is cut at the
// response size limit. A 400 is the query's fault, logged at debug level, as is a
// request cancelled by its caller, and so is any failure of a request made with a Quiet
// context. Never logged: the URL's user information or query, headers, bodies.
func LogFailures(l log.Logger, services ...Service) httpclient.Middleware {
	return httpclient.NamedMiddlewareFunc(LogFailuresMiddlewareName, func(_ httpclient.Options, next http.RoundTripper) http.RoundTripper {
		return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			res, err := next.RoundTrip(req)
			name, host := serviceOf(services, req.URL), req.URL.Host
			rl := l.FromContext(req.Context())
			warn := rl.Warn
			if req.Context().Value(quietKey{}) != nil {
				warn = rl.Debug
			}
			switch {
			case err != nil && errors.Is(err, context.Canceled):
				rl.Debug("upstream request cancelled", "service", name, "host", host)
			case err != nil:
				warn("upstream request failed", "service", name, "host", host, "error", upstream.Transport(name, host, err))
			case res.StatusCode == http.StatusBadRequest:
				rl.Debug("upstream request rejected", "service", name, "host", host, "status", res.StatusCode, "path", req.URL.Path)
			case res.StatusCode >= 400:
				warn("upstream request failed", "service", name, "host", host, "status", res.StatusCode, "path", req.URL.Path)
			}
			if res != nil && res.Body != nil {
				res.Body = &limitedBody{ReadCloser: res.Body, log: rl, service: name, host: host}
			}
			return res, err
		})
	})
}

type quietKey struct{}

// Quiet marks the requests of ctx as background work whose caller logs failures itself,
// once per change (expvar discovery): LogFailures logs them at debug level only.
func Quiet(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

// serviceOf names the service of u: the longest base URL it starts with, else its host.
func serviceOf(services []Service, u *url.URL) string {
	name, best := u.Host, -1
	for _, s := range services {
		base := strings.TrimSuffix(s.Base.Path, "/")
		if s.Base.Host == u.Host && (u.Path == base || strings.HasPrefix(u.Path, base+"/")) && len(base) > best {
			name, best = s.Name, len(base)
		}
	}
	return name
}

// limitedBody logs, once, that an answer was cut at the response size limit.
type limitedBody struct {
	io.ReadCloser
	log           log.Logger
	service, host string
	once          sync.Once
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, httpclient.ErrResponseBodyTooLarge) {
		b.once.Do(func() {
			b.log.Warn("upstream answer over the response size limit", "service", b.service, "host", b.host, "error", err)
		})
	}
	return n, err
}
