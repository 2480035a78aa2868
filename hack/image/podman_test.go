package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImageRunsUnderPodman loads the image built from this tree into podman
// and runs kelb --version in it: the binary starts as the non-root user in
// an image with nothing else, and names its version and commit.
func TestImageRunsUnderPodman(t *testing.T) {
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman not installed: the image is checked for layout, user and digest only")
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "kelb-image.tar")
	tag, err := run(filepath.Join(dir, "layout"), archive, runtime.GOARCH, "localhost/kelb-image-test")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(podman, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(podman, "rmi", "-f", tag.String()).Run() })
	facts, err := gitFacts()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(podman, "run", "--rm", "--read-only", tag.String(), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("podman run %s --version: %v\n%s", tag, err, out)
	}
	line := strings.TrimSpace(string(out))
	if !strings.HasPrefix(line, "kelb "+facts.version+" commit "+facts.commit()+" ") {
		t.Errorf("kelb --version in the image printed %q; want kelb %s commit %s go...", line, facts.version,
			facts.commit())
	}
	id, err := exec.Command(podman, "image", "inspect", "--format", "{{.Config.User}}", tag.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(id)); got != "65532:65532" {
		t.Errorf("image user %q; want 65532:65532", got)
	}
}
