-- wrk script: send absolute-form request lines, as proxy clients (curl -x, browsers) do.
-- Usage: wrk ... -s bench/absolute-form.lua http://PROXY/ -- http://ORIGIN/path
-- The request is built once, in init (wrk.path may be any request target): with no
-- request() function wrk sends the same bytes every time instead of calling into Lua per
-- request, so the client side costs what it costs for the reference rows (no script).
function init(args)
    local target = args[1] or "http://127.0.0.1:18900/1k"
    wrk.headers["Host"] = target:match("^http://([^/]+)")
    wrk.path = target
end
