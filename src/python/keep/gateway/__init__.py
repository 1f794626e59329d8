"""Keep's HTTP edge: the curl contract, the JSON API, the web pages."""
