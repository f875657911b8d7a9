from contacthub.cli import main

main()
