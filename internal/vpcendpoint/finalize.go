package vpcendpoint

import (
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Step is what finalizing a deleted object does with its endpoint.
type Step int

const (
	// StepGone: AWS no longer has it; release the finalizer.
	StepGone Step = iota + 1
	// StepWait: AWS is deleting it; release when it is gone.
	StepWait
	// StepDelete: delete it, then wait.
	StepDelete
	// StepRetain: take the owner tag off and mark it retained, then
	// release.
	StepRetain
	// StepRetained: it is already marked retained by this object (a
	// previous attempt stopped before the release); release.
	StepRetained
	// StepLeave: it is not provably the object's, or the object is
	// read-only; release without touching it.
	StepLeave
)

// Finalization is the step and, for StepLeave, why the endpoint is left.
type Finalization struct {
	Step Step
	Why  string
	// Warn: the endpoint is left because nothing proves it is the
	// object's, which the user should hear of.
	Warn bool
}

// FreshReadNeeded reports whether the step may only be taken on what AWS
// says now: every step but waiting for a deletion and releasing a gone
// endpoint acts on its tags, which may have changed since the last read.
func (f Finalization) FreshReadNeeded() bool { return f.Step != StepGone && f.Step != StepWait }

// Finalize decides what to do with the endpoint obs (nil when AWS does not
// have it) of a deleted object with policy pol, whose tags say o. Only an
// endpoint whose owner tags name the object is ever deleted or untagged;
// a read-only object changes nothing.
func Finalize(pol Policy, obs *ec2types.VpcEndpoint, o Ownership) Finalization {
	switch {
	case pol.ReadOnly:
		return Finalization{Step: StepLeave, Why: "the object is read-only"}
	case Gone(obs):
		return Finalization{Step: StepGone}
	case o.Owner == OwnerRetainedByThis:
		return Finalization{Step: StepRetained}
	case o.Owner != OwnerThis:
		return Finalization{Step: StepLeave, Why: o.Why, Warn: true}
	case string(obs.State) == StateDeleting:
		return Finalization{Step: StepWait}
	case pol.Deletion == DeletionRetain:
		return Finalization{Step: StepRetain}
	}
	return Finalization{Step: StepDelete}
}
