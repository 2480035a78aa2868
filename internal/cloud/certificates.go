package cloud

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/service"
)

// Certificates answers whether the certificates TLS listeners name can be
// used: ACM certificates by DescribeCertificate, IAM server certificates by
// GetServerCertificate, one read per ARN, cached for CertificateTTL when
// usable and CertificateUnusableTTL when not.
type Certificates struct {
	acm   ACM
	iam   IAM
	clock clock.PassiveClock

	fetchMu sync.Mutex // one read per ARN at a time
	mu      sync.Mutex
	known   map[string]certificateInfo
}

type certificateInfo struct {
	status service.CertificateStatus
	readAt time.Time
}

// NewCertificates returns the provider.
func NewCertificates(acmAPI ACM, iamAPI IAM, clk clock.PassiveClock) *Certificates {
	return &Certificates{acm: acmAPI, iam: iamAPI, clock: clk, known: map[string]certificateInfo{}}
}

// Status returns what AWS holds of each ARN; the caller owns the map.
func (c *Certificates) Status(ctx context.Context, arns []string) (map[string]service.CertificateStatus, error) {
	out := make(map[string]service.CertificateStatus, len(arns))
	for _, arn := range arns {
		status, ok := c.cached(arn)
		if !ok {
			var err error
			if status, err = c.fetch(ctx, arn); err != nil {
				return nil, err
			}
		}
		out[arn] = status
	}
	return out, nil
}

func (c *Certificates) cached(arn string) (service.CertificateStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	info, ok := c.known[arn]
	ttl := CertificateTTL
	if info.status != service.CertificateIssued {
		ttl = CertificateUnusableTTL
	}
	return info.status, ok && c.clock.Since(info.readAt) < ttl
}

func (c *Certificates) fetch(ctx context.Context, arn string) (service.CertificateStatus, error) {
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	if status, ok := c.cached(arn); ok { // another caller read it meanwhile
		return status, nil
	}
	read := c.readACM
	if service.IsIAMCertificate(arn) {
		read = c.readIAM
	}
	status, err := read(ctx, arn)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.known[arn] = certificateInfo{status: status, readAt: c.clock.Now()}
	c.mu.Unlock()
	return status, nil
}

func (c *Certificates) readACM(ctx context.Context, arn string) (service.CertificateStatus, error) {
	out, err := c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if awsclient.IsNotFound(err) {
		return service.CertificateNotFound, nil
	}
	if err != nil {
		return "", fmt.Errorf("describing certificate %s: %w", arn, err)
	}
	if out.Certificate == nil {
		return service.CertificateNotFound, nil
	}
	return service.CertificateStatus(out.Certificate.Status), nil
}

// readIAM looks the certificate up by its name, the ARN's last path
// element, and checks that the ARN (with its path) is the same.
func (c *Certificates) readIAM(ctx context.Context, arn string) (service.CertificateStatus, error) {
	name := arn[strings.LastIndex(arn, "/")+1:]
	out, err := c.iam.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String(name)})
	if awsclient.IsNotFound(err) {
		return service.CertificateNotFound, nil
	}
	if err != nil {
		return "", fmt.Errorf("reading IAM server certificate %s: %w", arn, err)
	}
	if out.ServerCertificate == nil || out.ServerCertificate.ServerCertificateMetadata == nil ||
		aws.ToString(out.ServerCertificate.ServerCertificateMetadata.Arn) != arn {
		return service.CertificateNotFound, nil
	}
	return service.CertificateIssued, nil
}
