package goexpvar

import (
	"fmt"
	"testing"
)

// Suggestions come from every document, arrays folded, the services' own variables
// before memstats and cmdline, with how many targets publish each path.
func TestSuggest(t *testing.T) {
	a, err := FlattenBytes([]byte(`{"cmdline":["a"],"memstats":{"PauseNs":[1,2,3],"BySize":[{"Size":8},{"Size":16}]},"raft.status":{"term":2}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := FlattenBytes([]byte(`{"cmdline":["b"],"memstats":{"PauseNs":[4]},"orders":{"created":3}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range Suggest(a, b) {
		got = append(got, fmt.Sprintf("%s %s %s %d", s.Group, s.Path, s.Kind, s.Targets))
	}
	want := []string{
		"orders orders.created number 1",
		`raft.status ["raft.status"].term number 1`,
		"memstats memstats.BySize[*].Size number 1",
		"memstats memstats.PauseNs[*] number 2",
		"cmdline cmdline[*] string 2",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("suggestions\n%q\nwant\n%q", got, want)
	}
}
