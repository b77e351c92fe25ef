package prometheus

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/prometheus/promtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// faultClient is a client for u with a short timeout and a small body limit, as the data
// source would configure it.
func faultClient(t *testing.T, u string) *Client {
	t.Helper()
	hc, err := httpclient.New(httpclient.Options{
		Timeouts:    &httpclient.TimeoutOptions{Timeout: 500 * time.Millisecond},
		Middlewares: []httpclient.Middleware{httpclient.ResponseLimitMiddleware(64 << 10)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	base, _ := url.Parse(u)
	c, err := New(base, hc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Faults that a real Prometheus cannot be made to show: each gives a downstream error
// with its own message and status, from the health check and from a range query alike.
func TestFaults(t *testing.T) {
	bigBody := `{"status":"success","data":{"resultType":"matrix","result":[` + strings.Repeat(`{"metric":{},"values":[[1,"1"]]},`, 5000) + `{"metric":{},"values":[]}]}}`
	cases := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		want    string
	}{
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			select { // until the client gives up, bounded
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}, 504, "timed out"},
		{"reset", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}, 502, "reset"},
		{"401", status(401, "text/plain", "unauthorized"), 401, "authentication failed (401"},
		{"403", status(403, "text/plain", "forbidden"), 403, "access denied (403"},
		{"404", status(404, "text/plain", "404 page not found"), 404, "not found (404)"},
		{"500", status(500, "text/plain", "boom\nstack"), 502, "server error 500: boom"},
		{"503 with a Prometheus error", status(503, "application/json", `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`), 504, "query timed out in expression evaluation (timeout)"},
		{"html", status(200, "text/html", "<html><body>Grafana</body></html>"), 502, "not a Prometheus API"},
		{"garbage json", status(200, "application/json", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":`), 502, "unexpected answer"},
		{"too large", status(200, "application/json", bigBody), 502, "larger than the configured limit (65536 bytes)"},
		{"cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[`))
		}, 502, "was cut short: the connection closed before its end"},
	}
	// What the query path (GoPulse's decoder) says where it differs from the check
	// (client_golang's v1 decoding).
	queryWants := map[string]string{"garbage json": "unreadable answer to /api/v1/query_range: "}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			defer srv.CloseClientConnections()
			cl := faultClient(t, srv.URL)
			now := time.Now()
			_, checkErr := cl.Check(context.Background())
			r, _ := StepRange(now.Add(-time.Minute), now, time.Second, 0, 0)
			_, queryErr := cl.QueryRange(context.Background(), Query{Expr: "up"}, r)
			for what, err := range map[string]error{"check": checkErr, "query": queryErr} {
				if c.name == "too large" && what == "check" {
					continue // the check's answers are small
				}
				want := c.want
				if w, ok := queryWants[c.name]; ok && what == "query" {
					want = w
				}
				promtest.AssertUpstreamError(t, what, err, c.status, want)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = faultClient(t, "http://"+addr).Check(context.Background())
	promtest.AssertUpstreamError(t, "check", err, 502, "connection refused by "+addr)
}

func status(code int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}
