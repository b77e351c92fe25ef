package health

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// Failures collects the sources of a join that did not answer; safe for concurrent use.
// Errors with the same message (Prometheus down for every signal) are kept once, with
// the names of every source they hit.
type Failures struct {
	mu     sync.Mutex
	errs   []error
	whats  [][]string
	byText map[string]int
}

// Add records that what (a signal's title, "alerts"; "" when the error names its source
// well enough) failed with err.
func (f *Failures) Add(what string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.byText[err.Error()]
	if !ok {
		if f.byText == nil {
			f.byText = map[string]int{}
		}
		i = len(f.errs)
		f.byText[err.Error()] = i
		f.errs, f.whats = append(f.errs, err), append(f.whats, nil)
	}
	if what != "" {
		f.whats[i] = append(f.whats[i], what)
	}
}

// Lines says each distinct failure once, after the sources it hit (sorted):
// "goroutines, heap in use: Prometheus: connection refused by …". The error names its
// service already; it is not named again.
func (f *Failures) Lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.errs))
	for i, err := range f.errs {
		out[i] = err.Error()
		if len(f.whats[i]) > 0 {
			out[i] = strings.Join(slices.Sorted(slices.Values(f.whats[i])), ", ") + ": " + out[i]
		}
	}
	return out
}

// Err joins the distinct errors; nil when nothing failed.
func (f *Failures) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.errs...)
}
