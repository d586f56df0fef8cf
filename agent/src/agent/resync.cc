// Full resynchronisation of the config directory, used instead of catch-up
// when the event log cannot bridge the gap (see events.cc): find the log's
// head, then read every config of the group and delete the files of keys
// that are gone.
#include <unistd.h>

#include <set>

#include "agent/agent.h"
#include "agent/event_json.h"
#include "agent/log.h"

namespace suma::agent {

// Finds the head first, then reads every config: values read after the head
// include every change up to it, and later events are skipped by version.
void Agent::Resync() {
  bool forget_versions = forget_versions_;
  pumping_ = true;
  Log(Level::Info, "config.resync")
      .Kv("reason", dir_.seq() == 0 && applied_seq_ == 0 && !forget_versions ? "first start"
                    : forget_versions                                       ? "server lost data"
                                                                            : "log trimmed");
  SkipToHead(applied_seq_, [this, forget_versions](bool ok, int64_t head, int64_t head_ts) {
    if (!ok) {
      pumping_ = false;
      return;
    }
    client_.DiamondListAll(cfg_.group, [this, head, head_ts, forget_versions](
                                           const Result<std::vector<std::string>>& r) {
      if (!r.ok()) {
        pumping_ = false;
        Log(Level::Warn, "config.list_failed").Kv("error", r.error());
        return;
      }
      std::set<std::string> listed(r->begin(), r->end());
      std::map<std::string, int64_t> known = dir_.versions();
      if (forget_versions) dir_.ForgetVersions();
      // Keys we hold that the server no longer lists were deleted meanwhile.
      std::vector<std::string> gone;
      for (auto& [key, version] : known)
        if (!listed.count(key) && access(dir_.PathOf(key).c_str(), F_OK) == 0) gone.push_back(key);
      auto keys = std::vector<std::string>(listed.begin(), listed.end());
      DeleteGone(gone, 0, [this, head, head_ts, keys, forget_versions] {
        SyncKeys(keys, 0, forget_versions, [this, head, head_ts] {
          if (head > applied_seq_) MarkApplied(head, head_ts);
          resync_needed_ = false;
          forget_versions_ = false;
          SaveState();
          pumping_ = false;
          Log(Level::Info, "config.resynced").Kv("applied_seq", static_cast<long long>(applied_seq_));
          Pump();
        });
      });
    });
  });
}

void Agent::SkipToHead(int64_t from, std::function<void(bool ok, int64_t head, int64_t ts)> done,
                       int64_t from_ts) {
  client_.Events(cfg_.group, from, kEventBatch,
                 [this, from, from_ts, done](const Result<std::vector<std::string>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      return done(false, from, from_ts);
    }
    // Skipped events need no replay: drain state comes from vip_info, tasks
    // from polling, configs from the full read that follows.
    int64_t head = from, ts = from_ts;
    if (!r->empty()) {
      head = EventSeq(r->back());
      ts = EventTs(r->back());
    }
    if (r->size() < static_cast<size_t>(kEventBatch)) return done(true, head, ts);
    SkipToHead(head, done, ts);
  });
}

// The delete's version comes from the key's history (newest first; a nil
// value marks a delete), so the reload hook sees the same version as live.
void Agent::DeleteGone(std::vector<std::string> keys, size_t i, std::function<void()> done) {
  if (i == keys.size()) return done();
  std::string key = keys[i];
  client_.Command({"sumavlib.suma_diamond_history", cfg_.group, key, "1"},
                  [this, keys, i, key, done](const Reply& r) {
    int64_t version = dir_.version(key);
    if (r.is_array() && !r.elements.empty() && r.elements[0].is_array() &&
        !r.elements[0].elements.empty() && r.elements[0].elements[0].is_int())
      version = std::max<int64_t>(version, r.elements[0].elements[0].integer);
    ApplyDelete(key, version);
    DeleteGone(keys, i + 1, done);
  });
}

void Agent::SyncKeys(std::vector<std::string> keys, size_t i, bool by_content,
                     std::function<void()> done) {
  if (i == keys.size()) return done();
  std::string key = keys[i];
  client_.DiamondGet(cfg_.group, key, [this, keys, i, key, by_content, done](
                                          const Result<std::optional<DiamondValue>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "config.read_failed").Kv("key", key).Kv("error", r.error());
      pumping_ = false;
      return;
    }
    if (*r && (*r)->version > dir_.version(key)) {
      // After a server data loss versions restarted: an unchanged file only
      // needs its new version recorded, not a reload.
      bool quiet = by_content && dir_.Holds(key, (*r)->value);
      ApplyValue(key, (*r)->value, (*r)->version, quiet);
    }
    SyncKeys(keys, i + 1, by_content, done);
  });
}

}  // namespace suma::agent
