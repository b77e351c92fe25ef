// Package upstream turns failures of the servers GoPulse talks to (Prometheus,
// Alertmanager, expvar targets) into errors a Grafana user can act on. Every error made
// here is marked as a downstream error and carries the HTTP status the plugin answers with.
// Messages name the service and the host, never a full URL, a header or a credential.
// It also bounds the requests one query request sends at once (WithLimit).
package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// Error is a failure of one request to an upstream server.
type Error struct {
	// Service names the server: "Prometheus", "Alertmanager", "expvar target api-1".
	Service string
	// Status is the HTTP status GoPulse answers with for this failure.
	Status int
	// Msg says what went wrong, in words for the user.
	Msg string
}

func (e *Error) Error() string { return e.Service + ": " + e.Msg }

// HTTPStatus is the status GoPulse answers with.
func (e *Error) HTTPStatus() int { return e.Status }

func newError(service string, status int, format string, args ...any) error {
	return backend.DownstreamError(&Error{Service: service, Status: status, Msg: fmt.Sprintf(format, args...)})
}

// Transport describes an error returned by an HTTP client (no response at all).
// host is the server's host:port, shown to the user.
func Transport(service, host string, err error) error {
	var (
		dnsErr      *net.DNSError
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		recErr      tls.RecordHeaderError
		netErr      net.Error
	)
	switch {
	case errors.Is(err, httpclient.ErrResponseBodyTooLarge):
		return newError(service, http.StatusBadGateway, "the response from %s is larger than the configured limit (%s)", host, limitOf(err))
	case errors.Is(err, context.Canceled):
		return newError(service, 499, "request to %s cancelled", host)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return newError(service, http.StatusGatewayTimeout, "request to %s timed out: no answer within the configured timeout", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		return newError(service, http.StatusBadGateway, "connection refused by %s: is the server running and the port right?", host)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return newError(service, http.StatusBadGateway, "connection to %s reset while waiting for the answer", host)
	case errors.As(err, &dnsErr):
		return newError(service, http.StatusBadGateway, "host %q not found (DNS lookup failed)", dnsErr.Name)
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return newError(service, http.StatusBadGateway, "TLS certificate of %s not accepted: %s", host, tlsReason(err))
	case errors.As(err, &recErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return newError(service, http.StatusBadGateway, "%s does not speak TLS: use http:// instead of https://", host)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newError(service, http.StatusBadGateway, "%s closed the connection without answering", host)
	}
	return newError(service, http.StatusBadGateway, "request to %s failed: %s", host, redact(err))
}

// Body describes an error reading the body of an answer whose status line came: an
// answer cut short (the connection closed before its end) is said so; others as
// Transport says them.
func Body(service, host string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(service, http.StatusBadGateway, "the answer of %s was cut short: the connection closed before its end", host)
	}
	return Transport(service, host, err)
}

// Status describes a response whose HTTP status is not a success. path is the request
// path (no query string); body is the start of the response body.
func Status(service string, code int, path string, body []byte) error {
	switch {
	case code == http.StatusUnauthorized:
		return newError(service, code, "authentication failed (401 Unauthorized): check the basic auth user and password or the Authorization header")
	case code == http.StatusForbidden:
		return newError(service, code, "access denied (403 Forbidden): the credentials were accepted but may not read %s", path)
	case code == http.StatusNotFound:
		return newError(service, code, "%s not found (404): check the URL; it must be the server's base URL, without an API path", path)
	case code == http.StatusTooManyRequests:
		return newError(service, code, "rate limited (429 Too Many Requests)")
	case code >= 500:
		return newError(service, http.StatusBadGateway, "server error %d%s", code, excerpt(body))
	}
	return newError(service, http.StatusBadGateway, "unexpected answer %d%s", code, excerpt(body))
}

// Errorf makes an error about the content of an answer (not a Prometheus API, bad JSON).
func Errorf(service string, status int, format string, args ...any) error {
	return newError(service, status, format, args...)
}

// excerpt returns ": <first line of body>" for a short, printable body, or "".
func excerpt(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.HasPrefix(body, []byte("<")) || !utf8.Valid(body) {
		return ""
	}
	line, _, _ := bytes.Cut(body, []byte("\n"))
	const max = 200
	if len(line) > max {
		line = append(line[:max:max], "…"...)
	}
	return ": " + string(line)
}

func limitOf(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "limit is set to: "); i >= 0 {
		return msg[i+len("limit is set to: "):] + " bytes"
	}
	return "maxResponseBytes"
}

func tlsReason(err error) string {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &unknownAuth):
		return "signed by an unknown authority (add the CA certificate, or skip verification)"
	case errors.As(err, &hostErr):
		return "issued for another host name"
	}
	return "verification failed"
}

// redact keeps the error text but drops any URL it quotes: url.Error embeds the full URL.
func redact(err error) string {
	var uErr *url.Error
	if errors.As(err, &uErr) {
		return uErr.Err.Error()
	}
	return err.Error()
}

// maxRedirects is how many redirects a request may follow (all to the same host).
const maxRedirects = 5

// SameHostRedirects is the redirect policy of every client GoPulse has (an
// http.Client's CheckRedirect). A redirect is followed only to the same scheme, host and
// port as the request that started it, so credentials (basic auth, custom headers), which
// the client adds to every request it sends, never reach another host; an https request is
// never downgraded to http. The refusal is the error the user sees.
func SameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case req.URL.Host != first.Host:
		return fmt.Errorf("redirect to another host (%s) refused: credentials are only sent to %s; configure the URL the server redirects to", req.URL.Host, first.Host)
	case req.URL.Scheme != first.Scheme:
		return fmt.Errorf("redirect from %s to %s refused: configure the URL the server redirects to", first.Scheme, req.URL.Scheme)
	case len(via) >= maxRedirects:
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}
