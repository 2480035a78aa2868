// Command kelb is the controller manager: flags, then the manager.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kelb-dev/kelb/internal/manager"
)

func main() {
	var opts manager.Options
	opts.BindFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	ctx := ctrl.SetupSignalHandler()
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kelb:", err)
		os.Exit(1)
	}
	if err := manager.Run(ctx, cfg, opts, manager.Overrides{}); err != nil {
		fmt.Fprintln(os.Stderr, "kelb:", err)
		os.Exit(1)
	}
}
