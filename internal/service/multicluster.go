package service

// AnnMultiClusterTargetGroup is LBC's annotation for target groups that
// other clusters register targets in too (through TargetGroupBindings).
const AnnMultiClusterTargetGroup = Prefix + "multi-cluster-target-group"

// refuseMultiCluster refuses a multi-cluster target group: kelb
// deregisters every target its own cluster does not ask for, which would
// take the other clusters' targets out of service. Until kelb tracks the
// targets it registered itself (as LBC does), such a Service is refused
// before any AWS change, and whatever LBC made for it stays as it is.
func refuseMultiCluster(a annotations) error {
	on, err := a.boolean(AnnMultiClusterTargetGroup, false)
	if err != nil || !on {
		return err
	}
	return &AnnotationError{Annotation: AnnMultiClusterTargetGroup, Value: a[AnnMultiClusterTargetGroup],
		Allowed: "false (kelb does not serve multi-cluster target groups yet: it would deregister the other clusters' targets)"}
}
