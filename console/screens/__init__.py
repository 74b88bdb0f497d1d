"""One module per screen. Import the screen you need from its module."""
