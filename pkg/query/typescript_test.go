package query

import (
	"encoding/json"
	"os"
	"testing"
)

// The editors' example queries (src/testdata/queries.json, written as the TypeScript
// editors write them) decode with the Go decoders and pass their checks. That they write
// only the fields of their model is checked against the schema (src/schema.test.ts).
func TestTypeScriptExamples(t *testing.T) {
	raw, err := os.ReadFile("../../src/testdata/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var examples []json.RawMessage
	if err := json.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	seen := map[Type]bool{}
	for _, ex := range examples {
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(ex, &keys)
		var qt Type
		_ = json.Unmarshal(keys["queryType"], &qt)
		seen[qt] = true
		switch qt {
		case TypePromQL:
			q, _, err := ParsePromQL(ex)
			if err == nil && (!q.Ranged() || !q.Instant || q.Format != FormatTable) {
				t.Errorf("promql example decoded as %+v", q)
			}
			checkErr(t, qt, err)
		case TypeRuntime:
			_, err := ParseRuntime(ex)
			checkErr(t, qt, err)
		case TypeBusiness:
			q, err := ParseBusiness(ex)
			checkErr(t, qt, err)
			if len(q.Quantiles) == 0 || len(q.GroupBy) == 0 {
				t.Errorf("business example decoded as %+v", q)
			}
		case TypeExpvar:
			_, err := ParseExpvar(ex)
			checkErr(t, qt, err)
		case TypeAlerts:
			_, err := ParseAlerts(ex)
			checkErr(t, qt, err)
		case TypeHealth:
			_, err := ParseHealth(ex)
			checkErr(t, qt, err)
		case TypeVariable:
			_, err := ParseVariable(ex)
			checkErr(t, qt, err)
		default:
			t.Errorf("example of unknown query type %q", qt)
		}
	}
	for _, qt := range []Type{TypePromQL, TypeRuntime, TypeBusiness, TypeAlerts, TypeExpvar, TypeHealth, TypeVariable} {
		if !seen[qt] {
			t.Errorf("no %s example in src/testdata/queries.json", qt)
		}
	}
}

func checkErr(t *testing.T, qt Type, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s example: %v", qt, err)
	}
}
