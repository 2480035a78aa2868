// Command image builds kelb's container image without a daemon and without
// downloading a base image: a static kelb binary, a non-root user and a CA
// bundle in one layer, written as an OCI layout (bin/image) and a
// docker-archive tarball (bin/kelb-image.tar). The same commit gives the
// same digest: every time in the image is the commit's, entries are sorted,
// owners fixed, and the binary is built with -trimpath.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	out := flag.String("out", "bin/image", "folder of the OCI layout (replaced)")
	archive := flag.String("tar", "bin/kelb-image.tar", "docker-archive tarball to write too (empty: none)")
	arch := flag.String("arch", "amd64", "GOARCH of the image")
	repo := flag.String("repository", "kelb", "repository name in the tarball's tag")
	flag.Parse()
	if _, err := run(*out, *archive, *arch, *repo); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// run builds the image and writes it; it returns the tag the tarball
// carries.
func run(out, archive, arch, repo string) (name.Tag, error) {
	var tag name.Tag
	facts, err := gitFacts()
	if err != nil {
		return tag, err
	}
	tmp, err := os.MkdirTemp("", "kelb-image-")
	if err != nil {
		return tag, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	binary, err := buildKelb(facts.root, filepath.Join(tmp, "kelb"), facts, arch)
	if err != nil {
		return tag, err
	}
	img, err := assemble(imageInput{Binary: binary, CABundle: caBundlePEM(), Version: facts.version,
		Revision: facts.revision, Source: facts.source, Created: facts.created, Arch: arch})
	if err != nil {
		return tag, err
	}
	if tag, err = name.NewTag(repo + ":" + tagOf(facts.version)); err != nil {
		return tag, fmt.Errorf("tag: %w", err)
	}
	if err := writeLayout(out, img, tag); err != nil {
		return tag, err
	}
	if archive != "" {
		if err := tarball.WriteToFile(archive, tag, img); err != nil {
			return tag, fmt.Errorf("writing %s: %w", archive, err)
		}
	}
	return tag, report(img, out, archive, tag)
}

// writeLayout replaces out with an OCI layout holding img alone, named tag.
func writeLayout(out string, img v1.Image, tag name.Tag) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.TagStr(),
	})); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

func report(img v1.Image, out, archive string, tag name.Tag) error {
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed, uncompressed int64
	for _, l := range layers {
		c, err := l.Size()
		if err != nil {
			return err
		}
		u, err := uncompressedSize(l)
		if err != nil {
			return err
		}
		compressed, uncompressed = compressed+c, uncompressed+u
	}
	fmt.Printf("image %s\n  digest %s\n  size %.1f MB compressed, %.1f MB unpacked\n  OCI layout %s\n",
		tag, digest, float64(compressed)/1e6, float64(uncompressed)/1e6, out)
	if archive != "" {
		fmt.Printf("  docker-archive %s (podman load -i %s)\n", archive, archive)
	}
	return nil
}

// tagOf makes a version a valid tag: "+" is not allowed in one.
func tagOf(version string) string { return strings.ReplaceAll(version, "+", "_") }

type facts struct {
	root, version, revision, source string
	dirty                           bool // the tree has changes the commit lacks
	created                         time.Time
}

// commit is the revision as kelb --version shows it.
func (f facts) commit() string {
	if f.dirty {
		return f.revision + "-dirty"
	}
	return f.revision
}

// gitFacts reads the commit, its time and a version from git. The source is
// the module's public address, not wherever this clone came from.
func gitFacts() (facts, error) {
	var f facts
	revision, err := output("git", "rev-parse", "HEAD")
	if err != nil {
		return f, err
	}
	seconds, err := output("git", "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return f, err
	}
	unix, err := strconv.ParseInt(seconds, 10, 64)
	if err != nil {
		return f, fmt.Errorf("commit time %q: %w", seconds, err)
	}
	version, err := output("git", "describe", "--tags", "--always", "--dirty")
	if err != nil {
		return f, err
	}
	module, err := output("go", "list", "-m", "-f", "{{.Path}} {{.Dir}}")
	if err != nil {
		return f, err
	}
	path, root, _ := strings.Cut(module, " ")
	return facts{root: root, version: version, revision: revision, source: "https://" + path,
		dirty: strings.HasSuffix(version, "-dirty"), created: time.Unix(unix, 0).UTC()}, nil
}

// buildKelb builds a static kelb for linux/arch with what makes the build
// reproducible (-trimpath, no cgo) and names its version and commit for
// kelb --version: at link time, as Go stamps the commit (-buildvcs) only
// in a plain clone.
func buildKelb(root, path string, f facts, arch string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=auto",
		"-ldflags", "-s -w -X main.version="+f.version+" -X main.commit="+f.commit(), "-o", path, "./cmd/kelb")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building kelb: %w", err)
	}
	return os.ReadFile(path)
}

func output(name string, args ...string) (string, error) {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(b)), nil
}
