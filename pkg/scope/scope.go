// Package scope is the scope of a query (a job and an instance regex) as a PromQL
// label-matcher list, shared by the runtime, business and health queries, and the checks
// of label names and matcher lists.
package scope

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gopulse/health/pkg/promname"
)

// Selector is the scope of a query as PromQL: a validated label-matcher list (without
// braces) and the labels that name a target, which expressions keep when they aggregate.
type Selector struct {
	// Matchers is empty (every target) or a comma-separated matcher list, e.g.
	// job="demo",instance=~"127\\.0\\.0\\.1:.*".
	Matchers string
	// JobLabel and InstanceLabel are the label names of the job and the instance.
	JobLabel, InstanceLabel string
	// instance is the instance regex, anchored (nil for every instance).
	instance *regexp.Regexp
}

// Anchored compiles a user's regular expression anchored as PromQL's =~ reads it
// (^(?:expr)$); an empty expression is nil, which matches everything.
func Anchored(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	// Whatever compiles alone compiles anchored; the error then quotes what the user wrote.
	if _, err := regexp.Compile(expr); err != nil {
		return nil, fmt.Errorf("%q is not a valid regular expression: %v", expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return regexp.Compile("^(?:" + expr + ")$")
}

// HasInstance tells whether an instance is in the scope's instance regex.
func (s Selector) HasInstance(instance string) bool {
	return s.instance == nil || s.instance.MatchString(instance)
}

// NewSelector makes the selector of a scope: job matches exactly, instance is a regular
// expression (RE2, anchored, as Prometheus reads it); an empty job or instance matches
// every value. Empty label names default to "job" and "instance".
func NewSelector(job, instance, jobLabel, instanceLabel string) (Selector, error) {
	s := Selector{JobLabel: jobLabel, InstanceLabel: instanceLabel}
	if s.JobLabel == "" {
		s.JobLabel = "job"
	}
	if s.InstanceLabel == "" {
		s.InstanceLabel = "instance"
	}
	for _, l := range []string{s.JobLabel, s.InstanceLabel} {
		if err := promname.CheckLabel(l); err != nil {
			return Selector{}, err
		}
	}
	if s.JobLabel == s.InstanceLabel {
		return Selector{}, fmt.Errorf("the job and instance labels are both %q: they must differ", s.JobLabel)
	}
	var m []string
	if job != "" {
		m = append(m, promname.Matcher(s.JobLabel, "=", job))
	}
	if instance != "" {
		re, err := Anchored(instance)
		if err != nil {
			return Selector{}, fmt.Errorf("instance %w", err)
		}
		s.instance = re
		m = append(m, promname.Matcher(s.InstanceLabel, "=~", instance))
	}
	s.Matchers = strings.Join(m, ",")
	return s, nil
}

// String is the selector as PromQL braces, for messages: {job="demo"}, or {} for every
// target.
func (s Selector) String() string { return "{" + s.Matchers + "}" }

// By is the grouping that keeps one series per target: "job, instance" (quoted when
// UTF-8: "service.name", "service.instance.id").
func (s Selector) By() string { return promname.Labels(s.JobLabel, s.InstanceLabel) }

// PresenceQuery is an instant query that returns one sample per metric of metrics that
// has series in the scope, labelled __name__: the caller's answer to "which metrics
// exist?" in one request, for Signal.Expr's present function. The names must be metric
// names, as Signal.Metrics returns them.
func (s Selector) PresenceQuery(metrics []string) string {
	return "count by (__name__) (" + s.SeriesOf(metrics) + ")"
}

// SeriesOf is the series selector of the metrics in the scope, for the series and label
// APIs: {__name__=~"a|b",job="demo"}.
func (s Selector) SeriesOf(metrics []string) string {
	m := `__name__=~"` + strings.Join(metrics, "|") + `"`
	if s.Matchers != "" {
		m += "," + s.Matchers
	}
	return "{" + m + "}"
}

var promql = parser.NewParser(parser.Options{})

// ParseMatchers parses a user's label-matcher list (`job="demo",path=~"/api/.*"`, or
// `"service.name"="checkout"` for a UTF-8 name, without braces), selecting metric too when
// it is not empty. Errors carry the parser's message
// without its positions, which would point into the text with the braces added.
func ParseMatchers(metric, text string) ([]*labels.Matcher, error) {
	sel := "{" + text + "}"
	if metric != "" {
		sel = promname.Selector(metric, text)
	}
	ms, err := promql.ParseMetricSelector(sel)
	if err != nil {
		var pe parser.ParseErrors
		if errors.As(err, &pe) && len(pe) > 0 {
			err = pe[0].Err
		}
		return nil, err
	}
	return ms, nil
}
