package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestVersionLine: the version line names kelb, a commit and the Go
// version, and a version and commit set at link time win.
func TestVersionLine(t *testing.T) {
	oldVersion, oldCommit := version, commit
	defer func() { version, commit = oldVersion, oldCommit }()
	version, commit = "v9.9.9", "0123abcd"
	got := versionLine()
	for _, want := range []string{"kelb v9.9.9 ", " commit 0123abcd ", " " + runtime.Version()} {
		if !strings.Contains(got, want) {
			t.Errorf("version line %q lacks %q", got, want)
		}
	}
}
