// Package targets computes target-group membership from the cluster: the
// nodes that receive a Service's node port (instance targets) and the
// endpoints that serve a Service port (ip targets), and the changes that
// bring a target group's members to the wanted set. Pure: no client, no
// AWS; the Service model builder and the TargetGroupBinding controller
// both use it.
package targets
