"""Member operations: small functions that take the store, plain values and "now" (an aware
datetime), validate, and write in one transaction. Screens call these; they never touch
SQLite themselves."""
