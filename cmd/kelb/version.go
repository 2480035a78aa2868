package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3") by
// release builds; otherwise the module's version from the build info.
var version = ""

// commit is set at link time (-X main.commit=...) by builds that know it
// when the build info cannot: Go stamps the commit only in a plain clone,
// not in a git worktree, and not when GOFLAGS says -buildvcs=false.
var commit = ""

// versionLine is what --version prints: kelb's version, the commit it was
// built from (with "-dirty" when the tree had changes), and the Go version.
func versionLine() string {
	v, rev := version, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && rev != "unknown" {
			rev += "-dirty"
		}
	}
	if commit != "" {
		rev = commit
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("kelb %s commit %s %s", v, rev, runtime.Version())
}
