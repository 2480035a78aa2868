// Command helm-template prints what `helm template` prints for kelb's
// chart, rendered with Helm's Go SDK (no helm binary needed):
//
//	go run ./hack/helm-template --set clusterName=demo [-f values.yaml] [--namespace ns] [--name release]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/kelb-dev/kelb/internal/chart"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var sets, files list
	name := flag.String("name", chart.DefaultRelease.Name, "release name")
	namespace := flag.String("namespace", chart.DefaultRelease.Namespace, "release namespace")
	dir := flag.String("chart", chart.Dir, "chart folder")
	notes := flag.Bool("notes", false, "print the NOTES too")
	flag.Var(&sets, "set", "a value, key=value (Helm's --set syntax; repeatable)")
	flag.Var(&files, "f", "a values file (repeatable)")
	flag.Parse()

	values := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			fail(fmt.Errorf("%s: %w", f, err))
		}
		values = merge(values, m)
	}
	for _, s := range sets {
		if err := strvals.ParseInto(s, values); err != nil {
			fail(fmt.Errorf("--set %s: %w", s, err))
		}
	}
	out, err := chart.Render(*dir, chart.Release{Name: *name, Namespace: *namespace}, values)
	if err != nil {
		fail(err)
	}
	fmt.Print(out.String())
	if *notes {
		fmt.Printf("\nNOTES:\n%s\n", out.Notes)
	}
}

// merge lays b over a, maps key by key (as Helm merges values files).
func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := a[k].(map[string]any); ok {
				a[k] = merge(am, bm)
				continue
			}
		}
		a[k] = v
	}
	return a
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helm-template:", err)
	os.Exit(1)
}
