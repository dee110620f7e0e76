//go:build box

package box

import (
	"testing"

	"github.com/goxen/goxen/internal/boxtesting/faults"
)

// TestMain prints, after the tests, "platform faults: N of M boots" and
// which tests met one (runBox counts the boots, runLinux the faults).
func TestMain(m *testing.M) { faults.Main(m) }
