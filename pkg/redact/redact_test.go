package redact

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

func TestStringMasksEveryForm(t *testing.T) {
	const token = "s3cr3t-t0ken/with+chars&\"q\""
	s := New(token)
	s.AddBasicAuth("alice", "hunter2-pw")
	forms := map[string]string{
		"raw":           token,
		"query escaped": url.QueryEscape(token),
		"path escaped":  url.PathEscape(token),
		"base64":        base64.StdEncoding.EncodeToString([]byte(token)),
		"base64 url":    base64.RawURLEncoding.EncodeToString([]byte(token)),
		"json":          `s3cr3t-t0ken/with+chars\u0026\"q\"`,
		"basic header":  "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:hunter2-pw")),
		"password":      "hunter2-pw",
	}
	for name, f := range forms {
		in := "upstream said: {" + f + "} and more"
		out := s.String(in)
		if strings.Contains(out, f) || !strings.Contains(out, Mask) {
			t.Errorf("%s: %q → %q, want the secret masked", name, in, out)
		}
		if !strings.HasPrefix(out, "upstream said: {") || !strings.HasSuffix(out, "} and more") {
			t.Errorf("%s: %q → %q, want the rest of the text kept", name, in, out)
		}
	}
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	s := New("ok", "")
	s.AddBasicAuth("u", "pw")
	if got := s.String("ok, connection refused"); got != "ok, connection refused" {
		t.Errorf("short value masked: %q", got)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("u:pw"))
	if got := s.String("Authorization: Basic " + basic); strings.Contains(got, basic) {
		t.Errorf("basic-auth header of a short password not masked: %q", got)
	}
}

func TestNilRedactsNothing(t *testing.T) {
	var s *Secrets
	if got := s.String("abc secret"); got != "abc secret" {
		t.Errorf("nil secrets changed text: %q", got)
	}
	if err := errors.New("x"); s.Error(err) != err {
		t.Error("nil secrets changed an error")
	}
}

func TestErrorKeepsItsClass(t *testing.T) {
	s := New("topsecret")
	err := backend.DownstreamError(errors.New("proxy echoed Authorization: topsecret"))
	got := s.Error(err)
	if strings.Contains(got.Error(), "topsecret") {
		t.Errorf("error text not masked: %q", got)
	}
	if !backend.IsDownstreamError(got) {
		t.Error("masked error lost its downstream mark")
	}
	var masked *maskedError
	if !errors.As(got, &masked) {
		t.Errorf("%T is not a masked error", got)
	}
	plain := errors.New("nothing to hide")
	if s.Error(plain) != plain {
		t.Error("an error without secrets was wrapped")
	}
}

func TestLoggerMasksMessageAndArguments(t *testing.T) {
	rec := &recorder{lines: new([]string)}
	s := New("topsecret")
	rl := s.Logger(rec)
	rl.With("header", "Bearer topsecret").Error("upstream topsecret failed", "error", errors.New("echo topsecret"), "n", 3)
	rl.Info("plain", "body", []byte("topsecret"))
	out := strings.Join(*rec.lines, "\n")
	if strings.Contains(out, "topsecret") {
		t.Errorf("log line carries the secret:\n%s", out)
	}
	if strings.Count(out, Mask) < 4 || !strings.Contains(out, "n=3") {
		t.Errorf("log lines lost their content:\n%s", out)
	}
}

// recorder is a log.Logger that keeps each line as "level msg k=v ...".
type recorder struct {
	lines *[]string
	with  []any
}

func (r *recorder) line(level, msg string, args []any) {
	var b strings.Builder
	b.WriteString(level + " " + msg)
	all := append(append([]any{}, r.with...), args...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	*r.lines = append(*r.lines, b.String())
}

func (r *recorder) Debug(msg string, args ...any) { r.line("debug", msg, args) }
func (r *recorder) Info(msg string, args ...any)  { r.line("info", msg, args) }
func (r *recorder) Warn(msg string, args ...any)  { r.line("warn", msg, args) }
func (r *recorder) Error(msg string, args ...any) { r.line("error", msg, args) }
func (r *recorder) Level() log.Level              { return log.Debug }
func (r *recorder) With(args ...any) log.Logger {
	return &recorder{lines: r.lines, with: append(append([]any{}, r.with...), args...)}
}
func (r *recorder) FromContext(context.Context) log.Logger { return r }
