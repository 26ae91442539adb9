"""The product's rules (PRODUCT.md section 4) as pure functions: no I/O, "now" passed in."""
