module example.com/stdio-fn

go 1.26
