module github.com/goxen/goxen

go 1.26
