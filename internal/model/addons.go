package model

// LoadBalancerAddOns are what an application load balancer carries besides
// its listeners: a WAFv2 web ACL, a classic (regional) WAF web ACL and
// Shield Advanced protection. A nil field leaves AWS as it is: LBC v3
// touches an add-on only while some member of the group sets it, so an
// annotation removed changes nothing (set "none" or "false" to take the
// add-on away).
type LoadBalancerAddOns struct {
	// WAFv2ACL is the ARN of the WAFv2 web ACL to associate; "" means
	// none (disassociate whatever is associated).
	WAFv2ACL *string
	// WAFRegionalACL is the id of the classic WAF web ACL to associate;
	// "" means none.
	WAFRegionalACL *string
	// Shield says whether Shield Advanced protection is wanted; false
	// deletes only a protection named as LBC (or kelb) names the ones it
	// creates.
	Shield *bool
}
