package health

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// One error that hit several sources (Prometheus down for every signal) is said once,
// naming the sources; an error that names its source alone is not prefixed; distinct
// errors stay apart.
func TestFailuresOnce(t *testing.T) {
	down := errors.New("Prometheus: connection refused by p:9090")
	var f Failures
	var wg sync.WaitGroup
	for _, what := range []string{"heap in use", "alerts", "goroutines"} {
		wg.Go(func() { f.Add(what, errors.New(down.Error())) })
	}
	wg.Wait()
	f.Add("", errors.New("Alertmanager: timed out"))
	want := []string{"alerts, goroutines, heap in use: Prometheus: connection refused by p:9090", "Alertmanager: timed out"}
	if got := f.Lines(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
	if got := f.Err().Error(); got != down.Error()+"\nAlertmanager: timed out" {
		t.Errorf("error %q, want each message once", got)
	}
	if (&Failures{}).Err() != nil || len((&Failures{}).Lines()) != 0 {
		t.Error("no failure must give no error and no line")
	}
}
