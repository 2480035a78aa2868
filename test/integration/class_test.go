package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestOwnClassLeavesLBCServicesAlone: kelb started beside LBC with a class
// of its own never reads, changes or finalizes LBC's Services (of LBC's
// class, or class-less with LBC's annotations), even when they are deleted
// and carry the finalizer both controllers use; and it still cleans up its
// own Service when the type changes away from LoadBalancer.
func TestOwnClassLeavesLBCServicesAlone(t *testing.T) {
	cl := newCluster(t, 3)
	// "LBC": a controller of LBC's class makes its Services' resources.
	cl.startKelb()
	cl.createService("lbc")
	cl.createService("lbc-annotated", func(s *corev1.Service) { s.Spec.LoadBalancerClass = nil },
		annotate(service.AnnType, "external"), annotate(service.AnnTargetType, "instance"))
	cl.waitReady("lbc")
	cl.waitReady("lbc-annotated")
	cl.stopKelb()
	lbcLBs := cl.loadBalancers()
	var lbcResources []string // LBC's load balancers, target groups and frontend groups
	for _, id := range cl.tagged() {
		if id != cl.backendSG() {
			lbcResources = append(lbcResources, id)
		}
	}

	const own = "kelb.dev/nlb"
	cl.opts.LoadBalancerClass = own
	t0 := time.Now()
	cl.startKelb()
	cl.createService("mine", withClass(own))
	cl.waitReady("mine")
	if got := cl.get("mine").Annotations[service.AnnClaimedClass]; got != own {
		t.Errorf("own Service: class record %q, want %q", got, own)
	}
	// LBC's Service is deleted while only kelb runs: it must wait for LBC.
	if err := cl.c.Delete(t.Context(), cl.get("lbc")); err != nil {
		t.Fatal(err)
	}
	cl.update("mine", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort; s.Spec.LoadBalancerClass = nil })
	eventually(t, 60*time.Second, "own Service cleaned up after the type change", func() (bool, string) {
		s := cl.get("mine")
		return len(s.Finalizers) == 0, s.Status.String()
	})
	for _, name := range []string{"lbc", "lbc-annotated"} {
		s := cl.get(name)
		if !slices.Contains(s.Finalizers, service.Finalizer) {
			t.Errorf("%s: finalizer removed: %v", name, s.Finalizers)
		}
	}
	for name := range lbcLBs {
		if cl.loadBalancers()[name] == "" {
			t.Errorf("LBC's load balancer %s is gone", name)
		}
	}
	for _, c := range cl.calls(t0) {
		for _, v := range c.Params {
			if c.Mutating() && slices.Contains(lbcResources, v) {
				t.Errorf("kelb called %s on LBC's resource %s", c.Action, v)
			}
		}
	}
	if n := awsproxy.CountByAction(cl.calls(t0))["DeleteLoadBalancer"]; n != 1 {
		t.Errorf("want only the own load balancer deleted, got %d deletions", n)
	}
}

// backendSG returns the id of the cluster's shared backend group, "" if none.
func (cl *cluster) backendSG() string {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.DescribeSecurityGroups(cl.t.Context(), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagResource), Values: []string{model.ResourceBackendSG}},
			{Name: aws.String("tag:" + model.TagCluster), Values: []string{cl.world.Cluster}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	if len(out.SecurityGroups) == 0 {
		return ""
	}
	return aws.ToString(out.SecurityGroups[0].GroupId)
}
