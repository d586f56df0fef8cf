#include "agent/event_pump.h"

#include <event2/event.h>

#include "agent/log.h"
#include "core/event_view.h"

namespace suma::agent {

EventPump::EventPump(event_base* base, const Config& cfg, Client& client, ConfigFiles& files,
                     EventHandlers handlers)
    : cfg_(cfg), client_(client), files_(files), on_(std::move(handlers)) {
  retry_ = evtimer_new(base, OnRetry, this);
}

EventPump::~EventPump() { event_free(retry_); }

void EventPump::Load() {
  if (!files_.Load()) return;  // first start: state stays kResyncDue
  state_ = State::kIdle;
  MarkApplied(files_.saved_seq(), files_.saved_ts());
}

void EventPump::Stop() {
  stopping_ = true;
  evtimer_del(retry_);
}

void EventPump::OnRetry(int, short, void* arg) { static_cast<EventPump*>(arg)->Pump(); }

void EventPump::ScheduleRetry() {
  if (stopping_) return;
  timeval tv{kRetryMs / 1000, (kRetryMs % 1000) * 1000};
  evtimer_add(retry_, &tv);
}

void EventPump::OnPush() { Pump(); }

void EventPump::OnConnected() {
  switch (state_) {
    case State::kResyncDue:
    case State::kResyncDueLost:
      return Resync();
    case State::kIdle:
      break;
    default:
      return;  // a round in flight pumps again when it ends
  }
  if (applied_seq_ == 0) return Pump();
  Check();
}

// Our last applied event must still be in the log. If the log ends before
// it, holds a different event under its seq (another ts), or starts after it,
// the server lost data since we read it (its new seqs start above ours) or
// trimmed past it; versions cannot tell the two apart, so files are compared
// by content.
void EventPump::Check() {
  state_ = State::kChecking;
  client_.Events(cfg_.group, applied_seq_ - 1, 1, [this](const Result<std::vector<std::string>>& r) {
    state_ = State::kIdle;
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      return;
    }
    auto front = r->empty() ? std::nullopt : EventView::Parse(r->front());
    bool same = !r->empty() && (!front || HoldsApplied(*front));
    if (!same) {
      Log(Level::Warn, "events.server_behind").Kv("applied_seq", static_cast<long long>(applied_seq_));
      versions_before_loss_ = files_.versions();
      MarkApplied(0, 0);
      state_ = State::kResyncDueLost;
      return Resync();
    }
    Pump();
  });
}

void EventPump::Pump() {
  if (stopping_ || !client_.ready()) return;
  switch (state_) {
    case State::kIdle:
      break;
    case State::kReading:
      state_ = State::kReadingAgain;
      return;
    case State::kResyncDue:
    case State::kResyncDueLost:
      return Resync();
    case State::kReadingAgain:
    case State::kChecking:
    case State::kResyncing:
    case State::kResyncingLost:
      return;  // each ends by pumping again
  }
  state_ = State::kReading;
  client_.Events(cfg_.group, applied_seq_, kEventBatch, [this](const Result<std::vector<std::string>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      state_ = State::kIdle;
      return ScheduleRetry();
    }
    if (r->empty()) return FinishBatch(false);
    auto first = EventView::Parse(r->front());
    int64_t first_seq = first ? first->seq() : -1;
    auto batch = std::make_shared<std::vector<std::string>>(*r);
    if (first_seq > applied_seq_ + 1) return CheckGap(batch, first_seq);
    ReadBatch(batch, 0);
  });
}

bool EventPump::HoldsApplied(const EventView& front) const {
  return front.seq() == applied_seq_ && (applied_ts_ == 0 || front.ts() == applied_ts_);
}

// Seqs jump (the server restarted, loaded its data or was promoted), and a
// trimmed log also leaves a gap. The log is trimmed from its oldest end, so
// while our last event is still in it nothing after it is missing and the
// batch is applied; otherwise events were lost and only a resync helps.
void EventPump::CheckGap(std::shared_ptr<std::vector<std::string>> batch, int64_t first_seq) {
  auto trimmed = [this, first_seq] {
    Log(Level::Warn, "events.trimmed")
        .Kv("applied_seq", static_cast<long long>(applied_seq_))
        .Kv("first_seq", static_cast<long long>(first_seq));
    state_ = State::kResyncDue;
    Resync();
  };
  if (applied_seq_ == 0) return trimmed();
  client_.Events(cfg_.group, applied_seq_ - 1, 1,
                 [this, batch, first_seq, trimmed](const Result<std::vector<std::string>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      state_ = State::kIdle;
      return ScheduleRetry();
    }
    auto front = r->empty() ? std::nullopt : EventView::Parse(r->front());
    if (!front || !HoldsApplied(*front)) return trimmed();
    Log(Level::Info, "events.seq_jump")
        .Kv("applied_seq", static_cast<long long>(applied_seq_))
        .Kv("first_seq", static_cast<long long>(first_seq));
    ReadBatch(batch, 0);
  });
}

void EventPump::ReadBatch(std::shared_ptr<std::vector<std::string>> events, size_t i) {
  if (i == events->size() || stopping_ || !client_.ready()) return FinishBatch(i == events->size());
  HandleEvent((*events)[i], [this, events, i] { ReadBatch(events, i + 1); });
}

// A full batch may have more behind it, and a push may have come in while we
// were busy: either way read again; an empty read ends the round.
void EventPump::FinishBatch(bool more) {
  if (applied_seq_ != files_.saved_seq()) Save();
  bool again = more || state_ == State::kReadingAgain;
  state_ = State::kIdle;
  if (again) Pump();
}

// Ends the round at the current event; it is retried from there.
void EventPump::AbortRound() {
  if (applied_seq_ != files_.saved_seq()) Save();
  state_ = State::kIdle;
  ScheduleRetry();
}

void EventPump::HandleEvent(const std::string& json, std::function<void()> next) {
  auto ev = EventView::Parse(json);
  if (!ev) {
    Log(Level::Error, "events.bad_json").Kv("json", json);
    return next();
  }
  int64_t seq = ev->seq();
  if (seq <= applied_seq_) return next();
  std::string type = ev->type();
  std::string vip = ev->Str("vip");
  Log(Level::Debug, "events.apply").Kv("seq", static_cast<long long>(seq)).Kv("type", type);
  int64_t ts = ev->ts();
  auto done = [this, seq, ts, next] {
    MarkApplied(seq, ts);
    next();
  };
  auto applied_and_saved = [this, seq, ts, next] {
    MarkApplied(seq, ts);
    Save();
    next();
  };
  if (type == "diamond") {
    std::string key = ev->Str("key");
    int64_t version = ev->Int("version");
    if (version <= files_.version(key)) return done();
    if (auto value = ev->OptStr("value")) {
      if (!files_.Apply(key, *value, version, false)) return AbortRound();
      return applied_and_saved();
    }
    // Large or binary values are not in the event: read the current one.
    client_.DiamondGet(cfg_.group, key, [this, key, version, applied_and_saved](
                                            const Result<std::optional<DiamondValue>>& r) {
      if (!r.ok()) {
        Log(Level::Warn, "config.read_failed").Kv("key", key).Kv("error", r.error());
        return AbortRound();
      }
      if (*r && (*r)->version >= version && !files_.Apply(key, (*r)->value, (*r)->version, false))
        return AbortRound();
      applied_and_saved();
    });
    return;
  }
  if (type == "diamond_delete") {
    std::string key = ev->Str("key");
    int64_t version = ev->Int("version");
    if (version <= files_.version(key)) return done();
    if (!files_.Delete(key, version)) return AbortRound();
    return applied_and_saved();
  }
  if ((type == "kill" || type == "reset") && vip == cfg_.vip) {
    on_.drain(type == "kill");
    return done();
  }
  if (type == "message") {
    on_.message(seq, ev->Raw("data"));
    return applied_and_saved();
  }
  if (type == "task") {
    std::string action = ev->Str("action");
    if (action == "push" || action == "requeue") on_.task();
    return done();
  }
  if (type == "leader") on_.leader(vip, ev->Int("epoch"));
  if (type == "resign") on_.resign(vip, ev->Int("epoch"));
  done();
}

}  // namespace suma::agent
