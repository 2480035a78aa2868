package service

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Names of AWS resources are LBC's, character for character: a cluster that
// switches from LBC to kelb (or back) finds the same names, and a Service
// deleted and created again (a new UID) gets new ones, so it never collides
// with a load balancer of the old Service that AWS is still deleting.
// Existing resources are found by their tags, never by name: a name that
// differs (kelb's names before it used LBC's) changes nothing in AWS.

// notAlphanumeric matches what LBC strips from names: everything but ASCII
// letters and digits (hyphens too; case is kept).
var notAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9]`)

// stackName is "k8s-<namespace, 8>-<name, 8>-<hash, 10>", LBC's pattern for
// a Service's load balancer, target groups and managed security group.
func stackName(namespace, name string, hashed ...string) string {
	h := sha256.New()
	for _, s := range hashed {
		h.Write([]byte(s)) // LBC writes the parts back to back, no separator
	}
	return fmt.Sprintf("k8s-%.8s-%.8s-%.10s", notAlphanumeric.ReplaceAllString(namespace, ""),
		notAlphanumeric.ReplaceAllString(name, ""), hex.EncodeToString(h.Sum(nil)))
}

// loadBalancerName is LBC's generated load balancer name: the hash covers
// the cluster name, the Service's UID and the scheme (a scheme change needs
// a new load balancer, which then gets a new name).
func loadBalancerName(cluster string, svc *corev1.Service, scheme string) string {
	return stackName(svc.Namespace, svc.Name, cluster, string(svc.UID), scheme)
}

// targetGroupNameInput is what LBC hashes into a target group's name: every
// setting that made NLB target groups immutable once.
type targetGroupNameInput struct {
	servicePort         int32
	targetGroupPort     int32
	targetType          string
	protocol            string
	healthCheckProtocol string
	healthCheckInterval int32
}

// targetGroupName is LBC's generated target group name.
func targetGroupName(cluster string, svc *corev1.Service, in targetGroupNameInput) string {
	return stackName(svc.Namespace, svc.Name, cluster, string(svc.UID), strconv.Itoa(int(in.targetGroupPort)),
		strconv.Itoa(int(in.servicePort)), in.targetType, in.protocol, in.healthCheckProtocol,
		strconv.Itoa(int(in.healthCheckInterval)))
}

// managedSGName is LBC's name of a Service's managed (frontend) security
// group; note the order of its hash input: name before namespace.
func managedSGName(cluster string, svc *corev1.Service) string {
	return stackName(svc.Namespace, svc.Name, cluster, svc.Name, svc.Namespace, string(svc.UID))
}

// ManagedSGDescription is LBC's description of a managed frontend group.
// AWS cannot change a group's description, so groups made with another one
// (by kelb before it used LBC's) keep theirs.
const ManagedSGDescription = "[k8s] Managed SecurityGroup for LoadBalancer"

var validLBName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)
