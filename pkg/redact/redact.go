// Package redact keeps a data source's secrets out of everything GoPulse says: query
// errors, notices, Save & test messages, resource errors and log lines. A server that
// echoes the request (a proxy quoting its headers in an error page, say) would otherwise
// hand the credentials back to the browser and the Grafana log.
package redact

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// Mask replaces every secret.
const Mask = "[redacted]"

// MinLength is the shortest value treated as a secret. Shorter values cannot be told
// apart from ordinary words ("a", "ok"); their encoded forms (a basic-auth header's
// base64) are still redacted.
const MinLength = 4

// Secrets are the secret values of one data source and the forms in which they travel:
// as they are, base64 (an Authorization: Basic header carries user:password), URL- and
// JSON-escaped. The zero value and nil redact nothing.
type Secrets struct {
	forms    []string
	replacer *strings.Replacer
}

// New collects the secrets: each value and its encodings. Values shorter than MinLength
// are skipped.
func New(values ...string) *Secrets {
	s := &Secrets{}
	s.Add(values...)
	return s
}

// Add adds secret values (and their encodings).
func (s *Secrets) Add(values ...string) {
	for _, v := range values {
		if len(v) < MinLength {
			continue
		}
		s.add(v)
		s.addEncoded(v)
	}
	s.build()
}

// AddBasicAuth adds the credentials of a basic-auth header: the password alone and the
// base64 of user:password, whatever the password's length.
func (s *Secrets) AddBasicAuth(user, password string) {
	if password == "" {
		return
	}
	if len(password) >= MinLength {
		s.add(password)
		s.addEncoded(password)
	}
	s.addEncoded(user + ":" + password)
	s.build()
}

func (s *Secrets) add(v string) {
	if len(v) >= MinLength && !slices.Contains(s.forms, v) {
		s.forms = append(s.forms, v)
	}
}

func (s *Secrets) addEncoded(v string) {
	b := []byte(v)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		s.add(enc.EncodeToString(b))
	}
	s.add(url.QueryEscape(v))
	s.add(url.PathEscape(v))
	if j, err := json.Marshal(v); err == nil {
		s.add(string(j[1 : len(j)-1]))
	}
}

// build makes one replacer, longest forms first, so that a form that contains another
// (padded and unpadded base64) is replaced whole.
func (s *Secrets) build() {
	slices.SortFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(s.forms))
	for _, f := range s.forms {
		pairs = append(pairs, f, Mask)
	}
	s.replacer = strings.NewReplacer(pairs...)
}

// String returns in with every secret masked.
func (s *Secrets) String(in string) string {
	if s == nil || s.replacer == nil || len(s.forms) == 0 {
		return in
	}
	return s.replacer.Replace(in)
}

// Error returns err with its message masked. The result unwraps to err, so its status
// and error source (downstream or not) are kept; only its text changes.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := s.String(msg); masked != msg {
		return &maskedError{msg: masked, err: err}
	}
	return err
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// Logger wraps l so that the message and every argument of a log line are masked.
func (s *Secrets) Logger(l log.Logger) log.Logger { return &logger{l: l, s: s} }

type logger struct {
	l log.Logger
	s *Secrets
}

func (r *logger) args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = r.s.String(v)
		case []byte:
			out[i] = r.s.String(string(v))
		case error:
			out[i] = r.s.String(v.Error())
		case fmt.Stringer:
			out[i] = r.s.String(v.String())
		case nil, bool, int, int64, float64, uint64:
			out[i] = v
		default:
			out[i] = r.s.String(fmt.Sprint(v))
		}
	}
	return out
}

func (r *logger) Debug(msg string, args ...any) { r.l.Debug(r.s.String(msg), r.args(args)...) }
func (r *logger) Info(msg string, args ...any)  { r.l.Info(r.s.String(msg), r.args(args)...) }
func (r *logger) Warn(msg string, args ...any)  { r.l.Warn(r.s.String(msg), r.args(args)...) }
func (r *logger) Error(msg string, args ...any) { r.l.Error(r.s.String(msg), r.args(args)...) }
func (r *logger) Level() log.Level              { return r.l.Level() }
func (r *logger) With(args ...any) log.Logger {
	return &logger{l: r.l.With(r.args(args)...), s: r.s}
}
func (r *logger) FromContext(ctx context.Context) log.Logger {
	return &logger{l: r.l.FromContext(ctx), s: r.s}
}
