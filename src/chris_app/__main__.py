from chris_app.cli import main

main()
