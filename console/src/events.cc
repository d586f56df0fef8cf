#include "events.h"

#include <chrono>
#include <cstdio>

#include "core/event_view.h"
#include "core/group_name.h"
#include "model.h"

namespace console {
namespace {

constexpr size_t kMailboxMax = 1000;
constexpr const char kSuffix[] = "_channel";

}  // namespace

void EventHub::Start() { thread_ = std::thread([this] { Run(); }); }

void EventHub::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& b : boxes_) b->cv.notify_all();
}

std::shared_ptr<Mailbox> EventHub::Subscribe(const std::string& group) {
  auto m = std::make_shared<Mailbox>();
  m->group = group;
  std::lock_guard<std::mutex> lock(mu_);
  boxes_.insert(m);
  return m;
}

void EventHub::Unsubscribe(const std::shared_ptr<Mailbox>& m) {
  std::lock_guard<std::mutex> lock(mu_);
  boxes_.erase(m);
}

std::map<std::string, GroupCounts> EventHub::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void EventHub::Dispatch(const std::string& channel, const std::string& json) {
  const size_t n = sizeof(kSuffix) - 1;
  if (channel.size() <= n || channel.compare(channel.size() - n, n, kSuffix) != 0) return;
  std::string group = channel.substr(0, channel.size() - n);
  if (!suma::IsGroupName(group)) return;
  auto ev = suma::EventView::Parse(json);
  std::string type = ev ? ev->type() : "";
  if (type.empty()) return;  // not a module event (someone else's channel)
  std::lock_guard<std::mutex> lock(mu_);
  GroupCounts& c = counts_[group];
  ++c.by_type[type];
  if (type == "offline" && ev->Str("reason") == "expired") ++c.evictions;
  for (const auto& b : boxes_) {
    if (b->group != group) continue;
    std::lock_guard<std::mutex> bl(b->mu);
    if (b->events.size() >= kMailboxMax) {
      b->events.pop_front();
      b->gap = true;
    }
    b->events.push_back(json);
    b->cv.notify_all();
  }
}

void EventHub::Run() {
  while (!stop_) {
    try {
      RedisConn c = RedisConn::Connect(target_);
      Reply ok = c.Command({"PSUBSCRIBE", std::string("*") + kSuffix});
      // A tenant's ACL user (&agent.zy_*) may not subscribe to every channel:
      // then subscribe to each group's channel, re-discovering groups every
      // 10 s. Events of a brand-new group before then reach its page through
      // the SSE backlog, which is read from the group's event log.
      bool per_group = ok.error();
      std::set<std::string> subscribed;
      auto next_discovery = std::chrono::steady_clock::now();
      connected_ = true;
      // A short read timeout lets the loop notice Stop() promptly.
      c.SetReadTimeout(300);
      while (!stop_) {
        if (per_group && std::chrono::steady_clock::now() >= next_discovery) {
          next_discovery += std::chrono::seconds(10);
          RedisConn d = RedisConn::Connect(target_);
          for (const std::string& g : DiscoverGroups(d))
            if (subscribed.insert(g).second) c.Send({"SUBSCRIBE", g + kSuffix});
        }
        Reply m;
        if (!c.ReadPush(&m)) continue;
        // ["pmessage", pattern, channel, payload] or ["message", channel, payload]
        if (m.at(0).str == "pmessage") Dispatch(m.at(2).str, m.at(3).str);
        if (m.at(0).str == "message") Dispatch(m.at(1).str, m.at(2).str);
      }
    } catch (const RedisError& e) {
      if (connected_) std::fprintf(stderr, "suma-console: event feed: %s\n", e.what());
      connected_ = false;
    }
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  connected_ = false;
}

}  // namespace console
