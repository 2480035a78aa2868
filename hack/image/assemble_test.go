package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var commitTime = time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)

func testInput() imageInput {
	return imageInput{Binary: []byte("#!not really kelb\n"), CABundle: caBundlePEM(), Version: "v0.3.0-12-gabcdef0",
		Revision: "abcdef0123456789abcdef0123456789abcdef01", Source: "https://github.com/kelb-dev/kelb",
		Created: commitTime, Arch: "amd64"}
}

// TestImageReproducible: two builds from the same input give the same
// digest (and the same layer), and a different commit time changes it: the
// time in the image is the input's, not the clock's.
func TestImageReproducible(t *testing.T) {
	digests := func(in imageInput) (image, layer v1.Hash) {
		t.Helper()
		img, err := assemble(in)
		if err != nil {
			t.Fatal(err)
		}
		image, err = img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if layer, err = ls[0].Digest(); err != nil {
			t.Fatal(err)
		}
		return image, layer
	}
	img1, layer1 := digests(testInput())
	time.Sleep(1100 * time.Millisecond) // a wall-clock second apart: a clock read anywhere would show
	img2, layer2 := digests(testInput())
	if img1 != img2 || layer1 != layer2 {
		t.Errorf("same input, different images: %s (layer %s) and %s (layer %s)", img1, layer1, img2, layer2)
	}
	later := testInput()
	later.Created = commitTime.Add(time.Second)
	if img3, _ := digests(later); img3 == img1 {
		t.Errorf("another commit time, same digest %s", img3)
	}
}

// TestImageConfig: the config runs /kelb as 65532 from /, with the CA
// bundle named and the OCI labels from the input; media types are OCI's.
func TestImageConfig(t *testing.T) {
	img, err := assemble(testInput())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		User:       "65532:65532",
		Entrypoint: []string{"/kelb"},
		WorkingDir: "/",
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels: map[string]string{
			"org.opencontainers.image.created":  "2026-11-30T09:15:00Z",
			"org.opencontainers.image.revision": "abcdef0123456789abcdef0123456789abcdef01",
			"org.opencontainers.image.source":   "https://github.com/kelb-dev/kelb",
			"org.opencontainers.image.title":    "kelb",
			"org.opencontainers.image.version":  "v0.3.0-12-gabcdef0",
		},
	}
	if diff := cmp.Diff(want, cfg.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	type platform struct {
		OS, Arch string
		Created  time.Time
	}
	if diff := cmp.Diff(platform{"linux", "amd64", commitTime},
		platform{cfg.OS, cfg.Architecture, cfg.Created.Time}); diff != "" {
		t.Errorf("platform and time (-want +got):\n%s", diff)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	media := []types.MediaType{m.MediaType, m.Config.MediaType}
	for _, l := range m.Layers {
		media = append(media, l.MediaType)
	}
	if diff := cmp.Diff([]types.MediaType{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer},
		media); diff != "" {
		t.Errorf("media types (-want +got):\n%s", diff)
	}
}

// entry is what the test compares of a tar header.
type entry struct {
	Name     string
	Type     byte
	Mode     int64
	UID, GID int
	ModTime  time.Time
	Size     int64
}

// TestImageLayer: the layer's entries in order, with fixed owners, modes
// and the commit's time; the user databases name the non-root user; the CA
// bundle is a PEM file of parseable certificates.
func TestImageLayer(t *testing.T) {
	in := testInput()
	img, err := assemble(in)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	var got []entry
	contents := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entry{h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime, h.Size})
		if contents[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	dir := func(name string, mode int64, id int) entry {
		return entry{name, tar.TypeDir, mode, id, id, commitTime, 0}
	}
	reg := func(name string, mode, size int64) entry {
		return entry{name, tar.TypeReg, mode, 0, 0, commitTime, size}
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	want := []entry{
		dir("etc/", 0o755, 0),
		reg("etc/group", 0o644, int64(len(group))),
		reg("etc/passwd", 0o644, int64(len(passwd))),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		reg("etc/ssl/certs/ca-certificates.crt", 0o644, int64(len(in.CABundle))),
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, 65532),
		reg("kelb", 0o755, int64(len(in.Binary))),
		dir("tmp/", 0o1777, 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(passwd, string(contents["etc/passwd"])); diff != "" {
		t.Errorf("/etc/passwd (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(group, string(contents["etc/group"])); diff != "" {
		t.Errorf("/etc/group (-want +got):\n%s", diff)
	}
	if !bytes.Equal(contents["kelb"], in.Binary) {
		t.Errorf("/kelb is not the binary given")
	}
	certs := 0
	for rest := contents["etc/ssl/certs/ca-certificates.crt"]; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			t.Errorf("CA bundle certificate %d: %v", certs, err)
		}
		certs++
	}
	if certs < 100 {
		t.Errorf("CA bundle holds %d certificates; want the Mozilla root store (over 100)", certs)
	}
}
