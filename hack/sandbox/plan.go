package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kelb-dev/kelb/internal/testenv"
)

// kelbFlags are the flags the sandbox runs kelb with, and plans with.
func kelbFlags(kubeconfig, endpoints string, w *testenv.World) []string {
	return []string{"--kubeconfig", kubeconfig, "--cluster-name", w.Cluster, "--aws-region", testenv.Region,
		"--aws-vpc-id", w.VPCID, "--aws-api-endpoints", endpoints, "--leader-election-namespace", "default"}
}

// planCommand is the command line of `kelb plan` against the sandbox.
func planCommand(kubeconfig, endpoints string, w *testenv.World) string {
	args := kelbFlags(kubeconfig, endpoints, w)
	for i, a := range args {
		if strings.ContainsAny(a, " ,=") {
			args[i] = "'" + a + "'"
		}
	}
	return fmt.Sprintf("AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=x bin/kelb plan %s", w.Account, strings.Join(args, " "))
}

// printPlan runs `kelb plan` against the sandbox once kelb has served the
// examples: it should find nothing to do.
func printPlan(ctx context.Context, root, kubeconfig, endpoints string, w *testenv.World) error {
	step("kelb plan (what kelb would still change: nothing, once it has converged)")
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin", "kelb"), append([]string{"plan"},
		kelbFlags(kubeconfig, endpoints, w)...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+w.Account, "AWS_SECRET_ACCESS_KEY=secret")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kelb plan: %w: %s", err, errOut.String())
	}
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		fmt.Println("   ", line)
	}
	return nil
}
