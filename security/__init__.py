"""Optional sign-in and privacy of the logs (docs/security.md)."""
