"""livescreen test-suite (a package, so it is not shadowed by an installed `tests`)."""
