package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// PolicyFile is kelb's published IAM policy, from the repository root.
const PolicyFile = "config/iam/policy.json"

// ExercisedActionsFile is where a test run writes the IAM actions its kelb
// calls needed (from the repository root; bin/ is not committed).
const ExercisedActionsFile = "bin/iam-exercised-actions.txt"

// EnforcePolicy has the proxy evaluate kelb's published IAM policy on every
// call kelb makes: a call it does not allow fails as on AWS.
func (e *Env) EnforcePolicy() error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	p, err := awsproxy.LoadPolicy(filepath.Join(root, PolicyFile))
	if err != nil {
		return err
	}
	e.Proxy.IAM.SetPolicy(p)
	return nil
}

// PolicyReport writes the actions kelb's calls exercised to
// ExercisedActionsFile (run names the tests that ran, "" for all), and
// returns an error listing every call the published policy denied.
// Denials of accounts that ran with a policy of their own on purpose are
// not errors.
func (e *Env) PolicyReport(run string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# IAM actions kelb's calls needed in: go test ./test/integration/ -run %q\n", run)
	allowed, refused := e.Proxy.IAM.Counts()
	for _, a := range e.Proxy.IAM.Exercised() {
		fmt.Fprintf(&b, "%s\tallowed %d\tdenied %d\n", a, allowed[a], refused[a])
	}
	file := filepath.Join(root, ExercisedActionsFile)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	var denied []string
	for _, d := range e.Proxy.IAM.Denials() {
		if !d.Deliberate {
			denied = append(denied, "  "+d.String())
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("the IAM policy (%s) denied %d of kelb's calls:\n%s", PolicyFile, len(denied),
			strings.Join(denied, "\n"))
	}
	return nil
}
