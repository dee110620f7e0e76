// Package channel is Xen's PV channels: named, private byte streams
// between a guest and a process in another domain (usually dom0), in the
// manner of a serial link. Xen's docs/man/xen-pv-channel.7.pod names
// their two uses: handing a VM its configuration as it boots, and
// talking to an agent inside it.
//
// # What the toolstack does
//
// An xl.cfg line such as
//
//	channel = [ "name=org.goxen.agent,connection=socket,path=/run/goxen/org.goxen.agent.sock" ]
//
// makes libxl add a console device numbered 1 or higher (device 0 is the
// main console) and write its two halves to xenstore
// (tools/libs/light/libxl_console.c):
//
//	/local/domain/<guest>/device/console/<n>/   the frontend: name, backend, backend-id, ...
//	/local/domain/<backend>/backend/console/<guest>/<n>/   the backend: connection, path, ...
//
// xenconsoled serves only device 0, so libxl starts QEMU (-machine xenpv)
// in dom0 as the backend of the others; QEMU joins the ring to the Unix
// socket at path, where dom0's processes connect.
//
// # What the guest does (the frontend)
//
// A channel is an ordinary console device, so its ring is the main
// console's page layout (package console, xen/include/public/io/console.h).
// To connect, the frontend
//
//  1. allocates a page, zeroes it and grants it to the backend domain
//     (package gnttab; the main console uses a reserved grant entry, a
//     channel a real one);
//  2. allocates an unbound event channel for the backend domain (package
//     evtchn);
//  3. writes ring-ref and port into its xenstore directory;
//  4. walks the xenbus state machine (xen/include/public/io/xenbus.h):
//     Initialised when the keys are there, Connected once the backend
//     says Connected.
//
// Then both sides use the ring: the guest writes out[] and reads in[],
// and each sends an event on the port after moving an index. Closing goes
// back down: Closing, then Closed, after which the grant and the port are
// released; the device can be opened again later.
//
// Open returns an io.ReadWriteCloser: a Read blocks until the backend has
// put data in in[] (woken by the event channel, never by polling), a
// Write blocks while out[] is full. It runs on /dev/xen/xenbus,
// /dev/xen/gntalloc and /dev/xen/evtchn, which the goxen kernel provides
// with Linux's interfaces: the same code runs in a Linux domain.
//
// # What QEMU's backend does not do (Xen 4.17, QEMU 7.2)
//
// A channel is a console, and a console has no end-of-file: when the
// process on the Unix socket goes away, QEMU's console backend
// (hw/char/xen_console.c) is not told (it registers no chardev event
// handler), the guest sees nothing, and the next process to connect simply
// continues the stream. Only a backend that leaves Connected (QEMU gone,
// the device removed) ends a Read with io.EOF. vchan has a real close.
//
// QEMU reads the socket as long as in[] had room when it last looked, and
// drops what does not fit when it writes. Measured in the box
// (TestChannelsAndVChan's first version): dom0 wrote 1 MiB at full speed,
// QEMU read all of it (the socket's queue was empty), the guest drained
// in[] to the last byte QEMU produced, and 58-64 KiB never arrived. Paced
// at 1 KiB per 4 ms most runs got every byte, not all. What is safe is
// never to have more than in[] holds (1 KiB) in flight towards the guest:
// the test's dom0 side sends a KiB and waits for the guest's one-byte
// acknowledgement. Channels are for low bandwidth, as its man page says;
// for bulk data use a vchan.
package channel
