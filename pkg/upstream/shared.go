package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// Sharing says how the reads of one data source share their upstream round trips.
type Sharing struct {
	// Coalesce makes identical requests in flight at once share one round trip. Off, every
	// request goes upstream on its own and nothing is kept (TTL is ignored).
	Coalesce bool
	// TTL is the longest an answer is kept for identical requests that follow (0: none
	// is kept). A range query's answer is kept until the next multiple of its step, at
	// most TTL; other answers until the end of the TTL window they were asked in, and
	// their times (time, start, end) count as the same within one window.
	TTL time.Duration
}

// Answer is an upstream answer as shared between identical requests: status, headers,
// the body read (at most what the response limit allows) and the error that ended the
// read, if any.
type Answer struct {
	Status  int
	Proto   string
	Header  http.Header
	Body    []byte
	ReadErr error
}

// AnswerSize is the memory an Answer holds, for NewCache.
func AnswerSize(a *Answer) int64 {
	n := int64(len(a.Body)) + 256
	for k, v := range a.Header {
		n += int64(len(k))
		for _, s := range v {
			n += int64(len(s)) + 16
		}
	}
	return n
}

type bypassKey struct{}

// Unshared marks ctx so that its requests neither use kept answers nor join requests in
// flight: a check of the connection (Save & test) sees the server as it is now.
func Unshared(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey{}, true)
}

// SharedReadsMiddleware shares the read requests of an HTTP client through cache as s
// says: GET requests, and POST requests with a form body (Prometheus's query API), whose
// method, URL, parameters and headers are the same. The headers in the key are all the
// request's headers but those that do not change an answer (encoding, user agent,
// tracing): credentials, forwarded identity (Authorization, cookies, ID tokens) and tenant
// headers (X-Scope-OrgID) keep users apart. It must come after every middleware that sets
// headers (the SDK's defaults, the forwarded headers of the contextual middleware) and
// before the response limit, which bounds what it reads.
func SharedReadsMiddleware(s Sharing, cache *Cache[*Answer]) httpclient.Middleware {
	return httpclient.NamedMiddlewareFunc("gopulse-shared-reads", func(_ httpclient.Options, next http.RoundTripper) http.RoundTripper {
		return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if !s.Coalesce || req.Context().Value(bypassKey{}) != nil {
				return next.RoundTrip(req)
			}
			form, ok, err := readForm(req)
			if err != nil {
				return nil, err
			}
			if !ok {
				return next.RoundTrip(req)
			}
			key, expires := sharedKey(req, form, s.TTL, time.Now())
			a, _, err := cache.Do(req.Context(), key, func(ctx context.Context) (*Answer, time.Time, error) {
				out := req.Clone(ctx)
				if form != nil {
					out.Body = io.NopCloser(bytes.NewReader(form))
				}
				resp, err := next.RoundTrip(out)
				if err != nil {
					return nil, time.Time{}, err
				}
				defer resp.Body.Close()
				a := &Answer{Status: resp.StatusCode, Proto: resp.Proto, Header: resp.Header}
				if resp.ContentLength > 0 {
					a.Body = make([]byte, 0, resp.ContentLength)
				}
				buf := bytes.NewBuffer(a.Body)
				_, a.ReadErr = buf.ReadFrom(resp.Body)
				a.Body = buf.Bytes()
				if a.ReadErr != nil || a.Status != http.StatusOK {
					expires = time.Time{} // shared with those waiting now, not kept
				}
				return a, expires, nil
			})
			if err != nil {
				return nil, err
			}
			return a.response(req), nil
		})
	})
}

// response is a for req: a response of its own over the shared body.
func (a *Answer) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(a.Status) + " " + http.StatusText(a.Status),
		StatusCode:    a.Status,
		Proto:         a.Proto,
		Header:        a.Header.Clone(),
		Body:          &replay{r: bytes.NewReader(a.Body), err: a.ReadErr},
		ContentLength: int64(len(a.Body)),
		Request:       req,
	}
}

// replay reads a shared body, then the error that ended its first read.
type replay struct {
	r   *bytes.Reader
	err error
}

func (b *replay) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF && b.err != nil {
		return n, b.err
	}
	return n, err
}

func (b *replay) Close() error { return nil }

// readForm returns the form body of a shareable request (nil for a GET) and whether the
// request can be shared; the request's body stays readable.
func readForm(req *http.Request) ([]byte, bool, error) {
	switch req.Method {
	case http.MethodGet:
		return nil, req.Body == nil || req.Body == http.NoBody, nil
	case http.MethodPost:
		if req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || req.Body == nil {
			return nil, false, nil
		}
		const maxForm = 1 << 20 // a query is small: a larger form goes upstream unshared
		if req.ContentLength < 0 || req.ContentLength > maxForm {
			return nil, false, nil
		}
		form, err := io.ReadAll(io.LimitReader(req.Body, maxForm))
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(form))
		return form, err == nil, err
	}
	return nil, false, nil
}

// unsharedHeaders do not change an answer and stay out of the key.
var unsharedHeaders = []string{"Accept-Encoding", "Baggage", "Content-Length", "Traceparent", "Tracestate", "Uber-Trace-Id", "User-Agent"}

// sharedKey is the key of req, with its parameters (the URL's and the form body's) in a
// canonical order and its times aligned, and when the answer stops being fresh.
func sharedKey(req *http.Request, form []byte, ttl time.Duration, now time.Time) (string, time.Time) {
	params := req.URL.Query()
	if len(form) > 0 {
		if f, err := url.ParseQuery(string(form)); err == nil {
			for k, v := range f {
				params[k] = append(params[k], v...)
			}
		} else {
			params["\x00body"] = []string{string(form)}
		}
	}
	expires := time.Time{}
	if ttl > 0 {
		expires = windowEnd(now, ttl)
		if step, ok := seconds(params.Get("step")); ok && step > 0 {
			// a range query: its start and end are the panel's, aligned to the step;
			// its answer holds until the next point is due
			expires = windowEnd(now, time.Duration(step*float64(time.Second)))
			if limit := now.Add(ttl); limit.Before(expires) {
				expires = limit
			}
		} else {
			for _, p := range []string{"time", "start", "end"} {
				if v, ok := seconds(params.Get(p)); ok && len(params[p]) == 1 {
					params.Set(p, "~"+strconv.FormatInt(int64(math.Floor(v/ttl.Seconds())), 10))
				}
			}
		}
	}
	return req.Method + " " + req.URL.Scheme + "://" + req.URL.Host + req.URL.Path + "?" + params.Encode() + " " + HeaderDigest(req.Header), expires
}

// HeaderDigest is a digest of the headers that can change an answer (all but encoding,
// user agent and tracing), in a canonical order: credentials, forwarded identity and
// tenant headers make it differ.
func HeaderDigest(header http.Header) string {
	h := sha256.New()
	names := make([]string, 0, len(header))
	for k := range header {
		if !slices.Contains(unsharedHeaders, http.CanonicalHeaderKey(k)) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range header[k] {
			h.Write([]byte(http.CanonicalHeaderKey(k) + ": " + v + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Window is the window of length d (counted from the Unix epoch) that t is in: its index
// and its end.
func Window(t time.Time, d time.Duration) (int64, time.Time) {
	n := t.UnixNano()
	return n / int64(d), time.Unix(0, n-n%int64(d)+int64(d))
}

func windowEnd(now time.Time, d time.Duration) time.Time {
	_, end := Window(now, d)
	return end
}

// seconds parses a Prometheus time or duration parameter: Unix seconds (or a duration in
// seconds) or RFC 3339.
func seconds(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, true
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return float64(t.UnixNano()) / 1e9, true
	}
	return 0, false
}
