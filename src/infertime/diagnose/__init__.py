"""Checks shared by every result kind; each returns typed findings (Diagnostic) with advice."""
