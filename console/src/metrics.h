// /metrics: Prometheus text exposition (format 0.0.4) of the groups and the module.
//
// Series (all gauges unless _total):
//   suma_up                                   1 when Redis answered this scrape
//   suma_group_live_hosts{group}              heard from within host-ttl-ms (drained or not)
//   suma_group_routable_hosts{group}          live and not drained (suma_vip_list)
//   suma_group_drained_hosts{group}           drained vips (suma_vip_drained)
//   suma_group_offline_hosts{group}           members past host-ttl-ms, not yet evicted
//   suma_group_leader_epoch{group}            last epoch granted
//   suma_group_leader_present{group}          1 when a lease is held
//   suma_group_last_event_seq{group}          the group's last event seq (gauge)
//   suma_group_evictions_total{group}         evictions seen on the channel since the console started
//   suma_group_events_observed_total{group,type}  events seen on the channel since the console started
//   suma_group_tasks_queued{group} / suma_group_tasks_claimed{group}  task queue depth
//   suma_module_{heartbeats,elections,events,evictions}_total, suma_module_groups_tracked,
//   suma_module_grace_left_ms                 INFO sumavlib
//   suma_command_calls_total{command}, suma_command_usec_total{command},
//   suma_command_usec_per_call{command}, suma_command_failed_calls_total{command},
//   suma_command_rejected_calls_total{command}            INFO commandstats, cmdstat_sumavlib.*
//   suma_console_event_feed_up, suma_console_scrape_duration_seconds
#pragma once

#include <map>
#include <string>

#include "events.h"
#include "options.h"
#include "redis.h"

namespace console {

// Renders the exposition. Never throws: a Redis failure yields suma_up 0 and
// the console's own series. On a cluster (o.cluster) the group series come
// from every primary, and the module and command series carry a
// node="host:port" label per primary, with suma_node_up per primary.
std::string RenderMetrics(const Options& o, EventHub& hub);

// Parses "name:value" lines of an INFO reply into a map (comments skipped).
std::map<std::string, std::string> ParseInfo(const std::string& info);

}  // namespace console
