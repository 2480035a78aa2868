package cloud

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/service"
)

const (
	issuedARN  = "arn:aws:acm:us-west-2:123456789012:certificate/issued"
	pendingARN = "arn:aws:acm:us-west-2:123456789012:certificate/pending"
	goneARN    = "arn:aws:acm:us-west-2:123456789012:certificate/gone"
	iamARN     = "arn:aws:iam::123456789012:server-certificate/team/web"
	iamOther   = "arn:aws:iam::123456789012:server-certificate/other-path/web"
	iamGoneARN = "arn:aws:iam::123456789012:server-certificate/nothing"
)

// fakeCerts is ACM and IAM with some certificates; it counts reads.
type fakeCerts struct {
	acmStatus map[string]acmtypes.CertificateStatus
	iamARNs   map[string]string // name -> ARN
	reads     []string
	err       error
}

func (f *fakeCerts) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput,
	_ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	arn := aws.ToString(in.CertificateArn)
	f.reads = append(f.reads, arn)
	if f.err != nil {
		return nil, f.err
	}
	status, ok := f.acmStatus[arn]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "not found"}
	}
	return &acm.DescribeCertificateOutput{Certificate: &acmtypes.CertificateDetail{Status: status}}, nil
}

func (f *fakeCerts) GetServerCertificate(_ context.Context, in *iam.GetServerCertificateInput,
	_ ...func(*iam.Options)) (*iam.GetServerCertificateOutput, error) {
	name := aws.ToString(in.ServerCertificateName)
	f.reads = append(f.reads, "iam:"+name)
	arn, ok := f.iamARNs[name]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "not found"}
	}
	return &iam.GetServerCertificateOutput{ServerCertificate: &iamtypes.ServerCertificate{
		ServerCertificateMetadata: &iamtypes.ServerCertificateMetadata{Arn: aws.String(arn)}}}, nil
}

func TestCertificateStatus(t *testing.T) {
	f := &fakeCerts{acmStatus: map[string]acmtypes.CertificateStatus{issuedARN: acmtypes.CertificateStatusIssued,
		pendingARN: acmtypes.CertificateStatusPendingValidation}, iamARNs: map[string]string{"web": iamARN}}
	p := NewCertificates(f, f, clocktesting.NewFakeClock(time.Now()))
	got, err := p.Status(context.Background(), []string{issuedARN, pendingARN, goneARN, iamARN, iamOther, iamGoneARN})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]service.CertificateStatus{issuedARN: service.CertificateIssued,
		pendingARN: "PENDING_VALIDATION", goneARN: service.CertificateNotFound, iamARN: service.CertificateIssued,
		iamOther: service.CertificateNotFound, iamGoneARN: service.CertificateNotFound}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestCertificateCache: a usable certificate is read once per
// CertificateTTL, one that is not once per CertificateUnusableTTL, so that
// each retry of a waiting Service sees a change.
func TestCertificateCache(t *testing.T) {
	steps := []struct {
		after time.Duration // since the previous step
		reads []string      // AWS reads this step makes
	}{
		{0, []string{issuedARN, pendingARN}},
		{CertificateUnusableTTL - time.Second, nil},
		{time.Second, []string{pendingARN}},
		{CertificateTTL - CertificateUnusableTTL - time.Second, []string{pendingARN}},
		{time.Second, []string{issuedARN}},
	}
	f := &fakeCerts{acmStatus: map[string]acmtypes.CertificateStatus{issuedARN: acmtypes.CertificateStatusIssued,
		pendingARN: acmtypes.CertificateStatusPendingValidation}}
	clk := clocktesting.NewFakeClock(time.Now())
	p := NewCertificates(f, f, clk)
	for i, s := range steps {
		clk.Step(s.after)
		f.reads = nil
		if _, err := p.Status(context.Background(), []string{issuedARN, pendingARN}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.reads, f.reads); diff != "" {
			t.Errorf("step %d: reads (-want +got):\n%s", i, diff)
		}
	}
}

func TestCertificateErrorsAreReturned(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	p := NewCertificates(&fakeCerts{err: denied}, &fakeCerts{}, clocktesting.NewFakeClock(time.Now()))
	_, err := p.Status(context.Background(), []string{issuedARN})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("got %v, want the AWS error", err)
	}
}
