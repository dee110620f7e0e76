module example.com/pvhguest

go 1.26
