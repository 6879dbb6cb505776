-- Post an answer through the real answer form, as a logged-in member.
-- One poster per wrk thread (run with -tN -cN): the posters file (BENCH_POSTERS) holds one
-- line per poster: session cookie, the form's other fields (URL-encoded, with the CSRF
-- token), and the form's action, separated by tabs. Every request sends a new one-time
-- submission token and a distinct body, so no post is taken for a double submit.
local posters = {}
for line in io.lines(os.getenv("BENCH_POSTERS")) do
  local cookie, fields, path = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
  posters[#posters + 1] = {cookie = cookie, fields = fields, path = path}
end
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local words = {"sleep", "walking", "routine", "journal", "breathing", "friends", "therapy",
               "patience", "music", "kindness", "rest", "water", "sunlight", "talking"}

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("poster_number", threads)
end

local me, sent = nil, 0
function init(args)
  me = posters[((poster_number - 1) % #posters) + 1]
end

function request()
  sent = sent + 1
  local token = string.format("bench%s-%d-%d", nonce, poster_number, sent)
  local text = string.format("Benchmark answer %d from poster %d (%s): what helped me was %s and %s, "
                             .. "a little every day.", sent, poster_number, nonce,
                             words[sent % #words + 1], words[(sent * 7) % #words + 1])
  local body = me.fields .. "&submission_token=" .. token .. "&body=" .. text:gsub(" ", "+"):gsub(":", "%%3A")
      :gsub(",", "%%2C"):gsub("%(", "%%28"):gsub("%)", "%%29")
  return wrk.format("POST", me.path, {["Cookie"] = me.cookie,
                                      ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
