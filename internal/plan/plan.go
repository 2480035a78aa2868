// Package plan is what `kelb plan` reports: per object (a Service, an
// Ingress, the node security groups every Service shares), the AWS and
// Kubernetes writes kelb's controllers would make now. The writes come from
// the real deployer run against dry-run clients (internal/aws DryRun), so
// the plan is what the controller would do, by construction; this package
// turns the recorded calls into actions and renders them.
package plan

// Schema is the version of the JSON output; it changes only when a field
// changes meaning or goes away.
const Schema = "kelb.dev/plan/v1"

// Plan is the whole report.
type Plan struct {
	Schema string `json:"schema"`
	// Source says which objects were planned: "cluster" (every Service and
	// Ingress the cluster holds) or "files" (those of the -f manifests,
	// against the cluster's other objects and live AWS).
	Source  string   `json:"source"`
	Cluster string   `json:"cluster"`
	VPC     string   `json:"vpc"`
	Region  string   `json:"region"`
	Objects []Object `json:"objects"`
}

// Object is one planned object and what kelb would do for it.
type Object struct {
	Kind      string `json:"kind"` // Service, Ingress, NodeSecurityGroups
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Stacks are the stacks (LBC's stack tag values) the object's reconcile
	// deploys or deletes, e.g. "service:default/web", "ingress:shop".
	Stacks []string `json:"stacks,omitempty"`
	// Skipped says why kelb leaves the object alone.
	Skipped string `json:"skipped,omitempty"`
	// Error is what the reconcile would report (an invalid annotation, a
	// missing subnet): nothing in AWS changes for it.
	Error string `json:"error,omitempty"`
	// Notes say what a later reconcile does that this plan cannot show yet
	// (rules that move once the new targets are registered).
	Notes   []string `json:"notes,omitempty"`
	Actions []Action `json:"actions"`
}

// Action is one write.
type Action struct {
	// Op is create, modify, delete, tag, untag, authorize, revoke,
	// register, deregister, associate or disassociate.
	Op string `json:"op"`
	// Resource is the kind of resource: load-balancer, target-group,
	// listener, listener-rule, security-group, security-group-rules,
	// listener-certificates, web-acl, shield-protection,
	// TargetGroupBinding.
	Resource string `json:"resource"`
	// Name is the resource's name, id or ARN (as much as is known before it
	// exists).
	Name string `json:"name"`
	// Operation is the API call: "elasticloadbalancing:CreateLoadBalancer",
	// "ec2:AuthorizeSecurityGroupIngress", "kubernetes:create".
	Operation string `json:"operation"`
	// Detail is what the call sets.
	Detail string `json:"detail,omitempty"`
	// Why is the reason, as far as the call shows it.
	Why string `json:"why,omitempty"`
}

// Empty reports whether the plan changes nothing and found no error.
func (p *Plan) Empty() bool {
	for _, o := range p.Objects {
		if len(o.Actions) > 0 || o.Error != "" {
			return false
		}
	}
	return true
}

// Counts returns the number of actions and of objects with an error.
func (p *Plan) Counts() (actions, errors int) {
	for _, o := range p.Objects {
		actions += len(o.Actions)
		if o.Error != "" {
			errors++
		}
	}
	return actions, errors
}
