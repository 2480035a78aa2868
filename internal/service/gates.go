package service

import "fmt"

// Gates are the LBC feature gates (--feature-gates) that change what a
// Service builds. The zero value is LBC's defaults, so each field names the
// departure from them.
type Gates struct {
	// TCPUDPListener (EnableTCPUDPListener=true, off by default): a TCP and
	// a UDP port of the same number become one TCP_UDP listener and target
	// group unless the Service's enable-tcp-udp-listener annotation says
	// otherwise.
	TCPUDPListener bool
	// NoIPTargets (EnableIPTargetType=false): ip targets are refused.
	NoIPTargets bool
	// NoHealthCheckAdvancedConfig (NLBHealthCheckAdvancedConfig=false): the
	// healthcheck-timeout and healthcheck-success-codes annotations are
	// ignored; AWS's defaults apply.
	NoHealthCheckAdvancedConfig bool
	// NoNLBSecurityGroups (NLBSecurityGroup=false): load balancers are made
	// without security groups, node rules come from CIDRs.
	NoNLBSecurityGroups bool
	// DefaultTagsLowPriority (EnableDefaultTagsLowPriority=true): the
	// additional-resource-tags annotation wins over --default-tags.
	DefaultTagsLowPriority bool
	// NoCapacityReservation (LBCapacityReservation=false): the
	// minimum-load-balancer-capacity annotation is ignored.
	NoCapacityReservation bool
}

// checkSecurityGroupGate refuses, as LBC does, to serve a load balancer
// that has security groups while NLBSecurityGroup is off: AWS cannot take
// them all away, and going on would leave its rules unmanaged.
func checkSecurityGroupGate(cfg Config, f Facts) error {
	if cfg.Gates.NoNLBSecurityGroups && f.ExistingScheme != "" && !f.LoadBalancerWithoutSGs {
		return fmt.Errorf("%w: the load balancer has security groups, but --feature-gates NLBSecurityGroup=false "+
			"asks for none, which AWS cannot change; turn the gate on or recreate the Service", ErrInvalid)
	}
	return nil
}
