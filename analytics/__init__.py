"""Analytics engine: metrics, comparisons, forecasting and audit.

No Flask, no SQL: everything is read through data.repositories.
"""
