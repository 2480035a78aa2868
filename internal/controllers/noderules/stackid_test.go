package noderules

import "github.com/kelb-dev/kelb/internal/model"

// svcStack is the id of a Service stack named name ("<namespace>/<name>").
func svcStack(name string) model.StackID { return model.StackID{Kind: model.ServiceKind, Name: name} }
