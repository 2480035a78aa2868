package service

// AnnMultiClusterTargetGroup is LBC's annotation for target groups that
// other clusters register targets in too (through TargetGroupBindings).
const AnnMultiClusterTargetGroup = Prefix + "multi-cluster-target-group"
