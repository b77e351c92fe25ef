package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// A request holds its place under the bound from its response until its body is closed
// (closing twice gives back one place), a failed request gives its place back at once,
// and a context without a bound takes no place.
func TestLimitHoldsUntilBodyClosed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	hc, err := httpclient.New(httpclient.Options{Middlewares: []httpclient.Middleware{LimitMiddleware()}})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	get := func(ctx context.Context, u string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		return hc.Do(req)
	}
	ctx := WithLimit(context.Background(), 2)
	taken := func() int { return len(ctx.Value(limitKey{}).(chan struct{})) }

	first, err := get(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if taken() != 1 {
		t.Fatalf("%d places taken while the first answer is open, want 1", taken())
	}
	unbounded, err := get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	unbounded.Body.Close()
	if _, err := get(ctx, "http://127.0.0.1:1"); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	if taken() != 1 {
		t.Fatalf("%d places taken after an unbounded and a failed request, want 1", taken())
	}
	first.Body.Close()
	first.Body.Close()
	if taken() != 0 {
		t.Fatalf("%d places taken after the body was closed, want 0", taken())
	}
}
