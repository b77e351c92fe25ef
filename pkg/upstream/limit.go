package upstream

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

type limitKey struct{}

// WithLimit bounds to n the upstream requests in flight at once among those made with
// ctx or a context derived from it: the queries of one query request share the bound,
// whatever each of them fans out to.
func WithLimit(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, limitKey{}, make(chan struct{}, n))
}

// LimitMiddleware makes each request of an HTTP client wait for a place under the bound
// of its context (WithLimit; a context without one does not wait) and hold it until its
// response body is closed, so that a request counts while its answer is read.
func LimitMiddleware() httpclient.Middleware {
	return httpclient.NamedMiddlewareFunc("gopulse-upstream-limit", func(_ httpclient.Options, next http.RoundTripper) http.RoundTripper {
		return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			places, _ := req.Context().Value(limitKey{}).(chan struct{})
			if places == nil {
				return next.RoundTrip(req)
			}
			select {
			case places <- struct{}{}:
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
			release := sync.OnceFunc(func() { <-places })
			resp, err := next.RoundTrip(req)
			if err != nil {
				release()
				return resp, err
			}
			resp.Body = releasingBody{resp.Body, release}
			return resp, nil
		})
	})
}

// releasingBody gives its request's place back when it is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b releasingBody) Close() error {
	defer b.release()
	return b.ReadCloser.Close()
}
