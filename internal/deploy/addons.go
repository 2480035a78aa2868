package deploy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	shieldtypes "github.com/aws/aws-sdk-go-v2/service/shield/types"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"sigs.k8s.io/controller-runtime/pkg/log"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// WAFv2 is the part of the WAFv2 API the deployer calls.
type WAFv2 interface {
	GetWebACLForResource(context.Context, *wafv2.GetWebACLForResourceInput, ...func(*wafv2.Options)) (*wafv2.GetWebACLForResourceOutput, error)
	AssociateWebACL(context.Context, *wafv2.AssociateWebACLInput, ...func(*wafv2.Options)) (*wafv2.AssociateWebACLOutput, error)
	DisassociateWebACL(context.Context, *wafv2.DisassociateWebACLInput, ...func(*wafv2.Options)) (*wafv2.DisassociateWebACLOutput, error)
}

// WAFRegional is the part of the classic (regional) WAF API the deployer
// calls.
type WAFRegional interface {
	GetWebACLForResource(context.Context, *wafregional.GetWebACLForResourceInput, ...func(*wafregional.Options)) (*wafregional.GetWebACLForResourceOutput, error)
	AssociateWebACL(context.Context, *wafregional.AssociateWebACLInput, ...func(*wafregional.Options)) (*wafregional.AssociateWebACLOutput, error)
	DisassociateWebACL(context.Context, *wafregional.DisassociateWebACLInput, ...func(*wafregional.Options)) (*wafregional.DisassociateWebACLOutput, error)
}

// Shield is the part of the Shield API the deployer calls.
type Shield interface {
	GetSubscriptionState(context.Context, *shield.GetSubscriptionStateInput, ...func(*shield.Options)) (*shield.GetSubscriptionStateOutput, error)
	DescribeProtection(context.Context, *shield.DescribeProtectionInput, ...func(*shield.Options)) (*shield.DescribeProtectionOutput, error)
	CreateProtection(context.Context, *shield.CreateProtectionInput, ...func(*shield.Options)) (*shield.CreateProtectionOutput, error)
	DeleteProtection(context.Context, *shield.DeleteProtectionInput, ...func(*shield.Options)) (*shield.DeleteProtectionOutput, error)
}

// Shield protection names. LBC names the protections it creates so, and
// deletes only protections named so (the AWS ALB Ingress Controller's name
// too): kelb does the same, so that either controller may take the other's
// over, and a protection a user made is never deleted.
const (
	ShieldProtectionName       = "managed by aws-load-balancer-controller"
	shieldProtectionNameLegacy = "managed by aws-alb-ingress-controller"
)

// subscriptionTTL is how long the Shield subscription state is trusted
// (LBC: 2 hours; a subscription rarely changes).
const subscriptionTTL = 2 * time.Hour

// addOnsState is what AWS has of a load balancer's add-ons, as last read
// or written; a nil field is not known yet. It is dropped with the load
// balancer's other details on every drift check.
type addOnsState struct {
	// wafv2 and wafRegional are the associated web ACL's ARN (WAFv2) or
	// id (classic), "" for none.
	wafv2, wafRegional *string
	shield             *shieldProtection
}

// shieldProtection is the load balancer's Shield protection; a zero one
// means none.
type shieldProtection struct {
	ID, Name string
}

// webACLChange is what to do about a load balancer's web ACL.
type webACLChange int

const (
	webACLKeep webACLChange = iota
	webACLAssociate
	webACLDisassociate
)

// planWebACL decides the web ACL change: want nil leaves it alone;
// associating another ACL replaces the current one in one call (AWS keeps
// one ACL per resource, as LBC relies on).
func planWebACL(want *string, have string) webACLChange {
	switch {
	case want == nil:
		return webACLKeep
	case *want == "" && have != "":
		return webACLDisassociate
	case *want != "" && *want != have:
		return webACLAssociate
	}
	return webACLKeep
}

// shieldChange is what to do about a load balancer's Shield protection.
type shieldChange int

const (
	shieldKeep shieldChange = iota
	shieldCreate
	shieldDelete
)

// planShield decides the protection change: want nil leaves it alone; a
// protection not wanted is deleted only when its name says LBC or kelb
// made it.
func planShield(want *bool, have shieldProtection) shieldChange {
	switch {
	case want == nil:
		return shieldKeep
	case *want && have.ID == "":
		return shieldCreate
	case !*want && have.ID != "" && (have.Name == ShieldProtectionName || have.Name == shieldProtectionNameLegacy):
		return shieldDelete
	}
	return shieldKeep
}

// AddOnClients are the clients of the add-on APIs; a nil one serves no
// stack that asks for its add-on (an error).
type AddOnClients struct {
	WAFv2       WAFv2
	WAFRegional WAFRegional
	Shield      Shield
}

// subscription caches the Shield subscription state.
type subscription struct {
	mu     sync.Mutex
	active bool
	readAt time.Time
}

// ensureAddOns makes the load balancer's web ACLs and Shield protection
// what the stack asks for, reading AWS's state once per drift period.
// The load balancer is the stack's, proven by its tags when it was found.
func (d *Deployer) ensureAddOns(ctx context.Context, lb *LoadBalancerState, want model.LoadBalancerAddOns) error {
	if lb == nil {
		return nil
	}
	if err := d.ensureWAFv2(ctx, lb, want.WAFv2ACL); err != nil {
		return err
	}
	if err := d.ensureWAFRegional(ctx, lb, want.WAFRegionalACL); err != nil {
		return err
	}
	return d.ensureShield(ctx, lb, want.Shield)
}

func (d *Deployer) ensureWAFv2(ctx context.Context, lb *LoadBalancerState, want *string) error {
	if want == nil {
		return nil
	}
	api := d.addOns.WAFv2
	if api == nil {
		return fmt.Errorf("load balancer %s: a WAFv2 web ACL is asked for but kelb has no WAFv2 client", lb.Name)
	}
	if lb.addOns.wafv2 == nil {
		out, err := api.GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: aws.String(lb.ARN)})
		if err != nil {
			return fmt.Errorf("reading the WAFv2 web ACL of load balancer %s: %w", lb.Name, err)
		}
		have := ""
		if out.WebACL != nil {
			have = aws.ToString(out.WebACL.ARN)
		}
		lb.addOns.wafv2 = &have
	}
	have := *lb.addOns.wafv2
	switch planWebACL(want, have) {
	case webACLAssociate:
		if _, err := api.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: aws.String(lb.ARN),
			WebACLArn: want}); err != nil {
			lb.addOns.wafv2 = nil // read again: the call may have half-happened
			return fmt.Errorf("associating WAFv2 web ACL %s with load balancer %s: %w", *want, lb.Name, err)
		}
		log.FromContext(ctx).Info("associated WAFv2 web ACL", "loadBalancer", lb.Name, "webACL", *want,
			"previous", have)
	case webACLDisassociate:
		if _, err := api.DisassociateWebACL(ctx, &wafv2.DisassociateWebACLInput{ResourceArn: aws.String(lb.ARN)}); err != nil {
			lb.addOns.wafv2 = nil
			return fmt.Errorf("disassociating WAFv2 web ACL %s from load balancer %s: %w", have, lb.Name, err)
		}
		log.FromContext(ctx).Info("disassociated WAFv2 web ACL", "loadBalancer", lb.Name, "webACL", have)
	default:
		return nil
	}
	lb.addOns.wafv2 = aws.String(*want)
	return nil
}

func (d *Deployer) ensureWAFRegional(ctx context.Context, lb *LoadBalancerState, want *string) error {
	if want == nil {
		return nil
	}
	api := d.addOns.WAFRegional
	if api == nil {
		return fmt.Errorf("load balancer %s: a classic WAF web ACL is asked for but kelb has no WAF Regional client", lb.Name)
	}
	if lb.addOns.wafRegional == nil {
		out, err := api.GetWebACLForResource(ctx, &wafregional.GetWebACLForResourceInput{ResourceArn: aws.String(lb.ARN)})
		if err != nil {
			return fmt.Errorf("reading the classic WAF web ACL of load balancer %s: %w", lb.Name, err)
		}
		have := ""
		if out.WebACLSummary != nil {
			have = aws.ToString(out.WebACLSummary.WebACLId)
		}
		lb.addOns.wafRegional = &have
	}
	have := *lb.addOns.wafRegional
	switch planWebACL(want, have) {
	case webACLAssociate:
		if _, err := api.AssociateWebACL(ctx, &wafregional.AssociateWebACLInput{ResourceArn: aws.String(lb.ARN),
			WebACLId: want}); err != nil {
			lb.addOns.wafRegional = nil
			return fmt.Errorf("associating classic WAF web ACL %s with load balancer %s: %w", *want, lb.Name, err)
		}
		log.FromContext(ctx).Info("associated classic WAF web ACL", "loadBalancer", lb.Name, "webACL", *want,
			"previous", have)
	case webACLDisassociate:
		if _, err := api.DisassociateWebACL(ctx, &wafregional.DisassociateWebACLInput{ResourceArn: aws.String(lb.ARN)}); err != nil {
			lb.addOns.wafRegional = nil
			return fmt.Errorf("disassociating classic WAF web ACL %s from load balancer %s: %w", have, lb.Name, err)
		}
		log.FromContext(ctx).Info("disassociated classic WAF web ACL", "loadBalancer", lb.Name, "webACL", have)
	default:
		return nil
	}
	lb.addOns.wafRegional = aws.String(*want)
	return nil
}

// ensureShield creates or deletes the protection. As LBC, nothing is done
// unless the account subscribes to Shield Advanced: without a
// subscription AWS refuses protections, and with the state unreadable the
// rest of the stack is still deployed (logged).
func (d *Deployer) ensureShield(ctx context.Context, lb *LoadBalancerState, want *bool) error {
	if want == nil {
		return nil
	}
	api := d.addOns.Shield
	if api == nil {
		return fmt.Errorf("load balancer %s: Shield protection is asked for but kelb has no Shield client", lb.Name)
	}
	active, err := d.shieldSubscribed(ctx, api)
	if err != nil {
		log.FromContext(ctx).Error(err, "Shield subscription state unknown: Shield protection left as it is",
			"loadBalancer", lb.Name)
		return nil
	}
	if !active {
		log.FromContext(ctx).V(1).Info("no Shield Advanced subscription: Shield protection left as it is",
			"loadBalancer", lb.Name)
		return nil
	}
	if lb.addOns.shield == nil {
		out, err := api.DescribeProtection(ctx, &shield.DescribeProtectionInput{ResourceArn: aws.String(lb.ARN)})
		var have shieldProtection
		switch {
		case awsclient.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("reading the Shield protection of load balancer %s: %w", lb.Name, err)
		case out.Protection != nil:
			have = shieldProtection{ID: aws.ToString(out.Protection.Id), Name: aws.ToString(out.Protection.Name)}
		}
		lb.addOns.shield = &have
	}
	have := *lb.addOns.shield
	switch planShield(want, have) {
	case shieldCreate:
		out, err := api.CreateProtection(ctx, &shield.CreateProtectionInput{Name: aws.String(ShieldProtectionName),
			ResourceArn: aws.String(lb.ARN)})
		if err != nil {
			lb.addOns.shield = nil
			return fmt.Errorf("creating Shield protection of load balancer %s: %w", lb.Name, err)
		}
		lb.addOns.shield = &shieldProtection{ID: aws.ToString(out.ProtectionId), Name: ShieldProtectionName}
		log.FromContext(ctx).Info("created Shield protection", "loadBalancer", lb.Name,
			"protection", lb.addOns.shield.ID)
	case shieldDelete:
		_, err := api.DeleteProtection(ctx, &shield.DeleteProtectionInput{ProtectionId: aws.String(have.ID)})
		if err != nil && !awsclient.IsNotFound(err) {
			lb.addOns.shield = nil
			return fmt.Errorf("deleting Shield protection %s of load balancer %s: %w", have.ID, lb.Name, err)
		}
		lb.addOns.shield = &shieldProtection{}
		log.FromContext(ctx).Info("deleted Shield protection", "loadBalancer", lb.Name, "protection", have.ID)
	case shieldKeep:
		if want != nil && !*want && have.ID != "" {
			log.FromContext(ctx).V(1).Info("Shield protection made by someone else left in place",
				"loadBalancer", lb.Name, "protection", have.ID, "name", have.Name)
		}
	}
	return nil
}

// shieldSubscribed reads the subscription state at most once per
// subscriptionTTL.
func (d *Deployer) shieldSubscribed(ctx context.Context, api Shield) (bool, error) {
	d.subscription.mu.Lock()
	defer d.subscription.mu.Unlock()
	if !d.subscription.readAt.IsZero() && d.clock.Since(d.subscription.readAt) < subscriptionTTL {
		return d.subscription.active, nil
	}
	out, err := api.GetSubscriptionState(ctx, &shield.GetSubscriptionStateInput{})
	if err != nil {
		return false, fmt.Errorf("reading the Shield subscription state: %w", err)
	}
	d.subscription.active = out.SubscriptionState == shieldtypes.SubscriptionStateActive
	d.subscription.readAt = d.clock.Now()
	return d.subscription.active, nil
}

// dropShieldProtection deletes the Shield protection LBC or kelb made for
// a load balancer just deleted (differs from LBC, which leaves it: a
// protection of a resource that is gone protects nothing). It runs only
// once the load balancer is gone, so a load balancer AWS keeps (deletion
// protection) keeps its protection; a failure is logged, not retried.
func (d *Deployer) dropShieldProtection(ctx context.Context, lb *LoadBalancerState) {
	if d.addOns.Shield == nil {
		return
	}
	if err := d.ensureShield(ctx, lb, aws.Bool(false)); err != nil {
		log.FromContext(ctx).Error(err, "Shield protection of a deleted load balancer left in place",
			"loadBalancer", lb.Name)
	}
}
