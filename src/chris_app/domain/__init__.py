"""The product's rules (docs/rules.md) as pure functions: no I/O, "now" passed in."""
