"""target layer."""
