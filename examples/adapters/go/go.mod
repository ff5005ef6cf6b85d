module paraspec.example/adapter

go 1.19
