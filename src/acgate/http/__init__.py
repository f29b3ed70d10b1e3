"""acgate over HTTP: one FastAPI app serving the REST API (`acgate.api`) and the pages
(`acgate.web`)."""
