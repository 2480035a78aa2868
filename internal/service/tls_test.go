package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

const (
	acmCert   = "arn:aws:acm:us-west-2:123456789012:certificate/11111111-2222-3333-4444-555555555555"
	otherCert = "arn:aws:acm:us-west-2:123456789012:certificate/99999999-2222-3333-4444-555555555555"
	iamCert   = "arn:aws:iam::123456789012:server-certificate/team/web"
)

var knownPolicies = []string{"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"}

func tlsFacts(statuses map[string]CertificateStatus) func(*Input) {
	return func(in *Input) {
		in.Facts.Certificates = statuses
		in.Facts.SSLPolicies = knownPolicies
	}
}

// TestTLSFacts: what AWS would refuse about a TLS listener is found from
// the facts; a certificate not usable yet is a *CertificateError, found
// after every error only the user can fix.
func TestTLSFacts(t *testing.T) {
	issued := map[string]CertificateStatus{acmCert: CertificateIssued, iamCert: CertificateIssued}
	tests := []struct {
		name   string
		cfg    Config
		mutate []func(*Input)
		want   outcome
	}{
		{"issued ACM and IAM certificates", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert+","+iamCert), tlsFacts(issued)}, outcome{}},
		{"a certificate ACM does not have", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert), tlsFacts(map[string]CertificateStatus{acmCert: CertificateNotFound})},
			outcome{Error: "certificate", Value: acmCert, Status: CertificateNotFound}},
		{"a certificate missing from the facts counts as not found", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert+","+otherCert), tlsFacts(issued)},
			outcome{Error: "certificate", Value: otherCert, Status: CertificateNotFound}},
		{"a certificate pending validation", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert), tlsFacts(map[string]CertificateStatus{acmCert: "PENDING_VALIDATION"})},
			outcome{Error: "certificate", Value: acmCert, Status: "PENDING_VALIDATION"}},
		{"a certificate on no TLS listener is not checked", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert), func(in *Input) {
				in.Service.Spec.Ports[0].Protocol = corev1.ProtocolUDP
			}, tlsFacts(map[string]CertificateStatus{acmCert: CertificateNotFound})}, outcome{}},
		{"a bad annotation wins over a certificate that will come", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert, AnnAttributes, "bogus=1"),
				tlsFacts(map[string]CertificateStatus{acmCert: CertificateNotFound})},
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "bogus"}},
		{"an SSL policy AWS does not offer", testConfig,
			[]func(*Input){ann(AnnSSLCert, acmCert, AnnSSLPolicy, "ELBSecurityPolicy-2099"), tlsFacts(issued)},
			outcome{Error: "annotation", Annotation: AnnSSLPolicy, Value: "ELBSecurityPolicy-2099"}},
		{"a --default-ssl-policy AWS does not offer", Config{ClusterName: "prod", DefaultSSLPolicy: "nope"},
			[]func(*Input){ann(AnnSSLCert, acmCert), tlsFacts(issued)}, outcome{Error: "invalid"}},
		{"an ARN that is no certificate", testConfig,
			[]func(*Input){ann(AnnSSLCert, "arn:aws:s3:::bucket"), tlsFacts(issued)},
			outcome{Error: "annotation", Annotation: AnnSSLCert, Value: "arn:aws:s3:::bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.cfg, testInput(tt.mutate...))
			if diff := cmp.Diff(tt.want, outcomeOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTLSErrorMessages(t *testing.T) {
	_, err := Build(testConfig, testInput(ann(AnnSSLCert, acmCert, AnnSSLPolicy, "ELBSecurityPolicy-2099"),
		tlsFacts(map[string]CertificateStatus{acmCert: CertificateIssued})))
	for _, want := range append([]string{AnnSSLPolicy, "ELBSecurityPolicy-2099"}, knownPolicies...) {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
	_, err = Build(testConfig, testInput(ann(AnnSSLCert, acmCert),
		tlsFacts(map[string]CertificateStatus{acmCert: "PENDING_VALIDATION"})))
	for _, want := range []string{acmCert, AnnSSLCert, "PENDING_VALIDATION"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
}

func TestQueryAsksForWellFormedCertificates(t *testing.T) {
	in := testInput(ann(AnnSSLCert, acmCert+", not-an-arn,"+iamCert+","+acmCert))
	q, err := Query(testConfig, in.Service, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{acmCert, iamCert}, q.Certificates); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMissingSubnetsAreExternal: a subnet that does not exist yet, or no
// subnet tagged for discovery, may be fixed in AWS without an edit.
func TestMissingSubnetsAreExternal(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want outcome
	}{
		{"named subnet missing", testInput(ann(AnnSubnets, "subnet-nope")),
			outcome{Error: "annotation", Annotation: AnnSubnets, Value: "subnet-nope", External: true}},
		{"nothing to discover", testInput(func(in *Input) { in.Facts.Subnets = nil }),
			outcome{Error: "annotation", Annotation: AnnSubnets, External: true}},
		{"two subnets in one zone is the user's to fix", testInput(ann(AnnSubnets, "subnet-a1,subnet-a2")),
			outcome{Error: "annotation", Annotation: AnnSubnets, Value: "subnet-a1,subnet-a2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(testConfig, tt.in)
			if diff := cmp.Diff(tt.want, outcomeOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNodeSelectionWarning(t *testing.T) {
	warning := func(selector string) string {
		return "no node matches annotation " + AnnTargetNodeLabels + " (" + selector +
			") among 4 nodes: the load balancer has no targets"
	}
	tests := []struct {
		name string
		in   Input // nodes: n2 pool=edge, n3 not ready, n4 excluded from load balancers
		want string
	}{
		{"no annotation", testInput(), ""},
		{"a label that matches", testInput(ann(AnnTargetNodeLabels, "pool=edge")), ""},
		{"a typo", testInput(ann(AnnTargetNodeLabels, "pool=edg")), warning("pool=edg")},
		{"matching only a node excluded from load balancers", testInput(ann(AnnTargetNodeLabels,
			LabelExcludeFromLB+"=true")), warning(LabelExcludeFromLB + "=true")},
		{"a node that matches but is not ready still matches", testInput(ann(AnnTargetNodeLabels, "role=x"),
			func(in *Input) { in.Nodes[2].Labels = map[string]string{"role": "x"} }), ""},
		{"ip targets ignore node labels", testInput(ann(AnnTargetNodeLabels, "pool=edg", AnnTargetType, "ip")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NodeSelectionWarning(testConfig, tt.in.Service, tt.in.Nodes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
