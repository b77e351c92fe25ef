// Package logtest records log lines for tests: a log.Logger that keeps every line.
package logtest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// Line is one recorded log line.
type Line struct {
	Level log.Level
	Msg   string
	Args  []any // the logger's With arguments, then the line's
}

// String is the line as a log would print it: level, message, key=value pairs.
func (l Line) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", levelName(l.Level), l.Msg)
	for i := 0; i+1 < len(l.Args); i += 2 {
		fmt.Fprintf(&b, " %v=%v", l.Args[i], l.Args[i+1])
	}
	return b.String()
}

// Arg returns the value of key, or nil.
func (l Line) Arg(key string) any {
	for i := 0; i+1 < len(l.Args); i += 2 {
		if l.Args[i] == key {
			return l.Args[i+1]
		}
	}
	return nil
}

func levelName(l log.Level) string {
	switch l {
	case log.Debug:
		return "debug"
	case log.Info:
		return "info"
	case log.Warn:
		return "warn"
	case log.Error:
		return "error"
	}
	return "trace"
}

// Recorder is a log.Logger that keeps every line, at every level.
type Recorder struct {
	store *store
	with  []any
}

type store struct {
	mu    sync.Mutex
	lines []Line
}

// New returns an empty recorder.
func New() *Recorder { return &Recorder{store: &store{}} }

// Lines returns the lines recorded so far (by this recorder and the loggers made from it).
func (r *Recorder) Lines() []Line {
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	return append([]Line(nil), r.store.lines...)
}

// At returns the lines of one level.
func (r *Recorder) At(level log.Level) []Line {
	var out []Line
	for _, l := range r.Lines() {
		if l.Level == level {
			out = append(out, l)
		}
	}
	return out
}

func (r *Recorder) add(level log.Level, msg string, args []any) {
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	r.store.lines = append(r.store.lines, Line{Level: level, Msg: msg, Args: append(append([]any(nil), r.with...), args...)})
}

func (r *Recorder) Debug(msg string, args ...any) { r.add(log.Debug, msg, args) }
func (r *Recorder) Info(msg string, args ...any)  { r.add(log.Info, msg, args) }
func (r *Recorder) Warn(msg string, args ...any)  { r.add(log.Warn, msg, args) }
func (r *Recorder) Error(msg string, args ...any) { r.add(log.Error, msg, args) }
func (r *Recorder) Level() log.Level              { return log.Debug }

// With returns a recorder that adds args to every line, sharing the lines.
func (r *Recorder) With(args ...any) log.Logger {
	return &Recorder{store: r.store, with: append(append([]any(nil), r.with...), args...)}
}

// FromContext adds the context's log attributes, as the SDK's logger does.
func (r *Recorder) FromContext(ctx context.Context) log.Logger {
	if attrs := log.ContextualAttributesFromContext(ctx); len(attrs) > 0 {
		return r.With(attrs...)
	}
	return r
}
