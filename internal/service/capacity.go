package service

import "strconv"

// capacityUnitsKey is the one key of minimum-load-balancer-capacity.
const capacityUnitsKey = "CapacityUnits"

// minimumCapacityOf reads minimum-load-balancer-capacity as LBC does:
// "CapacityUnits=N" reserves N capacity units, "CapacityUnits=0" resets the
// reservation, and no annotation (or the LBCapacityReservation gate off)
// leaves the reservation as AWS has it, also when the annotation is
// removed. LBC takes a value that is not a number as 0 and resets; kelb
// refuses it, and a negative one, before any AWS call.
func minimumCapacityOf(cfg Config, a annotations) (*int32, error) {
	if cfg.Gates.NoCapacityReservation {
		return nil, nil
	}
	raw, set := a.value(AnnMinimumCapacity)
	if !set {
		return nil, nil
	}
	kv, err := a.keyValues(AnnMinimumCapacity)
	if err != nil || len(kv) != 1 {
		return nil, &AnnotationError{Annotation: AnnMinimumCapacity, Value: raw,
			Allowed: capacityUnitsKey + "=<capacity units, 0 to reset the reservation>"}
	}
	v, ok := kv[capacityUnitsKey]
	n, perr := strconv.ParseInt(v, 10, 32)
	if !ok || perr != nil || n < 0 {
		return nil, &AnnotationError{Annotation: AnnMinimumCapacity, Value: raw,
			Allowed: capacityUnitsKey + "=<capacity units, 0 to reset the reservation>"}
	}
	units := int32(n)
	return &units, nil
}
