// suma-loadgen: a small load generator for the sumavlib benchmarks.
//
// Modes (--mode):
//   load     N async connections (hiredis + libevent), optional pipelining,
//            fixed duration or request count, command template with host and
//            group substitution; prints throughput and latency percentiles.
//   pubsub   S subscribed connections on one channel, one publisher sending a
//            command whose payload carries its send time; prints the latency
//            from publish to receipt over every (message, subscriber) pair.
//   probe    one connection PINGing every millisecond; optionally sends a
//            trigger command after --pre-ms and polls --until-zero until it
//            replies 0 (split on '|' instead of spaces when it holds one); prints the worst round trip seen (stall) and the time
//            from the trigger until zero.
//   startup  starts the command after "--" (a redis-server), polls PING every
//            100 us until PONG; prints the time from fork to first PONG.
//
// Template tokens (command arguments are split on spaces):
//   {host}   vip of host i: 10.x.y.z:9001 with x.y.z the 24 low bits of i
//   {hidx}   host index i       {group}  group index i % groups
//   {seq}    request sequence   {ms}     wall clock in ms
//   {ts}     BENCHTS<steady ns> (pubsub: the receiver parses it back)
// Host i of request s is s % hosts (round robin: every host is covered once
// per `hosts` requests), or uniform random with --random.
//
// Output: one JSON object per run on stdout (--csv for a CSV line instead).
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Log-linear latency histogram in nanoseconds: 64 sub-buckets per power of
// two above 64 ns, so every recorded value is kept within 1.6 %.
class Histogram {
 public:
  Histogram() : counts_(64 * 64, 0) {}
  void Add(int64_t ns) {
    if (ns < 0) ns = 0;
    counts_[Index(static_cast<uint64_t>(ns))]++;
    ++total_;
    max_ = std::max(max_, ns);
    sum_ += static_cast<double>(ns);
  }
  uint64_t total() const { return total_; }
  uint64_t CountAbove(int64_t ns) const {
    uint64_t n = 0;
    for (size_t i = 0; i < counts_.size(); ++i)
      if (Upper(i) > ns) n += counts_[i];
    return n;
  }
  int64_t max() const { return max_; }
  double mean() const { return total_ ? sum_ / static_cast<double>(total_) : 0; }
  // Upper bound of the bucket holding quantile q, in ns.
  int64_t Quantile(double q) const {
    if (!total_) return 0;
    uint64_t want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= want) return std::min<int64_t>(Upper(i), max_);
    }
    return max_;
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < 64) return v;
    int msb = 63 - __builtin_clzll(v);  // >= 6
    size_t shift = static_cast<size_t>(msb - 5);
    size_t sub = static_cast<size_t>(v >> shift) - 32;  // 0..31 (top bit dropped)
    size_t idx = 64 + static_cast<size_t>(msb - 6) * 32 + sub;
    return std::min(idx, static_cast<size_t>(64 * 64 - 1));
  }
  static int64_t Upper(size_t idx) {
    if (idx < 64) return static_cast<int64_t>(idx);
    size_t msb = (idx - 64) / 32 + 6, sub = (idx - 64) % 32;
    size_t shift = msb - 5;
    return static_cast<int64_t>(((32 + sub + 1) << shift) - 1);
  }
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

struct Options {
  std::string mode = "load";
  std::string host = "127.0.0.1";
  int port = 6379;
  int clients = 50;
  int pipeline = 1;
  double duration = 0;     // seconds; 0 means use --requests
  long long requests = 0;  // total over all clients
  long long hosts = 10000;
  long long groups = 100;
  bool random = false;
  std::string cmd = "PING";
  std::string label;
  bool csv = false;
  bool fail_on_error = false;
  // pubsub
  int subscribers = 1000;
  std::string channel;
  int messages = 200;
  int interval_ms = 20;
  // probe
  double pre_ms = 500;
  std::string trigger;
  std::string until_zero;
  int poll_ms = 10;
  double max_seconds = 600;
  int control_port = 0;  // probe: also PING this (idle) server each round
  // startup
  int repeat = 1;
  std::vector<std::string> child;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "suma-loadgen: %s\n"
               "usage: suma-loadgen [--mode load|pubsub|probe|startup] [--host H] [--port P]\n"
               "  load:    --cmd TEMPLATE [--clients N] [--pipeline D] (--duration S | --requests N)\n"
               "           [--hosts H] [--groups G] [--random] [--label L] [--csv] [--fail-on-error]\n"
               "  pubsub:  --channel C --cmd TEMPLATE(with {ts}) [--subscribers S] [--messages M]\n"
               "           [--interval-ms I]\n"
               "  probe:   [--duration S] [--pre-ms T] [--trigger CMD] [--until-zero CMD]\n"
               "           [--poll-ms P] [--max-seconds S] [--control-port P2]\n"
               "  startup: [--repeat R] -- redis-server ARGS...\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.child.emplace_back(argv[i]);
      break;
    }
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--mode") o.mode = next();
    else if (a == "--host") o.host = next();
    else if (a == "--port") o.port = std::stoi(next());
    else if (a == "--clients") o.clients = std::stoi(next());
    else if (a == "--pipeline") o.pipeline = std::stoi(next());
    else if (a == "--duration") o.duration = std::stod(next());
    else if (a == "--requests") o.requests = std::stoll(next());
    else if (a == "--hosts") o.hosts = std::stoll(next());
    else if (a == "--groups") o.groups = std::stoll(next());
    else if (a == "--random") o.random = true;
    else if (a == "--cmd") o.cmd = next();
    else if (a == "--label") o.label = next();
    else if (a == "--csv") o.csv = true;
    else if (a == "--fail-on-error") o.fail_on_error = true;
    else if (a == "--subscribers") o.subscribers = std::stoi(next());
    else if (a == "--channel") o.channel = next();
    else if (a == "--messages") o.messages = std::stoi(next());
    else if (a == "--interval-ms") o.interval_ms = std::stoi(next());
    else if (a == "--pre-ms") o.pre_ms = std::stod(next());
    else if (a == "--trigger") o.trigger = next();
    else if (a == "--until-zero") o.until_zero = next();
    else if (a == "--poll-ms") o.poll_ms = std::stoi(next());
    else if (a == "--max-seconds") o.max_seconds = std::stod(next());
    else if (a == "--control-port") o.control_port = std::stoi(next());
    else if (a == "--repeat") o.repeat = std::stoi(next());
    else Usage(("unknown option " + a).c_str());
  }
  if (o.clients < 1 || o.pipeline < 1 || o.hosts < 1 || o.groups < 1) Usage("counts must be >= 1");
  return o;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A command template, pre-split; Render fills the tokens of one request.
class Template {
 public:
  explicit Template(const std::string& cmd) : parts_(Split(cmd)) {
    if (parts_.empty()) Usage("empty command template");
  }
  void Render(long long seq, long long host, long long group, std::vector<std::string>* out) const {
    out->resize(parts_.size());
    for (size_t k = 0; k < parts_.size(); ++k) {
      const std::string& p = parts_[k];
      std::string& r = (*out)[k];
      r.clear();
      size_t i = 0;
      while (i < p.size()) {
        size_t open = p.find('{', i);
        if (open == std::string::npos) {
          r.append(p, i, std::string::npos);
          break;
        }
        size_t close = p.find('}', open);
        if (close == std::string::npos) {
          r.append(p, i, std::string::npos);
          break;
        }
        r.append(p, i, open - i);
        std::string tok = p.substr(open + 1, close - open - 1);
        char buf[64];
        if (tok == "host") {
          std::snprintf(buf, sizeof buf, "10.%lld.%lld.%lld:9001", (host >> 16) & 255,
                        (host >> 8) & 255, host & 255);
          r += buf;
        } else if (tok == "hidx") {
          r += std::to_string(host);
        } else if (tok == "group") {
          r += std::to_string(group);
        } else if (tok == "seq") {
          r += std::to_string(seq);
        } else if (tok == "ms") {
          r += std::to_string(WallMs());
        } else if (tok == "ts") {
          r += "BENCHTS" + std::to_string(NowNs());
        } else {
          r.append(p, open, close - open + 1);  // not a token: keep verbatim
        }
        i = close + 1;
      }
    }
  }

 private:
  std::vector<std::string> parts_;
};

void RaiseFdLimit(size_t want) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
    rl.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void PrintResult(const Options& o, const std::string& mode, long long ops, long long errors,
                 double seconds, const Histogram& h, const std::string& first_error,
                 const std::string& extra_json) {
  double ops_s = seconds > 0 ? static_cast<double>(ops) / seconds : 0;
  if (o.csv) {
    std::printf("%s,%s,%d,%d,%lld,%lld,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f\n", o.label.c_str(),
                mode.c_str(), o.clients, o.pipeline, ops, errors, seconds, ops_s,
                h.Quantile(0.5) / 1e3, h.Quantile(0.99) / 1e3, h.max() / 1e3, h.mean() / 1e3);
  } else {
    std::string err;
    for (char c : first_error.substr(0, 200)) {
      if (c == '"' || c == '\\') err += '\\';
      if (static_cast<unsigned char>(c) >= 32) err += c;
    }
    std::printf(
        "{\"label\":\"%s\",\"mode\":\"%s\",\"clients\":%d,\"pipeline\":%d,\"ops\":%lld,"
        "\"errors\":%lld,\"seconds\":%.3f,\"ops_per_sec\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"max_us\":%.1f,\"mean_us\":%.1f,\"first_error\":\"%s\"%s}\n",
        o.label.c_str(), mode.c_str(), o.clients, o.pipeline, ops, errors, seconds, ops_s,
        h.Quantile(0.5) / 1e3, h.Quantile(0.99) / 1e3, h.max() / 1e3, h.mean() / 1e3, err.c_str(),
        extra_json.c_str());
  }
  std::fflush(stdout);
}

// ---------------------------------------------------------------- load mode

struct LoadRun;

struct Conn {
  LoadRun* run = nullptr;
  redisAsyncContext* ac = nullptr;
  int inflight = 0;
  bool connected = false;
  bool dead = false;
};

struct LoadRun {
  Options o;
  Template tpl;
  event_base* base = nullptr;
  std::vector<Conn> conns;
  Histogram hist;
  std::mt19937_64 rng{12345};
  long long issued = 0, done = 0, errors = 0;
  long long seq = 0;
  bool stopping = false;
  int64_t start_ns = 0, end_ns = 0, deadline_ns = 0;
  int open_conns = 0;
  std::string first_error;
  std::vector<std::string> args;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;

  explicit LoadRun(const Options& opt) : o(opt), tpl(opt.cmd) {}

  bool MoreToIssue() const {
    if (stopping) return false;
    if (o.requests > 0) return issued < o.requests;
    return NowNs() < deadline_ns;
  }
  void Finish() {
    if (stopping) return;
    stopping = true;
    end_ns = NowNs();
  }
};

void OnReply(redisAsyncContext* ac, void* r, void* priv);

void Issue(Conn* c) {
  LoadRun* run = c->run;
  while (!c->dead && c->inflight < run->o.pipeline && run->MoreToIssue()) {
    long long s = run->seq++;
    long long host = run->o.random
                         ? static_cast<long long>(run->rng() % static_cast<uint64_t>(run->o.hosts))
                         : s % run->o.hosts;
    run->tpl.Render(s, host, host % run->o.groups, &run->args);
    run->argv.resize(run->args.size());
    run->argvlen.resize(run->args.size());
    for (size_t i = 0; i < run->args.size(); ++i) {
      run->argv[i] = run->args[i].data();
      run->argvlen[i] = run->args[i].size();
    }
    // The send time rides in privdata (no allocation per request).
    void* priv = reinterpret_cast<void*>(static_cast<intptr_t>(NowNs()));
    if (redisAsyncCommandArgv(c->ac, OnReply, priv, static_cast<int>(run->argv.size()),
                              run->argv.data(), run->argvlen.data()) != REDIS_OK) {
      c->dead = true;
      break;
    }
    ++c->inflight;
    ++run->issued;
  }
}

void CheckDone(LoadRun* run) {
  bool idle = true;
  for (auto& c : run->conns)
    if (!c.dead && c.inflight > 0) idle = false;
  if (!run->MoreToIssue() && idle) {
    run->Finish();
    for (auto& c : run->conns)
      if (c.ac && !c.dead) {
        c.dead = true;
        redisAsyncDisconnect(c.ac);
      }
  }
}

void OnReply(redisAsyncContext* ac, void* r, void* priv) {
  Conn* c = static_cast<Conn*>(ac->data);
  if (!c) return;
  LoadRun* run = c->run;
  if (!r) return;  // disconnecting
  --c->inflight;
  int64_t sent = static_cast<int64_t>(reinterpret_cast<intptr_t>(priv));
  auto* reply = static_cast<redisReply*>(r);
  if (reply->type == REDIS_REPLY_ERROR) {
    if (run->first_error.empty()) run->first_error.assign(reply->str, reply->len);
    ++run->errors;
  } else {
    run->hist.Add(NowNs() - sent);
    ++run->done;
  }
  if (run->MoreToIssue()) {
    Issue(c);
  } else {
    CheckDone(run);
  }
}

void OnConnect(const redisAsyncContext* ac, int status) {
  Conn* c = static_cast<Conn*>(ac->data);
  if (status != REDIS_OK) {
    if (c->run->first_error.empty()) c->run->first_error = std::string("connect: ") + ac->errstr;
    ++c->run->errors;
    c->dead = true;
    c->ac = nullptr;
    CheckDone(c->run);
    return;
  }
  c->connected = true;
  if (++c->run->open_conns == static_cast<int>(c->run->conns.size())) {
    LoadRun* run = c->run;
    run->start_ns = NowNs();
    run->deadline_ns = run->start_ns + static_cast<int64_t>(run->o.duration * 1e9);
    for (auto& x : run->conns) Issue(&x);
  }
}

void OnDisconnect(const redisAsyncContext* ac, int status) {
  Conn* c = static_cast<Conn*>(ac->data);
  if (status != REDIS_OK && !c->run->stopping) {
    if (c->run->first_error.empty()) c->run->first_error = std::string("disconnect: ") + ac->errstr;
    ++c->run->errors;
  }
  c->dead = true;
  c->ac = nullptr;
  c->inflight = 0;
  CheckDone(c->run);
}

int RunLoad(const Options& o) {
  if (o.duration <= 0 && o.requests <= 0) Usage("load mode needs --duration or --requests");
  RaiseFdLimit(static_cast<size_t>(o.clients) + 64);
  LoadRun run(o);
  run.base = event_base_new();
  run.conns.resize(static_cast<size_t>(o.clients));
  for (auto& c : run.conns) {
    c.run = &run;
    c.ac = redisAsyncConnect(o.host.c_str(), o.port);
    if (!c.ac || c.ac->err) {
      std::fprintf(stderr, "suma-loadgen: cannot connect to %s:%d\n", o.host.c_str(), o.port);
      return 1;
    }
    c.ac->data = &c;
    redisLibeventAttach(c.ac, run.base);
    redisAsyncSetConnectCallback(c.ac, OnConnect);
    redisAsyncSetDisconnectCallback(c.ac, OnDisconnect);
  }
  event_base_dispatch(run.base);
  if (!run.end_ns) run.end_ns = NowNs();
  double secs = run.start_ns ? (run.end_ns - run.start_ns) / 1e9 : 0;
  PrintResult(o, "load", run.done, run.errors, secs, run.hist, run.first_error, "");
  event_base_free(run.base);
  return (o.fail_on_error && (run.errors > 0 || run.done == 0)) ? 1 : 0;
}

// -------------------------------------------------------------- pubsub mode

struct PubSubRun {
  Options o;
  Histogram hist;
  long long received = 0, expected = 0, errors = 0, subscribed = 0;
  int published = 0;
  std::string first_error;
  event_base* base = nullptr;
  redisAsyncContext* pub = nullptr;
  std::vector<redisAsyncContext*> subs;
  event* timer = nullptr;
  Template tpl;
  bool stopping = false;
  int64_t start_ns = 0, last_pub_ns = 0;
  explicit PubSubRun(const Options& opt) : o(opt), tpl(opt.cmd) {}
};

void StopPubSub(PubSubRun* run) {
  if (run->stopping) return;
  run->stopping = true;
  if (run->timer) event_del(run->timer);
  for (auto* s : run->subs)
    if (s) redisAsyncDisconnect(s);
  if (run->pub) redisAsyncDisconnect(run->pub);
}

void OnMessage(redisAsyncContext* ac, void* r, void*) {
  auto* run = static_cast<PubSubRun*>(ac->data);
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || run->stopping) return;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
  std::string kind(reply->element[0]->str, reply->element[0]->len);
  if (kind == "subscribe") {
    if (++run->subscribed == static_cast<long long>(run->subs.size())) {
      run->start_ns = NowNs();
      timeval tv{0, 1000};
      evtimer_add(run->timer, &tv);
    }
    return;
  }
  if (kind != "message") return;
  std::string_view msg(reply->element[2]->str, reply->element[2]->len);
  size_t at = msg.find("BENCHTS");
  if (at == std::string_view::npos) return;
  int64_t sent = std::strtoll(std::string(msg.substr(at + 7, 20)).c_str(), nullptr, 10);
  run->hist.Add(NowNs() - sent);
  ++run->received;
  if (run->published >= run->o.messages && run->received >= run->expected) StopPubSub(run);
}

void OnPublishReply(redisAsyncContext* ac, void* r, void*) {
  auto* run = static_cast<PubSubRun*>(ac->data);
  auto* reply = static_cast<redisReply*>(r);
  if (reply && reply->type == REDIS_REPLY_ERROR) {
    if (run->first_error.empty()) run->first_error.assign(reply->str, reply->len);
    ++run->errors;
  }
}

void OnPublishTimer(evutil_socket_t, short, void* arg) {
  auto* run = static_cast<PubSubRun*>(arg);
  if (run->stopping) return;
  int64_t now = NowNs();
  if (run->published >= run->o.messages) {
    // Give stragglers two seconds after the last publish, then stop.
    if (now - run->last_pub_ns > 2'000'000'000LL) StopPubSub(run);
  } else {
    std::vector<std::string> args;
    run->tpl.Render(run->published, run->published, 0, &args);
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAsyncCommandArgv(run->pub, OnPublishReply, nullptr, static_cast<int>(argv.size()),
                          argv.data(), lens.data());
    ++run->published;
    run->expected += static_cast<long long>(run->subs.size());
    run->last_pub_ns = now;
  }
  timeval tv{0, run->published >= run->o.messages ? 100000 : run->o.interval_ms * 1000};
  evtimer_add(run->timer, &tv);
}

int RunPubSub(const Options& o) {
  if (o.channel.empty()) Usage("pubsub mode needs --channel");
  RaiseFdLimit(static_cast<size_t>(o.subscribers) + 64);
  PubSubRun run(o);
  run.base = event_base_new();
  run.timer = evtimer_new(run.base, OnPublishTimer, &run);
  run.pub = redisAsyncConnect(o.host.c_str(), o.port);
  if (!run.pub || run.pub->err) return 1;
  run.pub->data = &run;
  redisLibeventAttach(run.pub, run.base);
  for (int i = 0; i < o.subscribers; ++i) {
    redisAsyncContext* s = redisAsyncConnect(o.host.c_str(), o.port);
    if (!s || s->err) {
      std::fprintf(stderr, "suma-loadgen: subscriber %d cannot connect\n", i);
      return 1;
    }
    s->data = &run;
    redisLibeventAttach(s, run.base);
    redisAsyncCommand(s, OnMessage, nullptr, "SUBSCRIBE %s", o.channel.c_str());
    run.subs.push_back(s);
  }
  event_base_dispatch(run.base);
  double secs = (NowNs() - run.start_ns) / 1e9;
  Options shown = o;
  shown.clients = o.subscribers;
  char extra[160];
  std::snprintf(extra, sizeof extra, ",\"published\":%d,\"expected\":%lld,\"received\":%lld",
                run.published, run.expected, run.received);
  long long missing = run.expected - run.received;
  PrintResult(shown, "pubsub", run.received, run.errors + std::max(0LL, missing), secs, run.hist,
              run.first_error, extra);
  event_free(run.timer);
  event_base_free(run.base);
  return 0;
}

// --------------------------------------------------------------- probe mode

// A probe command: arguments split on spaces, or on '|' when it holds one
// (for arguments with spaces, e.g. EVAL|<script>|0).
redisReply* SyncCommand(redisContext* c, const std::string& cmd) {
  std::vector<std::string> parts;
  if (cmd.find('|') == std::string::npos) {
    parts = Split(cmd);
  } else {
    size_t i = 0;
    for (;;) {
      size_t j = cmd.find('|', i);
      parts.push_back(cmd.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (j == std::string::npos) break;
      i = j + 1;
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& p : parts) {
    argv.push_back(p.data());
    lens.push_back(p.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

int RunProbe(const Options& o) {
  redisContext* c = redisConnect(o.host.c_str(), o.port);
  if (!c || c->err) {
    std::fprintf(stderr, "suma-loadgen: probe cannot connect\n");
    return 1;
  }
  Histogram all, during, before, control;
  redisContext* cc = nullptr;
  if (o.control_port) {
    cc = redisConnect(o.host.c_str(), o.control_port);
    if (!cc || cc->err) {
      std::fprintf(stderr, "suma-loadgen: probe cannot connect to the control server\n");
      return 1;
    }
  }
  long long errors = 0, over5 = 0;
  std::string first_error;
  int64_t start = NowNs(), trigger_at = 0, zero_at = 0, next = start, next_poll = 0;
  int64_t max_gap = 0, last_reply = start;
  bool triggered = o.trigger.empty();
  if (triggered) trigger_at = start;
  const int64_t stop_after = static_cast<int64_t>(o.max_seconds * 1e9);
  const int64_t run_for = o.duration > 0 ? static_cast<int64_t>(o.duration * 1e9) : stop_after;
  for (;;) {
    int64_t now = NowNs();
    if (now - start > stop_after) break;
    if (o.until_zero.empty() && now - start > run_for) break;
    if (!triggered && now - start >= static_cast<int64_t>(o.pre_ms * 1e6)) {
      redisReply* r = SyncCommand(c, o.trigger);
      if (!r || r->type == REDIS_REPLY_ERROR) {
        ++errors;
        if (r && first_error.empty()) first_error.assign(r->str, r->len);
      }
      if (r) freeReplyObject(r);
      triggered = true;
      trigger_at = NowNs();
      next_poll = trigger_at;
    }
    if (triggered && !o.until_zero.empty() && now >= next_poll) {
      redisReply* r = SyncCommand(c, o.until_zero);
      bool zero = r && r->type == REDIS_REPLY_INTEGER && r->integer == 0;
      if (r) freeReplyObject(r);
      next_poll = NowNs() + o.poll_ms * 1'000'000LL;
      if (zero) {
        zero_at = NowNs();
        break;
      }
    }
    int64_t t0 = NowNs();
    redisReply* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    int64_t t1 = NowNs();
    if (!r) {
      ++errors;
      first_error = c->errstr;
      break;
    }
    freeReplyObject(r);
    all.Add(t1 - t0);
    if (triggered) {
      during.Add(t1 - t0);
      if (t1 - t0 > 5'000'000) ++over5;
    } else {
      before.Add(t1 - t0);
    }
    if (cc && triggered) {
      // The same probe against an idle server in the same window: a stall seen
      // there too is the machine (scheduling), not the server under test.
      int64_t c0 = NowNs();
      redisReply* cr = static_cast<redisReply*>(redisCommand(cc, "PING"));
      if (cr) freeReplyObject(cr);
      control.Add(NowNs() - c0);
    }
    max_gap = std::max(max_gap, t1 - last_reply);
    last_reply = t1;
    next += 1'000'000;
    int64_t sleep_ns = next - NowNs();
    if (sleep_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(sleep_ns));
    else next = NowNs();  // fell behind: do not burst
  }
  char extra[512];
  std::snprintf(extra, sizeof extra,
                ",\"pings\":%llu,\"worst_stall_ms\":%.3f,\"p99_during_ms\":%.3f,"
                "\"p999_during_ms\":%.3f,\"pings_over_5ms\":%lld,\"max_gap_ms\":%.3f,"
                "\"until_zero_ms\":%.1f,\"before_pings\":%llu,\"before_max_ms\":%.3f,"
                "\"before_p99_ms\":%.3f,\"control_max_ms\":%.3f,\"control_p99_ms\":%.3f,"
                "\"control_p999_ms\":%.3f,\"control_over_5ms\":%llu",
                static_cast<unsigned long long>(all.total()), during.max() / 1e6,
                during.Quantile(0.99) / 1e6, during.Quantile(0.999) / 1e6, over5, max_gap / 1e6,
                zero_at ? (zero_at - trigger_at) / 1e6 : -1.0,
                static_cast<unsigned long long>(before.total()), before.max() / 1e6,
                before.Quantile(0.99) / 1e6, control.max() / 1e6, control.Quantile(0.99) / 1e6,
                control.Quantile(0.999) / 1e6, static_cast<unsigned long long>(control.CountAbove(5'000'000)));
  Options shown = o;
  shown.clients = 1;
  PrintResult(shown, "probe", static_cast<long long>(all.total()), errors,
              (NowNs() - start) / 1e9, during.total() ? during : all, first_error, extra);
  redisFree(c);
  if (cc) redisFree(cc);
  return 0;
}

// ------------------------------------------------------------- startup mode

int RunStartup(const Options& o) {
  if (o.child.empty()) Usage("startup mode needs -- redis-server ARGS...");
  Histogram h;
  std::vector<double> ms;
  for (int rep = 0; rep < o.repeat; ++rep) {
    int64_t t0 = NowNs();
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : o.child) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    int64_t ready = 0;
    while (NowNs() - t0 < static_cast<int64_t>(o.max_seconds * 1e9)) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) break;
      timeval tv{0, 200000};
      redisContext* c = redisConnectWithTimeout(o.host.c_str(), o.port, tv);
      if (c && !c->err) {
        redisSetTimeout(c, timeval{5, 0});
        for (;;) {
          auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
          if (!r) break;
          bool pong = r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
          freeReplyObject(r);
          if (pong) {
            ready = NowNs();
            break;
          }
          std::this_thread::sleep_for(std::chrono::microseconds(100));  // -LOADING
        }
      }
      if (c) redisFree(c);
      if (ready) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!ready) {
      std::fprintf(stderr, "suma-loadgen: server never answered PING\n");
      return 1;
    }
    h.Add(ready - t0);
    ms.push_back((ready - t0) / 1e6);
  }
  std::sort(ms.begin(), ms.end());
  char extra[160];
  std::snprintf(extra, sizeof extra, ",\"startup_min_ms\":%.2f,\"startup_median_ms\":%.2f",
                ms.front(), ms[ms.size() / 2]);
  Options shown = o;
  shown.clients = 1;
  PrintResult(shown, "startup", static_cast<long long>(ms.size()), 0, 0, h, "", extra);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o = Parse(argc, argv);
  if (o.mode == "load") return RunLoad(o);
  if (o.mode == "pubsub") return RunPubSub(o);
  if (o.mode == "probe") return RunProbe(o);
  if (o.mode == "startup") return RunStartup(o);
  Usage("unknown mode");
}
