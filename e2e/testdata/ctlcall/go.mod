module example.com/ctlcall

go 1.26
