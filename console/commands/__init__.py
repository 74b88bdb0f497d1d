"""The command line's commands, one module per area; `console.cli` imports each one only
when its command runs, so building the parser stays light."""
