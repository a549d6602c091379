"""The command-line interface: thin modules that parse options and call the library."""
