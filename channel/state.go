package channel

import (
	"fmt"
	"time"
)

// State is a xenbus device state (enum xenbus_state in
// xen/include/public/io/xenbus.h), as frontends and backends write it to
// their "state" key.
type State int

const (
	StateUnknown       State = 0
	StateInitialising  State = 1
	StateInitWait      State = 2 // the backend waits for the frontend's details
	StateInitialised   State = 3 // the frontend's details (ring-ref, port) are written
	StateConnected     State = 4
	StateClosing       State = 5
	StateClosed        State = 6
	StateReconfiguring State = 7
	StateReconfigured  State = 8
)

var stateNames = [...]string{"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ParseState reads a "state" key's value: a decimal number from 0 to 8.
// A missing key (nil) is StateUnknown, which is what a removed device
// looks like.
func ParseState(v []byte) (State, error) {
	if v == nil {
		return StateUnknown, nil
	}
	if len(v) == 0 || len(v) > 2 {
		return 0, fmt.Errorf("channel: bad xenbus state %q", v)
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("channel: bad xenbus state %q", v)
		}
		n = n*10 + int(c-'0')
	}
	if n > int(StateReconfigured) {
		return 0, fmt.Errorf("channel: bad xenbus state %q", v)
	}
	return State(n), nil
}

// phase is where the frontend is in its walk.
type phase int

const (
	connecting   phase = iota // first connection: the backend starts from InitWait
	reconnecting              // after an earlier Close: the backend starts from Closed
	connected
)

// step is what the frontend does next, given the backend's state.
type step int

const (
	stepWait    step = iota // nothing yet: wait for the backend's next change
	stepConnect             // the backend is Connected: so is the frontend now
	stepEOF                 // the backend is going away: reads end, the frontend closes
	stepFail                // the backend cannot serve (a state no backend should be in)
)

// frontendStep is the frontend's state machine, kept pure so host tests
// can walk it.
func frontendStep(ph phase, back State) step {
	switch back {
	case StateInitialising, StateInitWait, StateInitialised:
		if ph != connected {
			return stepWait
		}
		// A connected backend that goes back to its start has dropped
		// us (QEMU restarted): the stream is over.
		return stepEOF
	case StateConnected:
		if ph != connected {
			return stepConnect
		}
		return stepWait
	case StateClosing, StateClosed:
		// A backend that served an earlier connection stays Closed until
		// it sees the frontend's Initialising (QEMU's xen_be_try_reset).
		if ph == reconnecting {
			return stepWait
		}
		return stepEOF
	case StateUnknown:
		return stepEOF
	}
	return stepFail
}

// closeTimeout bounds Close's wait for the backend.
const closeTimeout = 10 * time.Second
