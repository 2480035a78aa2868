// Command chart-sync writes the chart's generated templates from what
// controller-gen makes: the CRDs of config/crd and the RBAC rules of
// config/rbac/role.yaml (from the kubebuilder markers in kelb's code).
// `make generate` runs it and `make verify` fails when the chart drifts.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kelb-dev/kelb/internal/chartsync"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	files, err := chartsync.Generate(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart-sync:", err)
		os.Exit(1)
	}
	// The CRD folder holds only generated files: a CRD gone from
	// config/crd goes from the chart too.
	if err := os.RemoveAll(filepath.Join(root, chartsync.ChartCRDDir)); err != nil {
		fmt.Fprintln(os.Stderr, "chart-sync:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f.Path)), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "chart-sync:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(root, f.Path), f.Content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "chart-sync:", err)
			os.Exit(1)
		}
	}
}
