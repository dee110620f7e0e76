// Package docs holds goxen's teaching pages and the test that keeps them
// true to the code.
//
//   - tour.md: a guided tour of the boot path, from `xl create` to bytes
//     on the console ring and the event-channel kick, and back.
//   - history.md: how the same steps looked in Xen 2.0 (the control
//     interface, CMSG_CONSOLE, xend) and what Xen 3.0 changed.
//
// The pages name code with one convention: a backticked `path/file.go:Name`
// (or `path/file.s:Name` for assembly), the path relative to the module
// root and Name a function, a method as Type.Method, a type, a variable or
// a constant declared in that file; a backticked `path/file.go` alone names
// a file. The tests here parse both pages and check every such reference
// against the source with go/parser (and, for assembly, a TEXT line), so a
// renamed or moved function fails `go test ./docs/` with the reference,
// its line, and where the name is declared now.
//
// A second test reads every Go file and Markdown page of the module for
// citations of Xen's own documents (docs/misc/..., docs/man/...) and fails
// on one Xen has moved (it says where the text went) or one nobody has
// looked up in Xen's tree yet (xendocs_test.go lists those checked).
package docs
