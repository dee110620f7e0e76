//go:build box

package boxtest

import (
	"testing"

	"github.com/goxen/goxen/internal/boxtesting"
)

// TestMain prints, after the tests, "platform faults: N of M boots" and
// which tests met one (boxtesting.Boot counts them).
func TestMain(m *testing.M) { boxtesting.Main(m) }
