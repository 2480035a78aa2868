package main

import (
	"bytes"
	"strings"
	"testing"
)

// A wrong -o stops the plan before the cluster or AWS is reached.
func TestPlanRefusesUnknownOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	code := planMain([]string{"--cluster-name", "c", "-o", "yaml"}, &out, &errOut)
	if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), `-o "yaml": allowed: text, json`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
