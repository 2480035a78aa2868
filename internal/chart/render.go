// Package chart renders kelb's Helm chart (charts/kelb) with Helm's Go SDK,
// as `helm template` does, for `make chart`, the chart's tests and the
// integration suite (which runs kelb with the chart's RBAC).
package chart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// Dir is the chart's folder from the repository root.
const Dir = "charts/kelb"

// Release names the release a chart is rendered for.
type Release struct {
	Name      string
	Namespace string
}

// DefaultRelease is the release of the chart's documentation: release
// "kelb" in kube-system gives kelb's default object names.
var DefaultRelease = Release{Name: "kelb", Namespace: "kube-system"}

// RenderError is a failure to render the chart: bad values, a template
// error, or a failed `required`/`fail` (whose message it carries).
type RenderError struct{ Err error }

func (e *RenderError) Error() string { return "rendering the kelb chart: " + e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// Rendered is the chart's output: manifests in Helm's install order, and
// the NOTES.
type Rendered struct {
	Manifests []Manifest
	Notes     string
}

// Manifest is one rendered template file's object.
type Manifest struct {
	Source string // the template's path in the chart
	YAML   string
}

// Render renders the chart in dir for release with values (merged over the
// chart's values.yaml, as `helm template --values`).
func Render(dir string, rel Release, values map[string]any) (*Rendered, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, &RenderError{Err: err}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, values); err != nil {
		return nil, &RenderError{Err: err}
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: rel.Name,
		Namespace: rel.Namespace, Revision: 1, IsInstall: true, IsUpgrade: false}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, &RenderError{Err: err}
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, &RenderError{Err: err}
	}
	out := &Rendered{}
	templates := map[string]string{}
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			out.Notes = content
			continue
		}
		templates[name] = content
	}
	_, manifests, err := releaseutil.SortManifests(templates, chartutil.DefaultVersionSet, releaseutil.InstallOrder)
	if err != nil {
		return nil, &RenderError{Err: err}
	}
	for _, m := range manifests {
		out.Manifests = append(out.Manifests, Manifest{Source: m.Name, YAML: m.Content})
	}
	return out, nil
}

// String is the output of `helm template`: each manifest with its source.
func (r *Rendered) String() string {
	var b strings.Builder
	for _, m := range r.Manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Source, strings.TrimSpace(m.YAML))
	}
	return b.String()
}

// Objects decodes the manifests, in install order (integers as int64, as
// the API machinery decodes them).
func (r *Rendered) Objects() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, m := range r.Manifests {
		docs := yaml.NewYAMLReader(bufio.NewReader(strings.NewReader(m.YAML)))
		for {
			doc, err := docs.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", m.Source, err)
			}
			js, err := yaml.ToJSON(doc)
			if err != nil {
				return nil, fmt.Errorf("decoding %s: %w", m.Source, err)
			}
			if s := strings.TrimSpace(string(js)); s == "null" || s == "" || s == "{}" {
				continue
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(js); err != nil {
				return nil, fmt.Errorf("decoding %s: %w", m.Source, err)
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// RepoDir is the chart's folder under the repository root.
func RepoDir(root string) string { return filepath.Join(root, Dir) }
