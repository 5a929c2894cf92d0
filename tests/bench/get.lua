-- wrk: GET the path in $BENCH_PATH with the token in $TOKEN.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.path = os.getenv("BENCH_PATH")
