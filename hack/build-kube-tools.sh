#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from Go modules into $KUBE_TOOLS_DIR
# (default: bin/k8s/<version>-linux-amd64, the layout setup-envtest uses), once
# per machine. A later run only checks the version and returns.
set -euo pipefail

KUBE_VERSION=v1.36.4
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${KUBE_TOOLS_DIR:-$root/bin/k8s/${KUBE_VERSION#v}-$(go env GOOS)-$(go env GOARCH)}

if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ] && [ -x "$dir/kubectl" ] &&
	"$dir/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $KUBE_VERSION"; then
	echo "$dir"
	exit 0
fi

echo "building kube-apiserver, etcd and kubectl $KUBE_VERSION into $dir (about 6 minutes on 2 cores, once)" >&2
mkdir -p "$dir"
cd "$root/hack/kube-tools"
if ! go mod download k8s.io/kubernetes 2>/dev/null; then
	echo "error: k8s.io/kubernetes@$KUBE_VERSION cannot be downloaded from the Go module proxy;" >&2
	echo "       pin another version in hack/kube-tools/go.mod and hack/build-kube-tools.sh" >&2
	exit 1
fi
buildinfo="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
buildinfo+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"
buildinfo+=" -X k8s.io/component-base/version.gitTreeState=clean"
buildinfo+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $buildinfo" -o "$tmp/" \
	go.etcd.io/etcd/server/v3 k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
mv "$tmp/server" "$dir/etcd"
mv "$tmp/kube-apiserver" "$tmp/kubectl" "$dir/"
"$dir/kube-apiserver" --version >&2
echo "$dir"
