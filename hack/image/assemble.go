package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageInput is everything the image is made of. The same input gives the
// same image, byte for byte: nothing here reads the clock or the machine.
type imageInput struct {
	Binary   []byte // the static kelb binary
	CABundle []byte // PEM
	Version  string // as kelb --version prints it
	Revision string // the commit
	Source   string // the repository's address
	Created  time.Time
	Arch     string // GOARCH of Binary
}

// labels are the OCI annotations registries and scanners read.
func (in imageInput) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.created":  in.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.revision": in.Revision,
		"org.opencontainers.image.source":   in.Source,
		"org.opencontainers.image.title":    "kelb",
		"org.opencontainers.image.version":  in.Version,
	}
}

// assemble builds the image: one layer (rootFS), run as the non-root user
// with /kelb as the entrypoint, OCI media types throughout.
func assemble(in imageInput) (v1.Image, error) {
	tarBytes, err := layerTar(rootFS(in.Binary, in.CABundle), in.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: in.Created.UTC()}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: created, CreatedBy: "make image", Comment: "kelb " + in.Version}})
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS, cfg.Created = in.Arch, "linux", created
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonRootID, nonRootID),
		Entrypoint: []string{binaryPath},
		WorkingDir: "/",
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=" + caFile,
		},
		Labels: in.labels(),
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the config: %w", err)
	}
	return img, nil
}

// uncompressedSize is the size of a layer's tar stream.
func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer func() { _ = rc.Close() }()
	return io.Copy(io.Discard, rc)
}
