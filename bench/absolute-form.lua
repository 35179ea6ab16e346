-- wrk script: send absolute-form request lines, as proxy clients (curl -x, browsers) do.
-- Usage: wrk ... -s bench/absolute-form.lua http://PROXY/ -- http://ORIGIN/path
function init(args)
    target = args[1] or "http://127.0.0.1:18900/1k"
    local host = target:match("^http://([^/]+)")
    wrk.headers["Host"] = host
end

function request()
    return wrk.format("GET", target)
end
