// EventHub: one Redis connection PSUBSCRIBEd to every group channel
// ("*_channel"; SUBSCRIBEd per group when the ACL user may not), fanned out to the browsers' Server-Sent Event streams and
// counted for /metrics.
//
// Contract: Start() runs a background thread that (re)connects until Stop().
// Subscribe(group) returns a mailbox that receives every event JSON published
// on that group's channel from then on (bounded: when a slow reader falls
// 1000 events behind, the oldest are dropped and `gap` is set, so the page
// re-reads the state). Counts() are the events seen since the console started,
// per group and type, plus evictions (offline events with reason "expired").
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "redis.h"

namespace console {

struct Mailbox {
  std::string group;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;
  bool gap = false;
};

struct GroupCounts {
  std::map<std::string, long long> by_type;
  long long evictions = 0;
};

class EventHub {
 public:
  explicit EventHub(RedisTarget target) : target_(std::move(target)) {}
  ~EventHub() { Stop(); }
  void Start();
  void Stop();
  bool stopping() const { return stop_; }
  bool connected() const { return connected_; }

  std::shared_ptr<Mailbox> Subscribe(const std::string& group);
  void Unsubscribe(const std::shared_ptr<Mailbox>& m);
  std::map<std::string, GroupCounts> Counts();

 private:
  void Run();
  void Dispatch(const std::string& channel, const std::string& json);

  RedisTarget target_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::mutex mu_;
  std::set<std::shared_ptr<Mailbox>> boxes_;
  std::map<std::string, GroupCounts> counts_;
};

}  // namespace console
