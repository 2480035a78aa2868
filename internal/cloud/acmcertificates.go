package cloud

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// ACMDiscoveryAPI is the part of the ACM API certificate discovery calls.
type ACMDiscoveryAPI interface {
	ListCertificates(context.Context, *acm.ListCertificatesInput, ...func(*acm.Options)) (*acm.ListCertificatesOutput, error)
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
}

// ACMCertificates lists the account's ISSUED ACM certificates with their
// names, status and issuing CA, for Ingress certificate discovery
// (ingress.DiscoverCertificates), read as LBC reads them: one listing of
// every key type, cached for ACMListTTL, and one DescribeCertificate per
// certificate, kept for ACMImportedTTL (imported) or ACMIssuedTTL (issued
// by ACM or a private CA: names that never change). Other certificates are
// described on every listing, as in LBC.
type ACMCertificates struct {
	api   ACMDiscoveryAPI
	clock clock.PassiveClock

	mu       sync.Mutex // one listing at a time; guards what follows
	arns     []string
	listedAt time.Time
	details  map[string]acmDetail
}

type acmDetail struct {
	cert     ingress.ACMCertificate
	readAt   time.Time
	keepFor  time.Duration
	notFound bool
}

// NewACMCertificates returns the provider.
func NewACMCertificates(api ACMDiscoveryAPI, clk clock.PassiveClock) *ACMCertificates {
	return &ACMCertificates{api: api, clock: clk, details: map[string]acmDetail{}}
}

// List returns the ISSUED certificates, sorted by ARN; the caller owns the
// slice. A certificate deleted between the listing and its description is
// left out.
func (a *ACMCertificates) List(ctx context.Context) ([]ingress.ACMCertificate, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.arns == nil || a.clock.Since(a.listedAt) >= ACMListTTL {
		arns, err := a.listIssued(ctx)
		if err != nil {
			return nil, err
		}
		a.arns, a.listedAt = arns, a.clock.Now()
	}
	out := make([]ingress.ACMCertificate, 0, len(a.arns))
	for _, arn := range a.arns {
		d, ok := a.details[arn]
		if !ok || a.clock.Since(d.readAt) >= d.keepFor {
			var err error
			if d, err = a.describe(ctx, arn); err != nil {
				return nil, err
			}
			a.details[arn] = d
		}
		if !d.notFound {
			c := d.cert
			c.Domains = slices.Clone(c.Domains)
			out = append(out, c)
		}
	}
	for arn := range a.details { // forget certificates no longer listed
		if !slices.Contains(a.arns, arn) {
			delete(a.details, arn)
		}
	}
	return out, nil
}

func (a *ACMCertificates) listIssued(ctx context.Context) ([]string, error) {
	in := &acm.ListCertificatesInput{CertificateStatuses: []acmtypes.CertificateStatus{acmtypes.CertificateStatusIssued},
		Includes: &acmtypes.Filters{KeyTypes: acmtypes.KeyAlgorithm("").Values()}}
	var arns []string
	p := acm.NewListCertificatesPaginator(a.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing ACM certificates: %w", err)
		}
		for _, s := range page.CertificateSummaryList {
			arns = append(arns, aws.ToString(s.CertificateArn))
		}
	}
	slices.Sort(arns)
	return slices.Compact(arns), nil
}

func (a *ACMCertificates) describe(ctx context.Context, arn string) (acmDetail, error) {
	now := a.clock.Now()
	out, err := a.api.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if awsclient.IsNotFound(err) || (err == nil && out.Certificate == nil) {
		return acmDetail{readAt: now, keepFor: ACMListTTL, notFound: true}, nil
	}
	if err != nil {
		return acmDetail{}, fmt.Errorf("describing certificate %s: %w", arn, err)
	}
	c := out.Certificate
	d := acmDetail{readAt: now, cert: ingress.ACMCertificate{ARN: arn, Status: string(c.Status),
		Domains: slices.Clone(c.SubjectAlternativeNames), AuthorityARN: aws.ToString(c.CertificateAuthorityArn)}}
	switch c.Type {
	case acmtypes.CertificateTypeImported:
		d.keepFor = ACMImportedTTL
	case acmtypes.CertificateTypeAmazonIssued, acmtypes.CertificateTypePrivate:
		d.keepFor = ACMIssuedTTL
	}
	return d, nil
}
