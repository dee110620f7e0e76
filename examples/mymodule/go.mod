module example.com/mymodule

go 1.26.0

require github.com/goxen/goxen v0.0.0

require golang.org/x/arch v0.32.0 // indirect

// Only while goxen is not published: use the checkout this directory is in.
// A module of your own drops this line and requires a released version.
replace github.com/goxen/goxen => ../..
