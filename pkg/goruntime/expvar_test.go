package goruntime

import (
	"fmt"
	"testing"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
)

// The mean and the p99 of the non-zero entries of the PauseNs ring, at every poll.
func TestRingStat(t *testing.T) {
	h := goexpvar.NewHistory(goexpvar.HistoryOptions{})
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	polls := [][]float64{{100, 300, 0}, {100, 300, 800}} // ring entries at two polls; 0 = unused
	for p, ring := range polls {
		for i := range ringSize {
			v := 0.0
			if i < len(ring) {
				v = ring[i]
			}
			if err := h.Append(goexpvar.SeriesKey{Target: "a", Path: fmt.Sprintf("memstats.PauseNs[%d]", i)}, t0.Add(time.Duration(p)*10*time.Second), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	from, to := t0.Add(-time.Second), t0.Add(time.Minute)
	_, mean := ExpvarValues(h, "a", Signal{ExpvarPath: "memstats.PauseNs", Kind: KindMean}, "memstats.PauseNs", from, to)
	_, p99 := ExpvarValues(h, "a", Signal{ExpvarPath: "memstats.PauseNs", Kind: KindQuantile, Quantile: 0.99}, "memstats.PauseNs", from, to)
	if fmt.Sprint(mean) != "[200 400]" || fmt.Sprint(p99) != "[300 800]" {
		t.Errorf("mean %v p99 %v, want [200 400] and [300 800]", mean, p99)
	}
}
