-- wrk: file change requests as fast as the service takes them.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"title":"Benchmark request %d","description":"Footer link broken on page %d","category":"bug"}', n, n)
  return wrk.format(nil, nil, nil, body)
end
