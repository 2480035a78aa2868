package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// ruleKey identifies a rule regardless of its description.
type ruleKey struct {
	Protocol                   string
	FromPort, ToPort           int32
	CIDR, SourceSG, PrefixList string
}

func keyOf(r model.Rule) ruleKey {
	return ruleKey{r.Protocol, r.FromPort, r.ToPort, r.CIDR, r.SourceSG, r.PrefixListID}
}

func ruleSet(rules []model.Rule) map[ruleKey]bool {
	m := make(map[ruleKey]bool, len(rules))
	for _, r := range rules {
		m[keyOf(r)] = true
	}
	return m
}

func sameRules(a, b []model.Rule) bool {
	sa, sb := ruleSet(a), ruleSet(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

func permissions(rules []model.Rule) []ec2types.IpPermission {
	out := make([]ec2types.IpPermission, 0, len(rules))
	for _, r := range rules {
		p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
		if r.Protocol != allTraffic { // all traffic has no ports
			p.FromPort, p.ToPort = aws.Int32(r.FromPort), aws.Int32(r.ToPort)
		}
		switch {
		case r.PrefixListID != "":
			p.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: aws.String(r.PrefixListID), Description: aws.String(r.Description)}}
		case r.SourceSG != "":
			p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(r.SourceSG), Description: aws.String(r.Description)}}
		case strings.Contains(r.CIDR, ":"):
			p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR), Description: aws.String(r.Description)}}
		default:
			p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(r.CIDR), Description: aws.String(r.Description)}}
		}
		out = append(out, p)
	}
	return out
}

func (d *Deployer) createSecurityGroup(ctx context.Context, name, description string, want map[string]string) (*SecurityGroupState, error) {
	tags := d.createTags(want)
	out, err := d.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String(description), VpcId: aws.String(d.cfg.VPCID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: awsclient.EC2Tags(tags)}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating security group %s: %w", name, err)
	}
	return &SecurityGroupState{ID: aws.ToString(out.GroupId), Name: name, Tags: tags}, nil
}

// ensureBackendSG returns the shared backend security group, creating the
// managed one the first time a stack needs it.
func (d *Deployer) ensureBackendSG(ctx context.Context) (string, error) {
	if d.cfg.BackendSGID != "" {
		return d.cfg.BackendSGID, nil
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.inv.mu.Lock()
	sg := d.inv.backendSG
	d.inv.mu.Unlock()
	if sg != nil {
		return sg.ID, nil
	}
	sg, err := d.createBackendSG(ctx)
	if err != nil {
		return "", err
	}
	d.inv.mu.Lock()
	d.inv.backendSG = sg
	d.inv.mu.Unlock()
	return sg.ID, nil
}

// createBackendSG creates the managed backend group under LBC's name. When a
// group of that name is in the VPC already, it is this cluster's (a create
// whose answer was lost; one LBC made) and is taken as it is, or it belongs
// to another cluster of the same name, and this cluster's own is created
// under a name qualified by its UID.
func (d *Deployer) createBackendSG(ctx context.Context) (*SecurityGroupState, error) {
	tags := map[string]string{model.TagCluster: d.cfg.ClusterName, model.TagResource: model.ResourceBackendSG}
	names := []string{backendSGName(d.cfg.ClusterName, "")}
	if d.cfg.ClusterUID != "" {
		names = append(names, backendSGName(d.cfg.ClusterName, d.cfg.ClusterUID))
	}
	var err error
	for _, name := range names {
		var sg *SecurityGroupState
		if sg, err = d.createSecurityGroup(ctx, name, "[k8s] Shared Backend SecurityGroup for LoadBalancer", tags); err == nil {
			return sg, nil
		} else if !awsclient.IsDuplicate(err) {
			return nil, err
		}
		existing, ferr := d.findSecurityGroup(ctx, name)
		if ferr != nil {
			return nil, ferr
		}
		if existing != nil && exclusion(d.cfg, existing.Tags, d.cfg.VPCID) == "" &&
			existing.Tags[model.TagCluster] == d.cfg.ClusterName && existing.Tags[model.TagResource] == model.ResourceBackendSG {
			return existing, nil
		}
	}
	return nil, err
}

// backendSGName is LBC's name of the shared backend group:
// k8s-traffic-<cluster, letters and digits only, at most 232>-<10 hex of the
// SHA-256 of the cluster name>. With a UID (a second cluster of the same
// name in the VPC holds LBC's name), the hash covers "<cluster>/<uid>".
func backendSGName(cluster, uid string) string {
	in := cluster
	if uid != "" {
		in += "/" + uid
	}
	sum := sha256.Sum256([]byte(in))
	return fmt.Sprintf("k8s-traffic-%.232s-%.10s", notAlphanumeric.ReplaceAllString(cluster, ""), hex.EncodeToString(sum[:]))
}

// notAlphanumeric matches what LBC strips from the cluster name in the
// backend group's name (hyphens too; case is kept).
var notAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9]`)

// findSecurityGroup returns the group of that name in the cluster's VPC,
// nil when there is none.
func (d *Deployer) findSecurityGroup(ctx context.Context, name string) (*SecurityGroupState, error) {
	out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}}, {Name: aws.String("vpc-id"), Values: []string{d.cfg.VPCID}}}})
	if err != nil {
		return nil, fmt.Errorf("finding security group %s: %w", name, err)
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	return securityGroupState(out.SecurityGroups[0]), nil
}

func (d *Deployer) ensureFrontendSG(ctx context.Context, st *StackState, stack *model.Stack) error {
	want := stack.FrontendSG
	if st.FrontendSG == nil {
		sg, err := d.createSecurityGroup(ctx, want.Name, want.Description, want.Tags)
		if err != nil {
			return err
		}
		st.FrontendSG = sg
	} else if tagged, err := awsclient.UpdateEC2Tags(ctx, d.ec2, st.FrontendSG.ID, st.FrontendSG.Tags, want.Tags,
		stack.TagPolicy); err != nil {
		return err
	} else {
		st.FrontendSG.Tags = tagged
	}
	have := ruleSet(st.FrontendSG.Ingress)
	var missing []model.Rule
	for _, r := range want.Ingress {
		if !have[keyOf(r)] {
			missing = append(missing, r)
		}
	}
	return d.authorize(ctx, st.FrontendSG, missing)
}

// revokeFrontendRules revokes the rules of the load balancer's managed
// group that are no longer wanted. Every rule in that group is the group's,
// whatever its description (LBC writes none): the group is made for the
// load balancer alone, and kelb proves it is this stack's, from tags read
// right before, before it revokes anything there. Only this group is ever
// treated so; rules in user-supplied and node groups are never revoked on
// that basis.
func (d *Deployer) revokeFrontendRules(ctx context.Context, st *StackState, want []model.Rule) error {
	if len(unwantedRules(st.FrontendSG.Ingress, want)) == 0 {
		return nil
	}
	proven, err := d.provenFrontendSG(ctx, st)
	if err != nil || proven == nil {
		return err
	}
	st.FrontendSG = proven
	return d.revoke(ctx, st.FrontendSG, unwantedRules(st.FrontendSG.Ingress, want))
}

// unwantedRules returns the rules of have that want lacks.
func unwantedRules(have, want []model.Rule) []model.Rule {
	keep := ruleSet(want)
	var out []model.Rule
	for _, r := range have {
		if !keep[keyOf(r)] {
			out = append(out, r)
		}
	}
	return out
}

// provenFrontendSG reads the stack's managed group afresh and returns it
// when its current tags still make it this stack's managed group in this
// cluster and VPC; nil (and nothing revoked) otherwise.
func (d *Deployer) provenFrontendSG(ctx context.Context, st *StackState) (*SecurityGroupState, error) {
	out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{st.FrontendSG.ID}})
	if awsclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing security group %s: %w", st.FrontendSG.ID, err)
	}
	if len(out.SecurityGroups) != 1 {
		return nil, nil
	}
	g := out.SecurityGroups[0]
	sg := securityGroupState(g)
	if !isManagedFrontendSG(d.cfg, st.ID, sg.Tags, aws.ToString(g.VpcId)) {
		return nil, nil
	}
	return sg, nil
}

// isManagedFrontendSG reports whether tags (and VPC) make a group the
// managed frontend group of stack in this cluster.
func isManagedFrontendSG(cfg Config, stack model.StackID, tags map[string]string, vpcID string) bool {
	id, ok, err := model.StackOf(tags)
	return tags[model.TagCluster] == cfg.ClusterName && ok && err == nil && id == stack &&
		id.ResourceID(tags) == model.ResourceManagedLBSG && exclusion(cfg, tags, vpcID) == ""
}

// authorize adds rules to a group and records them in its state. AWS
// refuses a whole batch when one of its rules exists already
// (InvalidPermission.Duplicate): then kelb learns the group's real rules and
// sends again only those still missing.
func (d *Deployer) authorize(ctx context.Context, sg *SecurityGroupState, rules []model.Rule) error {
	for attempt := 0; len(rules) > 0; attempt++ {
		_, err := d.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(sg.ID), IpPermissions: permissions(rules)})
		if err == nil {
			sg.Ingress = append(sg.Ingress, rules...)
			return nil
		}
		if !awsclient.IsDuplicate(err) || attempt == maxDuplicateRetries {
			return fmt.Errorf("authorizing %d rules in security group %s: %w", len(rules), sg.ID, err)
		}
		if err := d.rereadSecurityGroup(ctx, sg); err != nil {
			return err
		}
		have := ruleSet(sg.Ingress)
		var missing []model.Rule
		for _, r := range rules {
			if !have[keyOf(r)] {
				missing = append(missing, r)
			}
		}
		rules = missing
	}
	return nil
}

// maxDuplicateRetries bounds the re-sends after InvalidPermission.Duplicate:
// each follows a fresh read, so a second refusal means someone else is
// changing the group right now.
const maxDuplicateRetries = 3

func (d *Deployer) revoke(ctx context.Context, sg *SecurityGroupState, rules []model.Rule) error {
	if len(rules) == 0 {
		return nil
	}
	_, err := d.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(sg.ID), IpPermissions: permissions(rules)})
	if err != nil && !awsclient.IsNotFound(err) {
		return fmt.Errorf("revoking %d rules in security group %s: %w", len(rules), sg.ID, err)
	}
	gone := ruleSet(rules)
	kept := sg.Ingress[:0:0]
	for _, r := range sg.Ingress {
		if !gone[keyOf(r)] {
			kept = append(kept, r)
		}
	}
	sg.Ingress = kept
	return nil
}

func (d *Deployer) rereadSecurityGroup(ctx context.Context, sg *SecurityGroupState) error {
	out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg.ID}})
	if err != nil {
		return fmt.Errorf("describing security group %s: %w", sg.ID, err)
	}
	if len(out.SecurityGroups) == 1 {
		sg.Ingress = securityGroupState(out.SecurityGroups[0]).Ingress
	}
	return nil
}

func (d *Deployer) deleteFrontendSG(ctx context.Context, st *StackState) error {
	if err := d.deleteSecurityGroup(ctx, st.FrontendSG.ID); err != nil {
		return err
	}
	st.FrontendSG = nil
	return nil
}

func (d *Deployer) deleteBackendSG(ctx context.Context) error {
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.inv.mu.Lock()
	sg := d.inv.backendSG
	d.inv.mu.Unlock()
	if sg == nil {
		return nil
	}
	// kelb's rules that reference it go first, wherever they are: the node
	// groups kelb knows of now may not be all it ever wrote to.
	if err := d.revokeReferences(ctx, sg.ID); err != nil {
		return err
	}
	if err := d.deleteSecurityGroup(ctx, sg.ID); err != nil {
		return err
	}
	d.inv.mu.Lock()
	d.inv.backendSG = nil
	d.inv.mu.Unlock()
	return nil
}

func (d *Deployer) deleteSecurityGroup(ctx context.Context, id string) error {
	_, err := d.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	switch {
	case err == nil, awsclient.IsNotFound(err):
		return nil
	case awsclient.IsDependency(err):
		return fmt.Errorf("deleting security group %s: %w (%v)", id, ErrPending, err)
	default:
		return fmt.Errorf("deleting security group %s: %w", id, err)
	}
}

// revokeReferences revokes kelb's rules that name group as their source, in
// every security group, found with one filtered read.
func (d *Deployer) revokeReferences(ctx context.Context, group string) error {
	d.nodeSGMu.Lock()
	defer d.nodeSGMu.Unlock()
	out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("ip-permission.group-id"), Values: []string{group}}}})
	if err != nil {
		return fmt.Errorf("finding rules that reference security group %s: %w", group, err)
	}
	for _, g := range out.SecurityGroups {
		st := securityGroupState(g)
		var ours []model.Rule
		for _, r := range st.Ingress {
			if r.SourceSG == group && isOurs(r) {
				ours = append(ours, r)
			}
		}
		if err := d.revoke(ctx, st, ours); err != nil {
			return err
		}
		d.inv.mu.Lock()
		if _, cached := d.inv.nodeSGs[st.ID]; cached {
			d.inv.nodeSGs[st.ID] = st
		}
		d.inv.mu.Unlock()
	}
	return nil
}
