package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestVersionLine: the version line names kelb, a commit and the Go
// version, and a version set at link time wins.
func TestVersionLine(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "v9.9.9"
	got := versionLine()
	for _, want := range []string{"kelb v9.9.9 ", " commit ", " " + runtime.Version()} {
		if !strings.Contains(got, want) {
			t.Errorf("version line %q lacks %q", got, want)
		}
	}
}
