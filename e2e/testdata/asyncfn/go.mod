module example.com/asyncfn

go 1.26
