"""SVG screenshots of the console, generated from the scenarios the snapshot tests use."""
