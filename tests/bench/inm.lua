-- wrk: every request revalidates with the ETag given in $ETAG (304 expected).
wrk.headers["If-None-Match"] = os.getenv("ETAG")
