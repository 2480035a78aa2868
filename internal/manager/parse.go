package manager

import (
	"flag"

	"github.com/spf13/pflag"
)

// ParseFlags parses args into the flags of fs the way LBC parses its own
// (pflag: flags may follow other arguments, --flag value, a map or list flag
// given twice adds up), so every command line LBC accepts means the same to
// kelb. It returns the flags the user set, with their values as parsed.
func ParseFlags(fs *flag.FlagSet, args []string) (map[string]string, error) {
	pfs := pflag.NewFlagSet(fs.Name(), pflag.ContinueOnError)
	pfs.AddGoFlagSet(fs)
	if err := pfs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]string{}
	pfs.Visit(func(f *pflag.Flag) { set[f.Name] = f.Value.String() })
	return set, nil
}
