package aws

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
)

// EndpointServices are the keys --aws-api-endpoints accepts: the AWS SDK's
// service ids, as LBC reads them, and whether kelb calls that service. LBC
// also takes STS and Global Accelerator endpoints; kelb makes no accelerator
// and assumes no role, so it accepts them and calls nothing there. WAFv2,
// WAF Regional and Shield serve Ingress add-ons. IAM is kelb's own key:
// kelb reads IAM server certificates (ssl-cert).
var EndpointServices = map[string]bool{
	ec2.ServiceID:         true,
	elbv2.ServiceID:       true,
	tagging.ServiceID:     true,
	acm.ServiceID:         true,
	iam.ServiceID:         true,
	wafv2.ServiceID:       true,
	wafregional.ServiceID: true,
	shield.ServiceID:      true,
	"STS":                 false,
	"Global Accelerator":  false,
}

// oldEndpointKeys are keys of older LBC releases (SDK v1 endpoint ids) and
// of kelb before it took LBC's form. LBC v3 ignores them silently, so every
// call would go to AWS itself; kelb names the key to use instead.
var oldEndpointKeys = map[string]string{
	"ec2":                  ec2.ServiceID,
	"elasticloadbalancing": elbv2.ServiceID,
	"elbv2":                elbv2.ServiceID,
	"tagging":              tagging.ServiceID,
	"acm":                  acm.ServiceID,
	"iam":                  iam.ServiceID,
	"wafv2":                "WAFV2",
	"waf-regional":         "WAF Regional",
	"shield":               "Shield",
	"sts":                  "STS",
}

// ParseEndpoints parses --aws-api-endpoints in LBC's form: comma-separated
// serviceID=URL pairs, read as CSV like LBC's flag library does (a value
// holding a comma is quoted), e.g. "EC2=https://ec2.example,Elastic Load
// Balancing v2=https://elb.example". Unknown service ids and values that are
// not absolute http(s) URLs are refused, naming each, rather than ignored:
// an ignored override sends every call to AWS itself.
func ParseEndpoints(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return nil, fmt.Errorf("--aws-api-endpoints: %q is not a comma-separated list: %w", s, err)
	}
	var errs []error
	for _, kv := range fields {
		service, endpoint, ok := strings.Cut(kv, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("--aws-api-endpoints: %q is not serviceID=URL (a single URL for every "+
				"service is AWS_ENDPOINT_URL)", kv))
			continue
		}
		if _, known := EndpointServices[service]; !known {
			errs = append(errs, unknownEndpointService(service))
			continue
		}
		if err := checkEndpointURL(endpoint); err != nil {
			errs = append(errs, fmt.Errorf("--aws-api-endpoints: %s=%q: %w", service, endpoint, err))
			continue
		}
		out[service] = endpoint
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func unknownEndpointService(service string) error {
	hint, bare := "", strings.TrimSpace(service)
	if id, ok := oldEndpointKeys[strings.ToLower(bare)]; ok {
		hint = fmt.Sprintf(" (use %q)", id)
	} else {
		for id := range EndpointServices {
			if strings.EqualFold(id, bare) {
				hint = fmt.Sprintf(" (use %q)", id)
			}
		}
	}
	ids := make([]string, 0, len(EndpointServices))
	for id := range EndpointServices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return fmt.Errorf("--aws-api-endpoints: unknown service id %q%s; allowed: %s", service, hint, strings.Join(ids, ", "))
}

func checkEndpointURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("not an absolute http or https URL")
	case u.Host == "":
		return errors.New("no host")
	}
	return nil
}

// EndpointsFor returns overrides sending every service kelb calls to url.
func EndpointsFor(url string) map[string]string {
	out := map[string]string{}
	for id, called := range EndpointServices {
		if called {
			out[id] = url
		}
	}
	return out
}

// FormatEndpoints writes endpoints in --aws-api-endpoints' form, sorted.
func FormatEndpoints(endpoints map[string]string) string {
	pairs := make([]string, 0, len(endpoints))
	for id, u := range endpoints {
		pairs = append(pairs, id+"="+u)
	}
	sort.Strings(pairs)
	var b strings.Builder
	w := csv.NewWriter(&b) // quotes a pair that holds a comma or a quote
	_ = w.Write(pairs)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}
