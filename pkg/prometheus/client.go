// Package prometheus is GoPulse's access to a Prometheus-compatible HTTP API (Prometheus
// 2.x/3.x, Thanos, Mimir, VictoriaMetrics) through client_golang's api and v1 packages.
package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/redact"
	"github.com/gopulse/health/pkg/upstream"
)

const service = "Prometheus"

// Client talks to one Prometheus-compatible server.
type Client struct {
	api  v1.API
	raw  checked
	hc   *http.Client
	host string
	opts Options
}

// Options tune the queries of a client.
type Options struct {
	// QueryTimeout, when positive, is sent as the timeout parameter of queries.
	QueryTimeout time.Duration
	// Limits bound the decoding of query answers.
	Limits Limits
	// Secrets are masked in what the server's error answers quote (a proxy that echoes
	// the request's headers), before they are cut to an excerpt.
	Secrets *redact.Secrets
	// Logger is told when an answer hits a limit (samples, series) or a list is cut at
	// MaxListEntries. Default: no logging.
	Logger log.Logger
}

// New makes a client for the server at base, sending requests through hc (the data
// source's HTTP client, which carries auth, headers, TLS, timeout and the body limit).
func New(base *url.URL, hc *http.Client, opts Options) (*Client, error) {
	c, err := api.NewClient(api.Config{Address: base.String(), Client: hc})
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNullLogger()
	}
	raw := checked{c, base.Host, opts.Secrets}
	return &Client{api: v1.NewAPI(raw), raw: raw, hc: hc, host: base.Host, opts: opts}, nil
}

// checked wraps client_golang's api.Client so that every failure, whatever the endpoint,
// comes back as an upstream.Error: transport errors, HTTP statuses without a Prometheus
// error body, and answers that are not a Prometheus API at all.
type checked struct {
	api.Client
	host    string
	secrets *redact.Secrets
}

// apiError is the error envelope of the Prometheus HTTP API.
type apiError struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
}

func (c checked) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := c.Client.Do(ctx, req)
	if err != nil && resp != nil {
		return resp, body, upstream.Body(service, c.host, err) // the body could not be read
	}
	if err != nil {
		return resp, body, upstream.Transport(service, c.host, err)
	}
	return resp, body, c.verify(req, resp, body)
}

// verify turns an answer that is not a successful Prometheus API answer into an upstream
// error: Prometheus's own error body (its message and status kept), another HTTP status,
// or a 2xx answer that is not JSON.
func (c checked) verify(req *http.Request, resp *http.Response, body []byte) error {
	host := c.host
	trimmed := bytes.TrimSpace(body)
	isJSON := len(trimmed) > 0 && trimmed[0] == '{'
	if resp.StatusCode/100 == 2 {
		if !isJSON && resp.StatusCode != http.StatusNoContent {
			return upstream.Errorf(service, http.StatusBadGateway,
				"%s answered %s with %s, not JSON: this is not a Prometheus API (check the URL)",
				host, req.URL.Path, contentType(resp))
		}
		return nil
	}
	var e apiError
	if isJSON && json.Unmarshal(trimmed, &e) == nil && e.Status == "error" && e.Error != "" {
		// Prometheus's own error: keep its message, which the user needs (parse errors,
		// timeouts, limits), and its status.
		status := resp.StatusCode
		switch {
		case e.ErrorType == "timeout":
			status = http.StatusGatewayTimeout
		case status >= 500:
			status = http.StatusBadGateway
		}
		msg := c.secrets.String(e.Error)
		if _, numeric := strconv.Atoi(e.ErrorType); numeric == nil || e.ErrorType == "" {
			return upstream.Errorf(service, status, "%s", msg) // VictoriaMetrics puts the status there
		}
		return upstream.Errorf(service, status, "%s (%s)", msg, c.secrets.String(e.ErrorType))
	}
	return upstream.Status(service, resp.StatusCode, req.URL.Path, []byte(c.secrets.String(string(body))))
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "an untyped body"
}

// describe turns an error returned by the v1 API into an upstream error. Errors made by
// checked pass through; what remains are decoding failures of a 2xx answer.
func describe(err error) error {
	var ue *upstream.Error
	if errors.As(err, &ue) {
		return err
	}
	var ve *v1.Error
	if errors.As(err, &ve) {
		return upstream.Errorf(service, http.StatusBadGateway, "unexpected answer: %s", ve.Msg)
	}
	return upstream.Errorf(service, http.StatusBadGateway, "unexpected answer: %s", err)
}

// NotFound tells whether err is the server's 404: a path it does not serve.
func NotFound(err error) bool {
	var ue *upstream.Error
	return errors.As(err, &ue) && ue.Status == http.StatusNotFound
}
