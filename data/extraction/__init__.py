"""PDF packet extraction: characters -> lines -> the five parts -> the JSON contract.

`data_extractor.py` at the top level is the public face; this package holds its parts.
"""
