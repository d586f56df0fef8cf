// The group's event log, applied in seq order, each event exactly once.
//
// The pubsub channel only says "something happened"; the agent then reads
// suma_events after its last applied seq, so an event is never skipped when
// a push is lost and never applied twice when it also arrives by catch-up.
// The position and each config key's version live in .suma-state, updated
// after every applied change; a diamond event whose version is not above the
// recorded one is skipped, which makes replays after a crash harmless.
//
// Resync (full read of the group's configs) replaces catch-up when:
// - there is no state (first start): start from the head, do not replay old
//   broadcasts;
// - the log was trimmed past our position (first seq > applied + 1);
// - the server no longer has our last event (it lost its data): versions
//   restarted, so files are compared by content instead.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "agent/agent.h"
#include "agent/event_json.h"
#include "agent/log.h"

namespace suma::agent {
namespace {

std::string Str(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

int64_t Int(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

}  // namespace

void Agent::ReadDrainState() {
  client_.GetVipInfo(cfg_.group, cfg_.vip, [this](const Result<VipInfo>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "drain.read_failed").Kv("error", r.error());
      return;
    }
    SetDrained(r->drained, "vip_info");
  });
}

void Agent::SetDrained(bool drained, const char* source) {
  if (drained_ && *drained_ == drained) return;
  drained_ = drained;
  Log(Level::Info, drained ? "traffic.drained" : "traffic.restored").Kv("source", source);
}

void Agent::SaveState() {
  std::string err;
  if (!dir_.Save(applied_seq_, applied_ts_, &err)) Log(Level::Error, "state.save_failed").Kv("error", err);
}

void Agent::PumpAfterConnect() {
  if (resync_needed_) return Resync();
  if (applied_seq_ == 0) return Pump();
  // Our last applied event must still be in the log (or have been trimmed by
  // newer ones, which catch-up sees). If the log ends before it, or holds a
  // different event under its seq (another ts), the server lost data since
  // we read it and its seqs and versions started over.
  pumping_ = true;
  client_.Events(cfg_.group, applied_seq_ - 1, 1, [this](const Result<std::vector<std::string>>& r) {
    pumping_ = false;
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      return;
    }
    bool same = !r->empty() && (EventSeq(r->front()) != applied_seq_ || applied_ts_ == 0 ||
                                EventTs(r->front()) == applied_ts_);
    if (!same) {
      Log(Level::Warn, "events.server_behind").Kv("applied_seq", static_cast<long long>(applied_seq_));
      MarkApplied(0, 0);
      resync_needed_ = true;
      forget_versions_ = true;
      return Resync();
    }
    Pump();
  });
}

void Agent::Pump() {
  if (stopping_ || !client_.ready()) return;
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  if (resync_needed_) return Resync();
  pumping_ = true;
  pump_again_ = false;
  client_.Events(cfg_.group, applied_seq_, kEventBatch, [this](const Result<std::vector<std::string>>& r) {
    if (!r.ok()) {
      pumping_ = false;
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      return;
    }
    if (r->empty()) return FinishBatch(false);
    int64_t first = EventSeq(r->front());
    if (first > applied_seq_ + 1) {
      Log(Level::Warn, "events.trimmed")
          .Kv("applied_seq", static_cast<long long>(applied_seq_))
          .Kv("first_seq", static_cast<long long>(first));
      pumping_ = false;
      resync_needed_ = true;
      return Resync();
    }
    auto batch = std::make_shared<std::vector<std::string>>(*r);
    PumpBatch(batch, 0);
  });
}

void Agent::PumpBatch(std::shared_ptr<std::vector<std::string>> events, size_t i) {
  if (i == events->size() || stopping_ || !client_.ready())
    return FinishBatch(i == events->size());
  HandleEvent((*events)[i], [this, events, i] { PumpBatch(events, i + 1); });
}

// A full batch may have more behind it, and a push may have come in while we
// were busy: either way read again; an empty read ends the round.
void Agent::FinishBatch(bool more) {
  if (applied_seq_ != dir_.seq()) SaveState();
  pumping_ = false;
  if (more || pump_again_) Pump();
}

// Ends the round at the current event without retrying at once; the next
// push or reconnect starts from it again.
void Agent::AbortRound() {
  pump_again_ = false;
  FinishBatch(false);
}

void Agent::HandleEvent(const std::string& json, std::function<void()> next) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    Log(Level::Error, "events.bad_json").Kv("json", json);
    return next();
  }
  int64_t seq = Int(d, "seq");
  if (seq <= applied_seq_) return next();
  std::string type = Str(d, "type");
  std::string vip = Str(d, "vip");
  Log(Level::Debug, "events.apply").Kv("seq", static_cast<long long>(seq)).Kv("type", type);
  int64_t ts = Int(d, "ts");
  auto done = [this, seq, ts, next] {
    MarkApplied(seq, ts);
    next();
  };
  if (type == "diamond") {
    std::string key = Str(d, "key");
    int64_t version = Int(d, "version");
    if (version <= dir_.version(key)) return done();
    auto it = d.FindMember("value");
    if (it != d.MemberEnd() && it->value.IsString()) {
      // A file that could not be written stops the round at this event; the
      // next push or reconnect retries it.
      if (!ApplyValue(key, std::string(it->value.GetString(), it->value.GetStringLength()),
                      version, false))
        return AbortRound();
      MarkApplied(seq, ts);
      SaveState();
      return next();
    }
    // Large or binary values are not in the event: read the current one.
    client_.DiamondGet(cfg_.group, key,
                       [this, key, version, seq, ts, next](const Result<std::optional<DiamondValue>>& r) {
      if (!r.ok()) {
        // Leave applied_seq_ where it is; the next round retries.
        Log(Level::Warn, "config.read_failed").Kv("key", key).Kv("error", r.error());
        return AbortRound();
      }
      if (*r && (*r)->version >= version && !ApplyValue(key, (*r)->value, (*r)->version, false))
        return AbortRound();
      MarkApplied(seq, ts);
      SaveState();
      next();
    });
    return;
  }
  if (type == "diamond_delete") {
    std::string key = Str(d, "key");
    int64_t version = Int(d, "version");
    if (version > dir_.version(key)) {
      if (!ApplyDelete(key, version)) return AbortRound();
      MarkApplied(seq, ts);
      SaveState();
    }
    return done();
  }
  if ((type == "kill" || type == "reset") && vip == cfg_.vip) {
    SetDrained(type == "kill", "event");
    return done();
  }
  if (type == "message") {
    auto it = d.FindMember("data");
    std::string data;
    if (it != d.MemberEnd()) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      it->value.Accept(w);
      data.assign(buf.GetString(), buf.GetSize());
    }
    Log(Level::Info, "message.received").Kv("seq", static_cast<long long>(seq)).Kv("bytes", static_cast<long long>(data.size()));
    if (!cfg_.on_message.empty()) {
      auto env = HookEnv("message");
      env["SUMA_SEQ"] = std::to_string(seq);
      if (data.size() <= 65536) env["SUMA_PAYLOAD"] = data;
      message_hooks_.Run({cfg_.on_message, env, data, nullptr});
    }
    MarkApplied(seq, ts);
    SaveState();
    return next();
  }
  if (type == "task") {
    std::string action = Str(d, "action");
    if (action == "push" || action == "requeue") PokeTasks();
    return done();
  }
  if (type == "leader" && leading_ && vip != cfg_.vip && Int(d, "epoch") > epoch_) {
    StepDown("another host was elected", false);
    return done();
  }
  if (type == "resign" && leading_ && vip == cfg_.vip && Int(d, "epoch") == epoch_) {
    StepDown("resigned on the server", false);
    return done();
  }
  done();
}

bool Agent::ApplyValue(const std::string& key, const std::string& value, int64_t version,
                       bool quiet) {
  std::string err;
  if (!dir_.Write(key, value, version, &err)) {
    Log(Level::Error, "config.write_failed").Kv("key", key).Kv("error", err);
    return false;
  }
  if (quiet) return true;
  Log(Level::Info, "config.updated").Kv("key", key).Kv("version", static_cast<long long>(version));
  if (cfg_.on_config.empty()) return true;
  auto env = HookEnv("config");
  env["SUMA_KEY"] = key;
  env["SUMA_VERSION"] = std::to_string(version);
  env["SUMA_FILE"] = dir_.PathOf(key);
  env["SUMA_DELETED"] = "0";
  config_hooks_.Run({cfg_.on_config, env, "", nullptr});
  return true;
}

bool Agent::ApplyDelete(const std::string& key, int64_t version) {
  std::string err;
  if (!dir_.Remove(key, version, &err)) {
    Log(Level::Error, "config.delete_failed").Kv("key", key).Kv("error", err);
    return false;
  }
  Log(Level::Info, "config.deleted").Kv("key", key).Kv("version", static_cast<long long>(version));
  if (cfg_.on_config.empty()) return true;
  auto env = HookEnv("config");
  env["SUMA_KEY"] = key;
  env["SUMA_VERSION"] = std::to_string(version);
  env["SUMA_FILE"] = dir_.PathOf(key);
  env["SUMA_DELETED"] = "1";
  config_hooks_.Run({cfg_.on_config, env, "", nullptr});
  return true;
}

}  // namespace suma::agent
