package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/kelb-dev/kelb/internal/manager"
	"github.com/kelb-dev/kelb/internal/service"
)

// userSG creates a security group of the user's, for the security-groups
// annotation.
func (cl *cluster) userSG(name string) string {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.CreateSecurityGroup(cl.t.Context(), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String("the user's"), VpcId: aws.String(cl.world.VPCID)})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

// TestBackendRulePrecedence: the rows of the flag/annotation matrix that
// change AWS. With the user's own frontend group, node rules follow the
// annotation, and the flag when there is none.
func TestBackendRulePrecedence(t *testing.T) {
	for _, tc := range []struct {
		name       string
		flag       bool
		annotation string // "" for none
		wantRules  bool
	}{
		{"flag off, no annotation", false, "", false},
		{"flag off, annotation true", false, "true", true},
		{"flag on, no annotation", true, "", true},
		{"flag on, annotation false", true, "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 3)
			cl.opts.ManageBackendSGRules = tc.flag
			before := cl.nodeRules()
			cl.startKelb()
			opts := []svcOption{annotate(service.AnnSecurityGroups, cl.userSG("mine"))}
			if tc.annotation != "" {
				opts = append(opts, annotate(service.AnnManageBackendSGRules, tc.annotation))
			}
			cl.createService("own", opts...)
			cl.waitReady("own")
			added := len(cl.nodeRules()) - len(before)
			if (added > 0) != tc.wantRules {
				t.Errorf("node rules added: %d, want rules: %v", added, tc.wantRules)
			}
			lb, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(lb.LoadBalancers[0].SecurityGroups); got != 1+boolInt(tc.wantRules) {
				t.Errorf("load balancer has %d security groups, want the user's%s", got,
					map[bool]string{true: " and the backend group", false: ""}[tc.wantRules])
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestUnrestrictedBackendRules: --disable-restricted-sg-rules puts one
// all-traffic rule from the backend group in the node group, and deleting
// the Services restores the node group exactly.
func TestUnrestrictedBackendRules(t *testing.T) {
	cl := newCluster(t, 3)
	cl.opts.DisableRestrictedRules = true
	before := cl.nodeRules()
	cl.startKelb()
	cl.createService("a")
	cl.createService("b")
	cl.waitReady("a")
	cl.waitReady("b")
	rules := cl.nodeRules()
	if len(rules) != len(before)+1 || !strings.Contains(strings.Join(rules, ";"), "-1/") {
		t.Errorf("want one all-traffic rule added, got %v", rules)
	}
	for _, n := range []string{"a", "b"} {
		if err := cl.c.Delete(t.Context(), cl.get(n)); err != nil {
			t.Fatal(err)
		}
		cl.waitGone(n)
	}
	eventually(t, 20*time.Second, "node rules restored", func() (bool, string) {
		after := cl.nodeRules()
		return strings.Join(after, ";") == strings.Join(before, ";"), strings.Join(after, ";")
	})
}

// TestConflictingFlagsStopAtStartUp: managing backend rules without the
// backend group is refused with a message naming both flags.
func TestConflictingFlagsStopAtStartUp(t *testing.T) {
	cl := newCluster(t, 1)
	opts := cl.opts
	opts.ManageBackendSGRules, opts.EnableBackendSG = true, false
	err := manager.Run(t.Context(), cl.kube.Config, opts, manager.Overrides{Credentials: cl.world.Credentials,
		SeveralManagers: true})
	if err == nil || !strings.Contains(err.Error(), "--enable-manage-backend-security-group-rules") ||
		!strings.Contains(err.Error(), "--enable-backend-security-group") {
		t.Errorf("want a start-up error naming both flags, got %v", err)
	}
}
