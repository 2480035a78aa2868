package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/ingress"
)

const privateCA = "arn:aws:acm-pca:us-west-2:123456789012:certificate-authority/ca"

// fakeACMList is ACM with some certificates, listed two to a page (the
// ISSUED ones); it records its calls.
type fakeACMList struct {
	certs   []acmtypes.CertificateDetail
	gone    map[string]bool // ARNs deleted after the listing
	calls   []string
	listArg *acm.ListCertificatesInput
}

func (f *fakeACMList) ListCertificates(_ context.Context, in *acm.ListCertificatesInput,
	_ ...func(*acm.Options)) (*acm.ListCertificatesOutput, error) {
	f.calls = append(f.calls, "list "+aws.ToString(in.NextToken))
	f.listArg = in
	var all []acmtypes.CertificateSummary
	for _, c := range f.certs {
		if c.Status == acmtypes.CertificateStatusIssued {
			all = append(all, acmtypes.CertificateSummary{CertificateArn: c.CertificateArn})
		}
	}
	from := 0
	if in.NextToken != nil {
		from = 2
	}
	out := &acm.ListCertificatesOutput{CertificateSummaryList: all[from:min(from+2, len(all))]}
	if from+2 < len(all) {
		out.NextToken = aws.String("page2")
	}
	return out, nil
}

func (f *fakeACMList) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput,
	_ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	arn := aws.ToString(in.CertificateArn)
	f.calls = append(f.calls, "describe "+arn[len(arn)-1:])
	for _, c := range f.certs {
		if aws.ToString(c.CertificateArn) == arn && !f.gone[arn] {
			return &acm.DescribeCertificateOutput{Certificate: &c}, nil
		}
	}
	return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "not found"}
}

func acmCert(name string, typ acmtypes.CertificateType, ca string, sans ...string) acmtypes.CertificateDetail {
	return acmtypes.CertificateDetail{CertificateArn: aws.String("arn:aws:acm:us-west-2:123456789012:certificate/" + name),
		Status: acmtypes.CertificateStatusIssued, Type: typ, DomainName: aws.String(sans[0]), SubjectAlternativeNames: sans,
		CertificateAuthorityArn: aws.String(ca)}
}

func TestACMCertificates(t *testing.T) {
	f := &fakeACMList{certs: []acmtypes.CertificateDetail{
		acmCert("a", acmtypes.CertificateTypeAmazonIssued, "", "example.com", "*.example.com"),
		acmCert("b", acmtypes.CertificateTypeImported, "", "shop.example.org"),
		acmCert("c", acmtypes.CertificateTypePrivate, privateCA, "internal.example.net"),
		{CertificateArn: aws.String("arn:aws:acm:us-west-2:123456789012:certificate/p"),
			Status: acmtypes.CertificateStatusPendingValidation, Type: acmtypes.CertificateTypeAmazonIssued},
	}}
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p := NewACMCertificates(f, clk)
	arn := func(n string) string { return "arn:aws:acm:us-west-2:123456789012:certificate/" + n }
	want := []ingress.ACMCertificate{
		{ARN: arn("a"), Status: "ISSUED", Domains: []string{"example.com", "*.example.com"}},
		{ARN: arn("b"), Status: "ISSUED", Domains: []string{"shop.example.org"}},
		{ARN: arn("c"), Status: "ISSUED", Domains: []string{"internal.example.net"}, AuthorityARN: privateCA},
	}
	steps := []struct {
		name    string
		advance time.Duration
		change  func()
		want    []ingress.ACMCertificate
		calls   []string
	}{
		{"first: list every page, describe each", 0, nil, want,
			[]string{"list ", "list page2", "describe a", "describe b", "describe c"}},
		{"within a minute: no call", 30 * time.Second, nil, want, nil},
		{"after a minute: listed again, names kept", 31 * time.Second, nil, want, []string{"list ", "list page2"}},
		{"after 5 minutes: the imported one described again", 5 * time.Minute, func() {
			f.certs[1].SubjectAlternativeNames = []string{"shop.example.org", "www.shop.example.org"}
		}, []ingress.ACMCertificate{want[0], {ARN: arn("b"), Status: "ISSUED",
			Domains: []string{"shop.example.org", "www.shop.example.org"}}, want[2]},
			[]string{"list ", "list page2", "describe b"}},
		{"a certificate gone from ACM between listing and describing is left out", 10 * time.Hour, func() {
			f.gone = map[string]bool{arn("a"): true}
		}, []ingress.ACMCertificate{{ARN: arn("b"), Status: "ISSUED",
			Domains: []string{"shop.example.org", "www.shop.example.org"}}, want[2]},
			[]string{"list ", "list page2", "describe a", "describe b", "describe c"}},
	}
	for _, s := range steps {
		clk.Step(s.advance)
		if s.change != nil {
			s.change()
		}
		f.calls = nil
		got, err := p.List(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: certificates (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(s.calls, f.calls); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", s.name, diff)
		}
	}
	if diff := cmp.Diff([]acmtypes.CertificateStatus{acmtypes.CertificateStatusIssued}, f.listArg.CertificateStatuses); diff != "" {
		t.Errorf("listed statuses (-want +got):\n%s", diff)
	}
	if len(f.listArg.Includes.KeyTypes) < 7 {
		t.Errorf("listing includes only key types %v; LBC lists every one", f.listArg.Includes.KeyTypes)
	}
}

// TestACMCertificatesFeedDiscovery: the provider's answer is what
// ingress.DiscoverCertificates takes.
func TestACMCertificatesFeedDiscovery(t *testing.T) {
	f := &fakeACMList{certs: []acmtypes.CertificateDetail{
		acmCert("a", acmtypes.CertificateTypeAmazonIssued, "", "example.com", "*.example.com"),
		acmCert("c", acmtypes.CertificateTypePrivate, privateCA, "internal.example.net")}}
	certs, err := NewACMCertificates(f, clocktesting.NewFakeClock(time.Now())).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ingress.DiscoverCertificates([]string{"www.example.com", "internal.example.net"}, certs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:acm:us-west-2:123456789012:certificate/a", "arn:aws:acm:us-west-2:123456789012:certificate/c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ingress.DiscoverCertificates([]string{"www.example.com"}, certs, []string{privateCA}); err == nil {
		t.Error("a certificate of a CA not allowed was taken")
	}
}
