"""Korean text rules (KLREQ): pure passes over strings and XHTML trees, one module per concern."""
