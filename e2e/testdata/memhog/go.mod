module memhog

go 1.22
