// Command iamcoverage lists the permissions of kelb's IAM policy that no
// kelb call in the last integration run needed: candidates for removal, or
// for a test. A list, never a failure: a run of some tests exercises only
// some permissions.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

func main() {
	if err := run("config/iam/policy.json", "bin/iam-exercised-actions.txt"); err != nil {
		fmt.Fprintln(os.Stderr, "iamcoverage:", err)
		os.Exit(1)
	}
}

func run(policyFile, exercisedFile string) error {
	policy, err := awsproxy.LoadPolicy(policyFile)
	if err != nil {
		return err
	}
	f, err := os.Open(exercisedFile)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Printf("IAM policy: %d actions; no record of the actions kelb's calls exercised (%s): run make integration first\n",
			len(policy.Actions()), exercisedFile)
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only: a close error loses nothing
	var exercised []string
	from := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			from = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		case line != "":
			exercised = append(exercised, strings.Fields(line)[0]) // the action, then its counts
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	unused := policy.Unexercised(exercised)
	fmt.Printf("IAM policy: %d actions, %d exercised by kelb's calls (%s)\n", len(policy.Actions()), len(exercised), from)
	if len(unused) == 0 {
		return nil
	}
	fmt.Printf("Policy actions no test exercised (a list, not a failure):\n")
	for _, a := range unused {
		fmt.Println("  " + a)
	}
	return nil
}
