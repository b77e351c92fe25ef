// Package frametest holds what tests of several packages read from data frames.
package frametest

import "github.com/grafana/grafana-plugin-sdk-go/data"

// NoticeTexts are the texts of a frame's notices, in order.
func NoticeTexts(f *data.Frame) []string {
	if f.Meta == nil {
		return nil
	}
	var out []string
	for _, n := range f.Meta.Notices {
		out = append(out, n.Text)
	}
	return out
}
