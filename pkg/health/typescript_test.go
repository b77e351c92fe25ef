package health

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The editor's built-in signals (src/types.ts HEALTH_SIGNALS, its placeholders when the
// health-signals resource cannot be read) are the join's signals with the same titles,
// units and default thresholds.
func TestTypeScriptDefaults(t *testing.T) {
	src, err := os.ReadFile("../../src/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	start := strings.Index(text, "export const HEALTH_SIGNALS")
	if start < 0 {
		t.Fatal("src/types.ts has no HEALTH_SIGNALS")
	}
	block := text[start:]
	block = block[strings.Index(block, "= ["):strings.Index(block, "];")]
	field := func(obj, name string) string {
		m := regexp.MustCompile(name + `: '?([^',\n}]+)'?`).FindStringSubmatch(obj)
		if m == nil {
			return ""
		}
		return strings.TrimSpace(m[1])
	}
	objects := regexp.MustCompile(`\{[^{}]*\}`).FindAllString(block, -1)
	defaults := DefaultThresholds()
	bound := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	var ids []string
	for _, o := range objects {
		id := field(o, "id")
		ids = append(ids, id)
		i := Index(SignalID(id))
		if i < 1 {
			t.Errorf("TypeScript signal %q is not a signal with thresholds", id)
			continue
		}
		s, th := signals[i], defaults[SignalID(id)]
		got := []string{field(o, "title"), field(o, "unit"), field(o, "warning"), field(o, "critical")}
		want := []string{s.Title, s.Unit, bound(th.Warning), bound(th.Critical)}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: TypeScript title|unit|warning|critical %q, Go %q", id, strings.Join(got, "|"), strings.Join(want, "|"))
		}
	}
	if len(ids) != NumSignals-1 {
		t.Errorf("TypeScript lists %v, want the %d signals with thresholds", ids, NumSignals-1)
	}
}
