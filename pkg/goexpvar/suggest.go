package goexpvar

import (
	"cmp"
	"slices"
)

// Suggestion is a path offered in the query editor: a path of the targets' documents
// with every array index as [*], the top-level variable it belongs to, its kind, and
// how many targets publish it.
type Suggestion struct {
	Path    string `json:"path"`
	Group   string `json:"group"`
	Kind    string `json:"kind"`
	Targets int    `json:"targets"`
}

// MaxSuggestions bounds the suggestions of Suggest.
const MaxSuggestions = 2000

// standardGroups are the top-level variables the expvar package publishes in every Go
// service: suggested after the service's own.
var standardGroups = []string{"memstats", "cmdline"}

// Suggest lists the paths of the documents of several targets, arrays folded to [*] (so
// that memstats.PauseNs is one entry, not 256), grouped by top-level variable: the
// services' own variables first, then those of the expvar package (memstats, cmdline),
// each group in path order; at most MaxSuggestions.
func Suggest(docs ...[]Var) []Suggestion {
	byPath := map[string]*Suggestion{}
	for _, vars := range docs {
		seen := map[string]bool{}
		for _, v := range vars {
			if len(v.Path) == 0 {
				continue
			}
			folded := Pattern{elems: make([]elem, len(v.Path))}
			for i, s := range v.Path {
				folded.elems[i] = elem{kind: elemKey, key: s.Key}
				if s.IsIndex {
					folded.elems[i] = elem{kind: elemAnyIndex}
				}
			}
			p := folded.String()
			if seen[p] {
				continue
			}
			seen[p] = true
			s, ok := byPath[p]
			if !ok {
				group := v.Path[0].Key
				s = &Suggestion{Path: p, Group: group, Kind: v.Kind.String()}
				byPath[p] = s
			}
			s.Targets++
		}
	}
	out := make([]Suggestion, 0, len(byPath))
	for _, s := range byPath {
		out = append(out, *s)
	}
	rank := func(group string) int { return slices.Index(standardGroups, group) + 1 } // own variables: 0
	slices.SortFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(rank(a.Group), rank(b.Group)), cmp.Compare(a.Group, b.Group), cmp.Compare(a.Path, b.Path))
	})
	return out[:min(len(out), MaxSuggestions)]
}
