package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kelb-dev/kelb/internal/manager"
	"github.com/kelb-dev/kelb/internal/plan"
)

// fileList is a repeatable -f.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// planMain is `kelb plan [kelb's flags] [-f FILE]... [-o text|json]`: what
// kelb would do now, written to stdout; nothing in AWS or the cluster
// changes. Exit status: 0, or 2 with --detailed-exitcode when the plan has
// actions or errors, 1 when the plan could not be made.
func planMain(args []string, stdout, stderr io.Writer) int {
	var opts manager.Options
	opts.BindFlags(flag.CommandLine)
	var files fileList
	flag.CommandLine.Var(&files, "f", "a manifest (YAML, several documents, or JSON) whose Services and Ingresses "+
		"are planned instead of the cluster's, against the cluster's other objects and live AWS; repeatable")
	flag.CommandLine.Var(&files, "filename", "same as -f")
	output := flag.CommandLine.String("o", "text", "output format: text or json")
	detailed := flag.CommandLine.Bool("detailed-exitcode", false, "exit 2 when the plan is not empty")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	if _, err := manager.ParseFlags(flag.CommandLine, args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return planFailed(stderr, err)
	}
	if *output != "text" && *output != "json" {
		return planFailed(stderr, fmt.Errorf("-o %q: allowed: text, json", *output))
	}
	if err := opts.Validate(); err != nil {
		return planFailed(stderr, err)
	}
	// Logs go to stderr: stdout is the plan.
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts), zap.WriteTo(stderr)))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return planFailed(stderr, err)
	}
	p, err := manager.Plan(ctrl.SetupSignalHandler(), cfg, opts, manager.PlanOptions{Files: files}, manager.Overrides{})
	if err != nil {
		return planFailed(stderr, err)
	}
	if *output == "json" {
		err = plan.WriteJSON(stdout, p)
	} else {
		err = plan.WriteText(stdout, p)
	}
	if err != nil {
		return planFailed(stderr, err)
	}
	if *detailed && !p.Empty() {
		return 2
	}
	return 0
}

// planFailed reports why no plan was made: exit status 1.
func planFailed(stderr io.Writer, err error) int {
	_, _ = fmt.Fprintln(stderr, "kelb plan:", err)
	return 1
}
