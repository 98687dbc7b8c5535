"""Exporters: turn rows from the analytics layer into CSV, Excel and PDF bytes. No Flask, no SQL."""
