from copygen.cli.main import main

main()
