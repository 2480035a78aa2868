package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kelb-dev/kelb/internal/testenv"
)

// kelbProcess is bin/kelb running against the bench's parts.
type kelbProcess struct {
	cmd     *exec.Cmd
	log     string // its output
	stopped bool
}

func (b *bench) startKelb(name string, extra ...string) (*kelbProcess, error) {
	root, _ := testenv.RepoRoot()
	logPath := filepath.Join(b.dir, "kelb-"+name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--kubeconfig", b.kubeconfig, "--cluster-name", b.world.Cluster,
		"--aws-region", testenv.Region, "--aws-vpc-id", b.world.VPCID, "--aws-api-endpoints", b.env.EndpointsFlag(),
		"--enable-leader-election=false", "--metrics-bind-addr", "0", "--health-probe-bind-addr", "0"}, extra...)
	cmd := exec.Command(filepath.Join(root, "bin", "kelb"), args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+b.world.Account, "AWS_SECRET_ACCESS_KEY=secret")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting bin/kelb (make bench builds it): %w", err)
	}
	return &kelbProcess{cmd: cmd, log: logPath}, nil
}

// stop stops the process once; later calls do nothing.
func (k *kelbProcess) stop() {
	if k.stopped {
		return
	}
	k.stopped = true
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = k.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = k.cmd.Process.Kill()
		<-done
	}
}

// status reads the process's memory lines of /proc/<pid>/status, in MB:
// VmRSS (resident now), VmHWM (its peak), RssAnon (the process's own
// memory) and RssFile (pages of the binary and other files it maps).
func (k *kelbProcess) status() map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", k.cmd.Process.Pid))
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 3 || fields[2] != "kB" {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		out[strings.TrimSuffix(fields[0], ":")] = kb / 1024
	}
	return out
}

// heapAtStop is what kelb's --mem-profile logged when it stopped: its Go
// heap right after a collection, with every cache still filled.
type heapAtStop struct {
	HeapInuseBytes float64 `json:"heapInuseBytes"`
	HeapAllocBytes float64 `json:"heapAllocBytes"`
	HeapObjects    float64 `json:"heapObjects"`
	SysBytes       float64 `json:"sysBytes"`
}

// heapAtStop reads kelb's log (after stop) for its --mem-profile line.
func (k *kelbProcess) heapAtStop() (heapAtStop, error) {
	f, err := os.Open(k.log)
	if err != nil {
		return heapAtStop{}, err
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		var line struct {
			Msg string `json:"msg"`
			heapAtStop
		}
		if json.Unmarshal(s.Bytes(), &line) == nil && line.Msg == "wrote heap profile" {
			return line.heapAtStop, nil
		}
	}
	return heapAtStop{}, fmt.Errorf("no heap profile line in %s", k.log)
}
