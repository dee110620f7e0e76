#!/bin/busybox sh
# Init of the xenbox dom0: start the xl toolstack, run one guest (or, for
# a soak, REPEAT guests one after the other), report their fate on the
# console (hvc0 -> Xen -> serial) with "@@" markers the host takes apart,
# then power the machine off. Per-run files are in /box.
export PATH=/bin:/usr/bin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/xen /run/xenstored /run/goxen /var/lock /var/lib/xen /var/log/xen/console /var/lib/xenstored
exec </dev/console >/dev/console 2>&1

finish() {
	echo "@@BOX done"
	sync
	poweroff -f
	sleep 10
	echo "@@BOX poweroff-failed"
	exit 1
}

# now sets T to /proc/uptime's first field (seconds, 10 ms resolution)
# and C to the same in centiseconds, without forking: the loop below
# runs every 20 ms on an emulated CPU.
now() {
	read -r T _ </proc/uptime
	C=$((${T%.*} * 100 + 1${T#*.} - 100))
}

for m in $(cat /lib/modules/box/order); do
	insmod "/lib/modules/box/$m" || echo "@@BOX warn insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || echo "@@BOX warn xenfs mount failed"
xenstored --pid-file /run/xenstored.pid || { echo "@@BOX box-error xenstored failed"; finish; }
xen-init-dom0 >/run/init-dom0.out 2>&1 || { cat /run/init-dom0.out; echo "@@BOX box-error xen-init-dom0 failed"; finish; }
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console ||
	{ echo "@@BOX box-error xenconsoled failed"; finish; }

. /box/params
REPEAT=${REPEAT:-1}
LOG=/var/log/xen/console/guest-guest.log
now
echo "@@BOX dom0-ready $T"

# run_guest creates the guest, runs it to its end or the timeout and
# reports it, then destroys it. With REPEAT > 1 it runs once per guest of
# a soak: no live copy of the console then (the host shows progress
# instead), and the next guest starts as soon as this one is gone.
run_guest() {
	: >"$LOG"
	rm -f /run/released
	first= state= tailpid= scriptpid= PF=no
	if ! xl create -p /box/guest.cfg >/run/create.out 2>&1; then
		sed 's/^/@@E /' /run/create.out
		# The device model's own words, if libxl started one (channels).
		for f in /var/log/xen/qemu-dm-guest.log*; do
			[ -s "$f" ] && sed 's/^/@@E qemu-dm: /' "$f"
		done
		echo "@@BOX create-failed"
		state=create-failed
		return
	fi
	domid=$(xl domid guest)
	echo "@@BOX created $domid"
	tty=$(xenstore-read "/local/domain/$domid/console/tty")
	echo "@@BOX tty $tty"
	# One vchan-socket-proxy per vchan the guest will serve: it listens
	# now and connects to the vchan when a process connects to the socket.
	proxies=
	for p in $VCHANS; do
		sock=/run/goxen/vchan-$(echo "$p" | tr / -).sock
		vchan-socket-proxy "$domid" "/local/domain/$domid/$p" "$sock" >/run/vchan-proxy.log 2>&1 &
		proxies="$proxies $!"
		echo "@@BOX vchan-proxy $p $sock"
	done

	if [ "$REPEAT" -le 1 ]; then
		# Live copy of the guest console for the host (tail polls once a second).
		tail -f "$LOG" | sed 's/^/@@G /' &
		tailpid=$!
	fi
	# xenstored fires @releaseDomain when a domain shuts down or dies; the
	# first event is the one every new watch gets at once.
	(xenstore-watch -n 2 @releaseDomain >/dev/null 2>&1; : >/run/released) &

	xl unpause guest
	now
	echo "@@BOX unpaused $T"
	deadline=$((C + TIMEOUT * 100))
	n=0
	while :; do
		if [ -z "$first" ] && [ -s "$LOG" ]; then
			now
			first=$T
			echo "@@BOX firstbyte $T"
			if [ -s /box/script ]; then
				(
					export DOMID=$domid
					(. /box/script) 2>&1
					echo "exit $?"
				) 2>&1 | sed 's/^/@@S /' &
				scriptpid=$!
			fi
			if [ -s /box/input ]; then
				(
					while IFS= read -r line; do
						sleep "$INPUT_DELAY"
						printf '%s\n' "$line" >"$tty"
					done </box/input
					echo "@@BOX input-done"
				) &
			fi
		fi
		n=$((n + 1))
		# Ask xl when xenstored said a domain went away, and every ~5 s in
		# case the watch missed it.
		if [ -e /run/released ] || [ $((n % 250)) -eq 0 ]; then
			rm -f /run/released
			state=$(xl list guest 2>/dev/null | awk 'NR == 2 { print $5 }')
			case "$state" in
			???s* | ????c* | "") break ;;
			esac
			(xenstore-watch -n 2 @releaseDomain >/dev/null 2>&1; : >/run/released) &
		fi
		now
		if [ "$C" -ge "$deadline" ]; then
			state=$(xl list guest 2>/dev/null | awk 'NR == 2 { print $5 }')
			echo "@@BOX timeout ${state:--} $T"
			state=timeout
			break
		fi
		usleep 20000
	done
	# Let the dom0 script finish (it may be what ended the guest), for up
	# to 30 s.
	i=0
	while [ -n "$scriptpid" ] && kill -0 "$scriptpid" 2>/dev/null && [ $i -lt 300 ]; do
		usleep 100000
		i=$((i + 1))
	done
	if [ "$state" != timeout ]; then
		now
		state=${state:-gone}
		echo "@@BOX state $state $T"
	fi
	# A guest that printed and stopped within one loop turn: its first byte
	# came no later than now.
	if [ -z "$first" ] && [ -s "$LOG" ]; then
		now
		echo "@@BOX firstbyte-by $T"
	fi
	# The guest's CPU time (xl list's Time(s)): idle guests must not burn it.
	cpu=$(xl list guest 2>/dev/null | awk 'NR == 2 { print $6 }')
	echo "@@BOX cputime ${cpu:--}"
	case "$state" in
	????[cr]*)
		# The domain is preserved: show where its vCPUs stopped.
		xenctx -a -C "$domid" 2>&1 | sed 's/^/@@X /'
		;;
	timeout)
		# Still running: three looks at what it is doing, 0.3 s apart.
		for i in 1 2 3; do
			xenctx -a -C "$domid" 2>&1 | sed 's/^/@@X /'
			usleep 300000
		done
		;;
	esac
	[ -n "$proxies" ] && kill $proxies 2>/dev/null
	if [ -s /run/vchan-proxy.log ]; then
		sed 's/^/@@S vchan-socket-proxy: /' /run/vchan-proxy.log
	fi
	if [ -n "$tailpid" ]; then
		# Let xenconsoled drain the ring into the log, then stop the live copy.
		sleep 1
		kill $tailpid 2>/dev/null
		sleep 1
	else
		# Let xenconsoled drain the ring: until the log stops growing
		# (0.1 s apart), at most 2 s.
		size=-1
		for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			s=$(wc -c <"$LOG")
			[ "$s" = "$size" ] && break
			size=$s
			usleep 100000
		done
	fi
	echo
	echo "@@GUESTLOG-BEGIN"
	sed 's/^/@@L /' "$LOG"
	echo
	echo "@@GUESTLOG-END"
	grep -q 'goxen: platform fault' "$LOG" && PF=yes
	xl destroy guest 2>/dev/null
	# The next guest of a soak needs the name, free once the domain is gone.
	[ "$REPEAT" -le 1 ] && return
	for i in 1 2 3 4 5 6 7 8 9 10; do
		xl domid guest >/dev/null 2>&1 || break
		usleep 200000
	done
}

if [ "$REPEAT" -le 1 ]; then
	run_guest
else
	g=1
	while [ "$g" -le "$REPEAT" ]; do
		echo "@@BOX guest-begin $g"
		run_guest
		echo "@@BOX guest-end $g ${state:-none} platform-fault=$PF"
		g=$((g + 1))
	done
fi
finish
