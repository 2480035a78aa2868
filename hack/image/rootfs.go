package main

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The non-root user kelb runs as: 65532 is the "nonroot" id of distroless
// images, which clusters' policies (runAsNonRoot, PSA restricted) know.
const (
	nonRootID   = 65532
	nonRootName = "nonroot"
	caFile      = "/etc/ssl/certs/ca-certificates.crt"
	binaryPath  = "/kelb"
)

// file is one entry of the image's only layer.
type file struct {
	path string // absolute, without a trailing slash
	mode int64
	dir  bool
	data []byte
}

// rootFS lists the files of the image: the binary, the user and group
// databases (so that the user has a name and a home) and the CA bundle.
// The binary and the configuration belong to root: kelb can read and run
// them, not change them.
func rootFS(binary, caBundle []byte) []file {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n",
		nonRootName, nonRootID, nonRootID, nonRootName, nonRootName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", nonRootName, nonRootID)
	return []file{
		{path: "/etc", mode: 0o755, dir: true},
		{path: "/etc/group", mode: 0o644, data: []byte(group)},
		{path: "/etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "/etc/ssl", mode: 0o755, dir: true},
		{path: "/etc/ssl/certs", mode: 0o755, dir: true},
		{path: caFile, mode: 0o644, data: caBundle},
		{path: "/home", mode: 0o755, dir: true},
		{path: "/home/" + nonRootName, mode: 0o700, dir: true},
		{path: binaryPath, mode: 0o755, data: binary},
		{path: "/tmp", mode: 0o1777, dir: true},
	}
}

// layerTar writes files as a tar stream that depends only on its inputs:
// entries sorted by path, every time set to mtime, owners fixed (root, but
// the non-root user's home), no user or group names from this machine.
func layerTar(files []file, mtime time.Time) ([]byte, error) {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b file) int { return strings.Compare(a.path, b.path) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range sorted {
		h := &tar.Header{
			Name:    strings.TrimPrefix(f.path, "/"),
			Mode:    f.mode,
			ModTime: mtime.UTC(),
			Format:  tar.FormatPAX,
		}
		if f.path == "/home/"+nonRootName {
			h.Uid, h.Gid = nonRootID, nonRootID
		}
		if f.dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", f.path, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", f.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	return buf.Bytes(), nil
}

// caBundlePEM returns the Mozilla root store as Go's x509roots module
// carries it, as PEM in the module's order. Roots that carry a constraint
// (distrusted for certificates issued after a date) are left out: a PEM
// file cannot say so, and Debian's ca-certificates leaves them out too.
func caBundlePEM() []byte {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}) // writes to memory
	}
	return buf.Bytes()
}
