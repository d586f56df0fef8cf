#include "metrics.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string_view>
#include <vector>

#include "cluster.h"
#include "model.h"

namespace console {
namespace {

// Label values escape \ " and newline (exposition format).
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

class Writer {
 public:
  // Emits HELP/TYPE once per family, before its first sample.
  void Family(const std::string& name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void Sample(const std::string& name, const std::string& labels, double v) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    // Shortest text that reads back as the same double: epochs and seqs
    // (about 1.8e15) keep every digit, which %.15g would round away.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out_ << ' ' << std::string_view(buf, res.ptr - buf) << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

struct GroupRow {
  std::string group;
  long long live = 0, routable = 0, drained = 0, members = 0, epoch = 0, leader = 0, seq = 0,
            queued = 0, claimed = 0;
  long long evictions = -1;  // from suma_group_info; -1 when the module lacks it
};

std::vector<GroupRow> ReadGroups(RedisConn& c) {
  std::vector<Reply> clk = c.Pipeline({{"TIME"}, {"CONFIG", "GET", "sumavlib.host-ttl-ms"}});
  long long now = clk[0].at(0).AsInt() * 1000 + clk[0].at(1).AsInt() / 1000;
  long long ttl = clk[1].at(1).AsInt(10000);
  std::string cutoff = std::to_string(now - ttl);
  std::vector<GroupRow> rows;
  for (const std::string& g : DiscoverGroups(c)) {
    std::string p = kCmdPrefix;
    std::vector<Reply> r = c.Pipeline({{"ZCOUNT", g + ":hosts", cutoff, "+inf"},
                                       {p + "suma_vip_list", g},
                                       {"HLEN", g + ":drained"},
                                       {"ZCARD", g + ":hosts"},
                                       {p + "suma_leader_info", g},
                                       {"HGET", g + ":meta", "seq"},
                                       {p + "suma_ci_task_info", g, "STATS"},
                                       {p + "suma_group_info", g}});
    GroupRow row;
    row.group = g;
    row.live = r[0].AsInt();
    row.routable = static_cast<long long>(r[1].elems.size());
    row.drained = r[2].AsInt();
    row.members = r[3].AsInt();
    row.epoch = r[4].at(3).AsInt();
    row.leader = r[4].at(1).nil() || r[4].error() ? 0 : 1;
    row.seq = r[5].AsInt(0);
    // suma_ci_task_info is read-only (replicas serve it); an ACL user without
    // it gets no task series.
    row.queued = r[6].error() ? -1 : r[6].at(1).AsInt();
    row.claimed = r[6].error() ? -1 : r[6].at(3).AsInt();
    // suma_group_info (newer modules) counts evictions durably per group; an
    // older module answers "unknown command" and the console counts them itself.
    // Its host count also leaves out the module's internal zset marker.
    for (size_t i = 0; i + 1 < r[7].elems.size(); i += 2) {
      const std::string& name = r[7].elems[i].str;
      if (name == "evictions") row.evictions = r[7].elems[i + 1].AsInt();
      if (name == "hosts") row.members = r[7].elems[i + 1].AsInt();
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

std::map<std::string, std::string> ParseInfo(const std::string& info) {
  std::map<std::string, std::string> out;
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

std::string RenderMetrics(const Options& o, EventHub& hub) {
  auto start = std::chrono::steady_clock::now();
  Writer w;
  bool up = true;
  std::vector<GroupRow> rows;
  struct Node {
    std::string label;  // `node="h:p",` on a cluster, "" for the single server
    bool up = false;
    std::map<std::string, std::string> module_info, cmdstats;
  };
  std::vector<Node> nodes;
  std::vector<RedisTarget> targets;
  try {
    targets = Primaries(o);
  } catch (const RedisError& e) {
    std::fprintf(stderr, "suma-console: /metrics: %s\n", e.what());
    up = false;
  }
  for (const RedisTarget& t : targets) {
    Node n;
    if (!o.cluster.empty()) n.label = "node=\"" + Label(NodeName(t)) + "\"";
    try {
      RedisConn c = RedisConn::Connect(t);
      std::vector<GroupRow> mine = ReadGroups(c);
      rows.insert(rows.end(), mine.begin(), mine.end());
      n.module_info = ParseInfo(c.Command({"INFO", "sumavlib"}).str);
      n.cmdstats = ParseInfo(c.Command({"INFO", "commandstats"}).str);
      n.up = true;
    } catch (const RedisError& e) {
      std::fprintf(stderr, "suma-console: /metrics: %s: %s\n", NodeName(t).c_str(), e.what());
      up = false;
    }
    nodes.push_back(std::move(n));
  }
  w.Family("suma_up", "gauge", "1 when the console could read Redis (every primary) during this scrape.");
  w.Sample("suma_up", "", up ? 1 : 0);
  if (!o.cluster.empty()) {
    w.Family("suma_node_up", "gauge", "1 when the console could read this primary.");
    for (const Node& n : nodes) w.Sample("suma_node_up", n.label, n.up ? 1 : 0);
  }

  struct G { const char* name; const char* type; const char* help; long long GroupRow::*field; };
  const G gauges[] = {
      {"suma_group_live_hosts", "gauge", "Hosts heard from within host-ttl-ms, drained or not.", &GroupRow::live},
      {"suma_group_routable_hosts", "gauge", "Live hosts that are not drained.", &GroupRow::routable},
      {"suma_group_drained_hosts", "gauge", "Drained vips.", &GroupRow::drained},
      {"suma_group_leader_epoch", "gauge", "Last leader epoch granted.", &GroupRow::epoch},
      {"suma_group_leader_present", "gauge", "1 when a leader lease is held.", &GroupRow::leader},
      {"suma_group_last_event_seq", "gauge",
       "The group's last event seq (a fencing value that jumps after a restart; not a count).",
       &GroupRow::seq},
      {"suma_group_tasks_queued", "gauge", "Tasks waiting in the queue.", &GroupRow::queued},
      {"suma_group_tasks_claimed", "gauge", "Tasks claimed and not acked.", &GroupRow::claimed},
  };
  for (const G& g : gauges) {
    w.Family(g.name, g.type, g.help);
    for (const GroupRow& r : rows)
      if (r.*g.field >= 0) w.Sample(g.name, "group=\"" + Label(r.group) + "\"", r.*g.field);
  }
  w.Family("suma_group_offline_hosts", "gauge", "Members past host-ttl-ms, not yet evicted.");
  for (const GroupRow& r : rows)
    w.Sample("suma_group_offline_hosts", "group=\"" + Label(r.group) + "\"", r.members - r.live);

  auto counts = hub.Counts();
  w.Family("suma_group_evictions_total", "counter",
           "Hosts evicted by the sweep: the module's count (suma_group_info), or with an older "
           "module the offline/expired events seen since the console started.");
  for (const GroupRow& r : rows)
    w.Sample("suma_group_evictions_total", "group=\"" + Label(r.group) + "\"",
             r.evictions >= 0 ? r.evictions : counts.count(r.group) ? counts[r.group].evictions : 0);
  w.Family("suma_group_events_observed_total", "counter",
           "Events seen on the group channel since the console started, by type.");
  for (const auto& [group, c] : counts)
    for (const auto& [type, n] : c.by_type)
      w.Sample("suma_group_events_observed_total",
               "group=\"" + Label(group) + "\",type=\"" + Label(type) + "\"", n);

  const std::pair<const char*, const char*> module_fields[] = {
      {"heartbeats", "counter"}, {"elections", "counter"}, {"events", "counter"},
      {"evictions", "counter"}, {"groups_tracked", "gauge"}, {"grace_left_ms", "gauge"}};
  for (const auto& [field, type] : module_fields) {
    std::string name = std::string("suma_module_") + field + (std::string(type) == "counter" ? "_total" : "");
    bool family = false;
    for (const Node& n : nodes) {
      auto it = n.module_info.find(std::string("sumavlib_") + field);
      if (it == n.module_info.end()) continue;
      if (!family) w.Family(name, type, "INFO sumavlib field.");
      family = true;
      w.Sample(name, n.label, std::atof(it->second.c_str()));
    }
  }

  // cmdstat_sumavlib.suma_try_leader:calls=3,usec=40,usec_per_call=13.33,rejected_calls=0,failed_calls=0
  // Keyed by the sample's labels: [node="h:p",]command="name".
  std::map<std::string, std::map<std::string, double>> per_cmd;
  const std::string prefix = "cmdstat_sumavlib.";
  for (const Node& n : nodes) {
    for (const auto& [k, v] : n.cmdstats) {
      if (k.rfind(prefix, 0) != 0) continue;
      std::string labels = (n.label.empty() ? "" : n.label + ",") + "command=\"" +
                           Label(k.substr(prefix.size())) + "\"";
      std::istringstream fields(v);
      std::string kv;
      while (std::getline(fields, kv, ',')) {
        auto eq = kv.find('=');
        if (eq != std::string::npos) per_cmd[labels][kv.substr(0, eq)] = std::atof(kv.c_str() + eq + 1);
      }
    }
  }
  const std::tuple<const char*, const char*, const char*, const char*> cmd_series[] = {
      {"suma_command_calls_total", "calls", "counter", "Calls of the sumavlib command (INFO commandstats)."},
      {"suma_command_usec_total", "usec", "counter", "Microseconds spent in the command."},
      {"suma_command_usec_per_call", "usec_per_call", "gauge", "Average microseconds per call."},
      {"suma_command_failed_calls_total", "failed_calls", "counter", "Calls that replied with an error."},
      {"suma_command_rejected_calls_total", "rejected_calls", "counter", "Calls rejected before running."}};
  for (const auto& [name, field, type, help] : cmd_series) {
    w.Family(name, type, help);
    for (const auto& [cmd, f] : per_cmd) {
      auto it = f.find(field);
      if (it != f.end()) w.Sample(name, cmd, it->second);
    }
  }

  w.Family("suma_console_event_feed_up", "gauge", "1 while the console is subscribed to the group channels.");
  w.Sample("suma_console_event_feed_up", "", hub.connected() ? 1 : 0);
  w.Family("suma_console_scrape_duration_seconds", "gauge", "Time this scrape took.");
  w.Sample("suma_console_scrape_duration_seconds", "",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return w.str();
}

}  // namespace console
