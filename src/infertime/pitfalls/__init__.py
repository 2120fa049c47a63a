"""`infertime pitfalls`: the article's classic mistakes, measured on the user's own model next to
the correct method."""
