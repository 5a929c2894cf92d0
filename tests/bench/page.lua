-- wrk: GET the page in $BENCH_PATH as the signed-in user whose session cookie is in $COOKIE.
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.path = os.getenv("BENCH_PATH")
