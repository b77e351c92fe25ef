package query

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The editors' example queries (src/testdata/queries.json, written as the TypeScript
// editors write them) decode with the Go decoders, and every key they write is a field of
// the Go model: the two query models stay in step.
func TestTypeScriptExamples(t *testing.T) {
	raw, err := os.ReadFile("../../src/testdata/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var examples []json.RawMessage
	if err := json.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	common := map[string]bool{"refId": true, "queryType": true, "datasource": true, "hide": true, "key": true}
	seen := map[Type]bool{}
	for _, ex := range examples {
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(ex, &keys)
		var qt Type
		_ = json.Unmarshal(keys["queryType"], &qt)
		seen[qt] = true
		var model any
		switch qt {
		case TypePromQL:
			q, _, err := ParsePromQL(ex)
			if err == nil && (!q.Ranged() || !q.Instant || q.Format != FormatTable) {
				t.Errorf("promql example decoded as %+v", q)
			}
			checkErr(t, qt, err)
			model = q
		case TypeRuntime:
			q, err := ParseRuntime(ex)
			checkErr(t, qt, err)
			model = q
		case TypeBusiness:
			q, err := ParseBusiness(ex)
			checkErr(t, qt, err)
			if len(q.Quantiles) == 0 || len(q.GroupBy) == 0 {
				t.Errorf("business example decoded as %+v", q)
			}
			model = q
		case TypeExpvar:
			q, err := ParseExpvar(ex)
			checkErr(t, qt, err)
			model = q
		case TypeAlerts:
			q, err := ParseAlerts(ex)
			checkErr(t, qt, err)
			model = q
		case TypeHealth:
			q, err := ParseHealth(ex)
			checkErr(t, qt, err)
			model = q
		case TypeVariable:
			q, err := ParseVariable(ex)
			checkErr(t, qt, err)
			model = struct {
				VariableQuery Variable `json:"variableQuery"`
			}{q}
		default:
			t.Errorf("example of unknown query type %q", qt)
			continue
		}
		known := jsonKeys(reflect.TypeOf(model))
		for k := range keys {
			if !common[k] && !known[k] {
				t.Errorf("%s example writes %q, which the Go model does not read", qt, k)
			}
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

func jsonKeys(rt reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		keys[name] = true
	}
	return keys
}
