// Command kelb is the controller manager: flags, then the manager.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kelb-dev/kelb/internal/manager"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "plan" {
		os.Exit(planMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	var opts manager.Options
	opts.BindFlags(flag.CommandLine)
	cpuProfile := flag.CommandLine.String("cpu-profile", "",
		"write a CPU profile (pprof) to this file from start until kelb stops; for benchmarks")
	memProfile := flag.CommandLine.String("mem-profile", "",
		"write a heap profile (pprof, after a garbage collection) to this file when kelb is asked to stop, "+
			"before its controllers and caches stop; for benchmarks")
	showVersion := flag.CommandLine.Bool("version", false, "print kelb's version, commit and Go version, and exit")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	// flag.CommandLine also holds controller-runtime's --kubeconfig.
	set, err := manager.ParseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "kelb:", err)
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println(versionLine())
		os.Exit(0)
	}
	if err := opts.Validate(); err != nil { // flag mistakes first, before the cluster is reached
		fmt.Fprintln(os.Stderr, "kelb:", err)
		os.Exit(2)
	}
	if _, own := set["zap-log-level"]; !own && opts.Debug() {
		zapOpts.Level = zapcore.DebugLevel // kelb's V(1) lines
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	if opts.LogLevel != "info" && !opts.Debug() {
		log.Info("unknown --log-level, logging at info as LBC does", "logLevel", opts.LogLevel, "allowed", "info, debug")
	}
	if names := manager.NotHonoured(set); len(names) > 0 {
		log.Info("LBC flags kelb accepts but does not act on yet; their values are ignored", "flags", names)
	}

	ctx := ctrl.SetupSignalHandler()
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kelb:", err)
			os.Exit(2)
		}
		defer stop()
	}
	if *memProfile != "" {
		ctx = heapProfileOnStop(ctx, *memProfile)
	}
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

// startCPUProfile profiles the process until the returned function is
// called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// heapProfileOnStop returns a context that ends once the heap profile has
// been written after ctx ended: the profile shows kelb's memory as it ran,
// with every cache still filled. kelb's Go heap after that collection is
// logged too, for the benchmark to read.
func heapProfileOnStop(ctx context.Context, path string) context.Context {
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer stop()
		<-ctx.Done()
		log := ctrl.Log.WithName("mem-profile")
		// Two collections: what sync.Pools hold (gzip writers of the
		// metrics handler, buffers) survives the first as a pool's victim
		// cache and goes with the second, as it would at rest.
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		f, err := os.Create(path)
		if err != nil {
			log.Error(err, "--mem-profile: cannot create the profile", "path", path)
			return
		}
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if closeErr := f.Close(); err == nil {
			err = closeErr // a profile cut short by a failed close is as bad as a failed write
		}
		if err != nil {
			log.Error(err, "--mem-profile: cannot write the profile", "path", path)
			return
		}
		log.Info("wrote heap profile", "path", path, "heapInuseBytes", m.HeapInuse, "heapAllocBytes", m.HeapAlloc,
			"heapObjects", m.HeapObjects, "sysBytes", m.Sys)
	}()
	return run
}
