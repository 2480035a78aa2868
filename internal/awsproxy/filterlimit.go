package awsproxy

import (
	"fmt"
	"net/http"
	"regexp"
)

// MaxFilterValues is how many values EC2 takes in one filter of a describe
// call. moto takes any number, so a client that never splits its look-ups
// would pass every test and fail in a cluster of more than 200 nodes.
const MaxFilterValues = 200

// filterLimit answers a DescribeInstances with a filter of more than
// MaxFilterValues values the way EC2 does: FilterLimitExceeded.
type filterLimit struct{}

// filterValue is one value of one filter in a query request:
// Filter.<n>.Value.<m>.
var filterValue = regexp.MustCompile(`^Filter\.(\d+)\.Value\.\d+$`)

// Wrap implements Middleware.
func (filterLimit) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "ec2" || r.Action != "DescribeInstances" {
			return next(r)
		}
		values := map[string]int{} // filter index -> its values
		for k := range r.Params {
			if m := filterValue.FindStringSubmatch(k); m != nil {
				values[m[1]]++
			}
		}
		for _, n := range values {
			if n > MaxFilterValues {
				return errorResponse(r, http.StatusBadRequest, "FilterLimitExceeded",
					fmt.Sprintf("The maximum number of filter values specified on a single call is %d", MaxFilterValues))
			}
		}
		return next(r)
	}
}
