// Package promname checks metric and label names and writes them as PromQL. Classic names
// ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels) are written as
// they are, so every engine reads them; any other UTF-8 name (OpenTelemetry's
// service.name, http.server.request.duration) is written in Prometheus 3's quoted-name
// syntax: {"service.name"="checkout"}, sum by ("service.name") (...),
// {"http.server.request.duration"}. Every place that puts a user's or a setting's name
// into an expression goes through this package.
package promname

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

// CheckLabel tells whether name can be a label name in a matcher, a grouping or a setting:
// non-empty UTF-8 without control characters, not starting with "__" (reserved for
// Prometheus's own labels).
func CheckLabel(name string) error {
	if err := check("label", name); err != nil {
		return err
	}
	if strings.HasPrefix(name, "__") {
		return fmt.Errorf("label name %q starts with \"__\", which Prometheus reserves for its own labels", name)
	}
	return nil
}

// CheckMetric tells whether name can be a metric name: non-empty UTF-8 without control
// characters or braces (a name with braces is a selector typed where a name goes).
func CheckMetric(name string) error {
	if err := check("metric", name); err != nil {
		return err
	}
	if strings.ContainsAny(name, "{}") {
		return fmt.Errorf("metric name %q has braces: give the metric's name alone, and label matchers in their own field", name)
	}
	return nil
}

func check(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s name is empty", kind)
	case !utf8.ValidString(name):
		return fmt.Errorf("%s name %q is not valid UTF-8", kind, name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%s name %q has control characters", kind, name)
	}
	return nil
}

// Classic tells whether a label name needs no quotes (and so works on every engine,
// Prometheus 2 and VictoriaMetrics included).
func Classic(label string) bool { return model.LegacyValidation.IsValidLabelName(label) }

// ClassicMetric tells whether a metric name needs no quotes.
func ClassicMetric(metric string) bool { return model.LegacyValidation.IsValidMetricName(metric) }

// Label writes a label name for a matcher or a grouping: as it is when classic, else as a
// PromQL string ("service.name").
func Label(name string) string {
	if Classic(name) {
		return name
	}
	return strconv.Quote(name)
}

// Labels writes a grouping's label list: job, "service.name".
func Labels(names ...string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Label(n)
	}
	return strings.Join(out, ", ")
}

// Matcher writes one label matcher: name op "value", op one of =, !=, =~, !~.
func Matcher(name, op, value string) string { return Label(name) + op + strconv.Quote(value) }

// Selector writes the vector selector of metric within a matcher list (without braces,
// possibly empty): m, m{job="demo"}, or {"my.metric",job="demo"} for a UTF-8 name.
func Selector(metric, matchers string) string {
	matchers = strings.Trim(matchers, ",")
	if ClassicMetric(metric) {
		if matchers == "" {
			return metric
		}
		return metric + "{" + matchers + "}"
	}
	if matchers == "" {
		return "{" + strconv.Quote(metric) + "}"
	}
	return "{" + strconv.Quote(metric) + "," + matchers + "}"
}
