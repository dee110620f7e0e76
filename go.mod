module github.com/goxen/goxen

go 1.26.0

require golang.org/x/arch v0.32.0

require github.com/usbarmory/tamago v1.26.0
