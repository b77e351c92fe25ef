package query

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	sdkapi "github.com/grafana/grafana-plugin-sdk-go/experimental/apis/datasource/v0alpha1"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/schemabuilder"
)

var update = flag.Bool("update", false, "rewrite the query types' JSON schema (src/schema) from the models")

// schemaDir holds the JSON schema of every query type, generated from the models here;
// the frontend's test (src/schema.test.ts) holds src/types.ts to it.
const (
	schemaDir        = "../../src/schema"
	schemaAPIVersion = "v0alpha1"
	schemaFile       = "query.types.json"
)

// The checked-in schema of the query types is what the models generate: any change to a
// model's fields, their enums or the query types fails here until the schema is
// regenerated with -update (which rewrites it, reports the differences and fails).
func TestSchema(t *testing.T) {
	b, err := schemabuilder.NewSchemaBuilder(schemabuilder.BuilderOptions{
		PluginID: []string{"gopulse-health-datasource"},
		ScanCode: []schemabuilder.CodePaths{{BasePackage: "github.com/gopulse/health/pkg/query", CodePath: "./"}},
		Enums: []reflect.Type{
			reflect.TypeFor[Format](),
			reflect.TypeFor[Source](),
			reflect.TypeFor[Aggregation](),
			reflect.TypeFor[ExpvarMode](),
			reflect.TypeFor[AlertsSource](),
			reflect.TypeFor[AlertsFormat](),
			reflect.TypeFor[HealthFormat](),
			reflect.TypeFor[VariableKind](),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	models := []struct {
		qt    Type
		model any
		desc  string
	}{
		{TypePromQL, PromQL{}, "A PromQL expression: range, instant or both."},
		{TypeRuntime, Runtime{}, "A signal of the Go runtime catalogue for a scope."},
		{TypeBusiness, Business{}, "One of the service's metrics, shaped by its type."},
		{TypeExpvar, Expvar{}, "Expvar targets' variables: latest values, history or rate."},
		{TypeAlerts, Alerts{}, "Active alerts from Prometheus, Alertmanager or both."},
		{TypeHealth, Health{}, "The verdict on every Go instance of a scope."},
		{TypeVariable, VariableModel{}, "A template-variable query."},
	}
	infos := make([]schemabuilder.QueryTypeInfo, len(models))
	for i, m := range models {
		infos[i] = schemabuilder.QueryTypeInfo{
			Discriminators: sdkapi.NewDiscriminators("queryType", string(m.qt)),
			Description:    m.desc,
			GoType:         reflect.TypeOf(m.model),
		}
	}
	if err := b.AddQueries(infos); err != nil {
		t.Fatal(err)
	}

	dir := schemaDir
	if !*update {
		// The SDK's writer rewrites what differs: without -update it writes to a copy.
		dir = t.TempDir()
		existing, err := os.ReadFile(filepath.Join(schemaDir, schemaAPIVersion, schemaFile))
		if err != nil {
			t.Fatalf("%v: generate it with go test ./pkg/query -run TestSchema -update", err)
		}
		if err := os.MkdirAll(filepath.Join(dir, schemaAPIVersion), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, schemaAPIVersion, schemaFile), existing, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.UpdateProviderFiles(t, schemaAPIVersion, dir)
	if t.Failed() && !*update {
		t.Log("the query models changed: go test ./pkg/query -run TestSchema -update, then review git diff src/schema and update src/types.ts")
	}
}
