package scope

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

func TestSelector(t *testing.T) {
	for _, c := range []struct{ job, instance, jobLabel, instanceLabel, want string }{
		{"", "", "", "", ``},
		{"demo", "", "", "", `job="demo"`},
		{"", "127.0.0.1:8080", "", "", `instance=~"127.0.0.1:8080"`},
		{"demo", `127\.0\.0\.1:(80|81)`, "", "", `job="demo",instance=~"127\\.0\\.0\\.1:(80|81)"`},
		{`a"b\c`, `x"y`, "service", "pod", `service="a\"b\\c",pod=~"x\"y"`},
		{"new\nline", "", "", "", `job="new\nline"`},
		{`"} or vector(1) or up{a="`, "", "", "", `job="\"} or vector(1) or up{a=\""`},
		{"démo", "", "", "", `job="démo"`},
		{"checkout", "a:.*", "service.name", "service.instance.id", `"service.name"="checkout","service.instance.id"=~"a:.*"`},
		{"demo", "", "job-name", "", `"job-name"="demo"`},
	} {
		s, err := NewSelector(c.job, c.instance, c.jobLabel, c.instanceLabel)
		if err != nil || s.Matchers != c.want {
			t.Errorf("NewSelector(%q, %q, %q, %q) = %s, %v; want %s", c.job, c.instance, c.jobLabel, c.instanceLabel, s.Matchers, err, c.want)
			continue
		}
		// What Prometheus reads back is what the user typed.
		ms, err := promql.ParseMetricSelector("up{" + s.Matchers + "}")
		if err != nil {
			t.Errorf("%s does not parse: %v", s, err)
			continue
		}
		for _, m := range ms {
			switch m.Name {
			case s.JobLabel:
				if m.Type != labels.MatchEqual || m.Value != c.job {
					t.Errorf("%s: job matcher %s", s, m)
				}
			case s.InstanceLabel:
				if m.Type != labels.MatchRegexp || m.Value != c.instance {
					t.Errorf("%s: instance matcher %s", s, m)
				}
			}
		}
	}
	for _, c := range []struct{ job, instance, jobLabel, instanceLabel, want string }{
		{"", "(", "", "", `instance "(" is not a valid regular expression: missing closing ): ` + "`(`"},
		{"", `a(?=b)`, "", "", "invalid or unsupported Perl syntax"},
		{"", `\1`, "", "", "invalid escape sequence"},
		{"", "", "bad\x01", "", `label name "bad\x01" has control characters`},
		{"", "", "", "\xff", `label name "\xff" is not valid UTF-8`},
		{"", "", "__name__", "", `label name "__name__" starts with "__", which Prometheus reserves`},
		{"", "", "node", "node", `the job and instance labels are both "node"`},
	} {
		if s, err := NewSelector(c.job, c.instance, c.jobLabel, c.instanceLabel); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSelector(%q, %q, %q, %q) = %v, %v; want an error containing %q", c.job, c.instance, c.jobLabel, c.instanceLabel, s, err, c.want)
		}
	}
}
