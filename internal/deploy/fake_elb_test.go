package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// fakeELB holds listeners and load balancers as AWS does for what the
// tests call: one certificate per create or modify, the others by the
// listener-certificate calls; deletion protection refuses deletes. Every
// call is recorded as "Action arg".
type fakeELB struct {
	ELBV2 // calls the tests do not expect panic

	listeners map[string]*fakeListener
	protected map[string]bool // load balancer ARN -> deletion protection
	deleted   []string
	calls     []string
}

type fakeListener struct {
	l      elbtypes.Listener
	extras []string
}

func newFakeELB() *fakeELB {
	return &fakeELB{listeners: map[string]*fakeListener{}, protected: map[string]bool{}}
}

func oneCertificate(certs []elbtypes.Certificate) error {
	if len(certs) > 1 {
		return &smithy.GenericAPIError{Code: "ValidationError",
			Message: fmt.Sprintf("Up to '1' certificate ARNs can be specified, but '%d' were specified", len(certs))}
	}
	return nil
}

func (f *fakeELB) CreateListener(_ context.Context, in *elbv2.CreateListenerInput, _ ...func(*elbv2.Options)) (*elbv2.CreateListenerOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("CreateListener %d", aws.ToInt32(in.Port)))
	if err := oneCertificate(in.Certificates); err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("listener/%d", aws.ToInt32(in.Port))
	l := elbtypes.Listener{ListenerArn: aws.String(arn), Port: in.Port, Protocol: in.Protocol, Certificates: in.Certificates,
		SslPolicy: in.SslPolicy, AlpnPolicy: in.AlpnPolicy, DefaultActions: in.DefaultActions}
	f.listeners[arn] = &fakeListener{l: l}
	return &elbv2.CreateListenerOutput{Listeners: []elbtypes.Listener{l}}, nil
}

func (f *fakeELB) ModifyListener(_ context.Context, in *elbv2.ModifyListenerInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error) {
	f.calls = append(f.calls, "ModifyListener "+aws.ToString(in.ListenerArn))
	if err := oneCertificate(in.Certificates); err != nil {
		return nil, err
	}
	l := f.listeners[aws.ToString(in.ListenerArn)]
	if in.Protocol != "" {
		l.l.Protocol = in.Protocol
	}
	if in.Certificates != nil {
		l.l.Certificates = in.Certificates
	}
	if in.SslPolicy != nil {
		l.l.SslPolicy = in.SslPolicy
	}
	l.l.DefaultActions = in.DefaultActions
	return &elbv2.ModifyListenerOutput{Listeners: []elbtypes.Listener{l.l}}, nil
}

func (f *fakeELB) DescribeListenerCertificates(_ context.Context, in *elbv2.DescribeListenerCertificatesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error) {
	f.calls = append(f.calls, "DescribeListenerCertificates "+aws.ToString(in.ListenerArn))
	l := f.listeners[aws.ToString(in.ListenerArn)]
	out := &elbv2.DescribeListenerCertificatesOutput{}
	for _, c := range l.l.Certificates {
		out.Certificates = append(out.Certificates, elbtypes.Certificate{CertificateArn: c.CertificateArn, IsDefault: aws.Bool(true)})
	}
	for _, c := range l.extras {
		out.Certificates = append(out.Certificates, elbtypes.Certificate{CertificateArn: aws.String(c), IsDefault: aws.Bool(false)})
	}
	return out, nil
}

func (f *fakeELB) AddListenerCertificates(_ context.Context, in *elbv2.AddListenerCertificatesInput, _ ...func(*elbv2.Options)) (*elbv2.AddListenerCertificatesOutput, error) {
	c := aws.ToString(in.Certificates[0].CertificateArn)
	f.calls = append(f.calls, "AddListenerCertificates "+c)
	l := f.listeners[aws.ToString(in.ListenerArn)]
	l.extras = append(l.extras, c)
	return &elbv2.AddListenerCertificatesOutput{}, nil
}

func (f *fakeELB) RemoveListenerCertificates(_ context.Context, in *elbv2.RemoveListenerCertificatesInput, _ ...func(*elbv2.Options)) (*elbv2.RemoveListenerCertificatesOutput, error) {
	c := aws.ToString(in.Certificates[0].CertificateArn)
	f.calls = append(f.calls, "RemoveListenerCertificates "+c)
	l := f.listeners[aws.ToString(in.ListenerArn)]
	l.extras = slices.DeleteFunc(l.extras, func(x string) bool { return x == c })
	return &elbv2.RemoveListenerCertificatesOutput{}, nil
}

func (f *fakeELB) DeleteLoadBalancer(_ context.Context, in *elbv2.DeleteLoadBalancerInput, _ ...func(*elbv2.Options)) (*elbv2.DeleteLoadBalancerOutput, error) {
	arn := aws.ToString(in.LoadBalancerArn)
	f.calls = append(f.calls, "DeleteLoadBalancer "+arn)
	if f.protected[arn] {
		return nil, &smithy.GenericAPIError{Code: "OperationNotPermitted",
			Message: "Load balancer '" + arn + "' cannot be deleted because deletion protection is enabled"}
	}
	f.deleted = append(f.deleted, arn)
	return &elbv2.DeleteLoadBalancerOutput{}, nil
}

func (f *fakeELB) ModifyLoadBalancerAttributes(_ context.Context, in *elbv2.ModifyLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyLoadBalancerAttributesOutput, error) {
	arn := aws.ToString(in.LoadBalancerArn)
	for _, a := range in.Attributes {
		f.calls = append(f.calls, "ModifyLoadBalancerAttributes "+aws.ToString(a.Key)+"="+aws.ToString(a.Value))
		if aws.ToString(a.Key) == "deletion_protection.enabled" {
			f.protected[arn] = aws.ToString(a.Value) == "true"
		}
	}
	return &elbv2.ModifyLoadBalancerAttributesOutput{}, nil
}

func (f *fakeELB) DeleteTargetGroup(_ context.Context, in *elbv2.DeleteTargetGroupInput, _ ...func(*elbv2.Options)) (*elbv2.DeleteTargetGroupOutput, error) {
	f.calls = append(f.calls, "DeleteTargetGroup "+aws.ToString(in.TargetGroupArn))
	return &elbv2.DeleteTargetGroupOutput{}, nil
}
