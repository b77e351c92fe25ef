package alerts

import (
	"fmt"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/alertmanager"
)

// BenchmarkMergeTable: 10,000 active alerts from Prometheus and the same 10,000 from
// Alertmanager (a third silenced), merged by label set, filtered, sorted and made into
// the table frame.
func BenchmarkMergeTable(b *testing.B) {
	const n = 10000
	sev := []string{"P0", "P1", "P2", "warning"}
	prom := make([]v1.Alert, n)
	am := make([]alertmanager.Alert, n)
	for i := range n {
		l := map[string]string{"alertname": fmt.Sprintf("Alert%d", i%50), "instance": fmt.Sprintf("10.0.%d.%d:8080", i/250, i%250), "job": "demo", "severity": sev[i%4]}
		ls := model.LabelSet{}
		for k, v := range l {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		prom[i] = v1.Alert{Labels: ls, Annotations: model.LabelSet{"summary": "something is wrong"}, State: "firing", ActiveAt: time.Unix(int64(i), 0), Value: "1"}
		am[i] = alertmanager.Alert{Labels: l, StartsAt: time.Unix(int64(i), 0)}
		if i%3 == 0 {
			am[i].Status.SilencedBy = []string{"s"}
		}
	}
	all, _ := NewFilter(nil, "", nil, DefaultLevels())
	b.ReportAllocs()
	for b.Loop() {
		f := Table(Select(Merge(FromPrometheus(prom, DefaultLevels()), am, DefaultLevels()), all))
		if f.Rows() != n {
			b.Fatalf("%d rows", f.Rows())
		}
	}
}
