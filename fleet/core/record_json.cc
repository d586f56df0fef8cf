#include "core/record_json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fleet {
namespace {

using W = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void Int(W& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}

void WriteSpec(W& w, const char* key, const Spec& s) {
  w.Key(key);
  w.StartObject();
  Int(w, "memory_mb", s.memory_mb);
  w.Key("cpus");
  w.Double(s.cpus);
  Int(w, "replicas", s.replicas);
  Str(w, "persistence", s.persistence);
  w.EndObject();
}

void WriteOp(W& w, const Operation& o, bool record) {
  w.Key("operation");
  w.StartObject();
  Str(w, "id", o.id);
  Str(w, "kind", o.kind);
  Str(w, "state", o.state);
  Int(w, "started_ms", o.started_ms);
  Int(w, "finished_ms", o.finished_ms);
  Str(w, "error", o.error);
  if (record) {
    WriteSpec(w, "previous", o.previous);
    w.Key("purge");
    w.Bool(o.purge);
  }
  w.EndObject();
}

std::string GetS(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}
int64_t GetI(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}
double GetD(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0;
}
bool GetB(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}
Spec ReadSpec(const rapidjson::Value& v) {
  Spec s;
  if (!v.IsObject()) return s;
  s.memory_mb = static_cast<int>(GetI(v, "memory_mb"));
  s.cpus = GetD(v, "cpus");
  s.replicas = static_cast<int>(GetI(v, "replicas"));
  s.persistence = GetS(v, "persistence");
  return s;
}

// What the record and the API both show first: who the tenant is, its spec and state.
void WriteIdentityAndState(W& w, const Tenant& t) {
  Str(w, "name", t.name);
  Str(w, "owner", t.owner);
  Str(w, "business", t.business);
  WriteSpec(w, "spec", t.spec);
  Str(w, "state", StateName(t.state));
  Str(w, "reason", t.reason);
}

}  // namespace

std::string ConnectionString(const Tenant& t, const std::string& advertise) {
  if (!t.Primary()) return "";
  return "redis://default@" + advertise + ":" + std::to_string(t.Primary()->port);
}

std::string RecordJson(const Tenant& t) {
  rapidjson::StringBuffer b;
  W w(b);
  w.StartObject();
  Int(w, "format", 1);
  WriteIdentityAndState(w, t);
  w.Key("members");
  w.StartArray();
  for (const auto& m : t.members) {
    w.StartObject();
    Int(w, "index", m.index);
    Int(w, "port", m.port);
    Int(w, "console_port", m.console_port);
    Str(w, "container", m.container);
    w.Key("volume_created");
    w.Bool(m.volume_created);
    w.EndObject();
  }
  w.EndArray();
  Str(w, "password_hash", t.password_hash);
  Int(w, "created_ms", t.created_ms);
  Int(w, "updated_ms", t.updated_ms);
  WriteOp(w, t.op, true);
  w.EndObject();
  return b.GetString();
}

bool ParseRecord(const std::string& json, Tenant* t, std::string* error) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return *error = "record is not a JSON object", false;
  t->name = GetS(d, "name");
  t->owner = GetS(d, "owner");
  t->business = GetS(d, "business");
  if (d.HasMember("spec")) t->spec = ReadSpec(d["spec"]);
  auto st = ParseState(GetS(d, "state"));
  if (t->name.empty() || !st) return *error = "record lacks a name or a state", false;
  t->state = *st;
  t->reason = GetS(d, "reason");
  t->members.clear();
  if (d.HasMember("members") && d["members"].IsArray()) {
    for (const auto& m : d["members"].GetArray()) {
      if (!m.IsObject()) continue;
      Member x;
      x.index = static_cast<int>(GetI(m, "index"));
      x.port = static_cast<int>(GetI(m, "port"));
      x.console_port = static_cast<int>(GetI(m, "console_port"));
      x.container = GetS(m, "container");
      x.volume_created = GetB(m, "volume_created");
      t->members.push_back(x);
    }
  }
  t->password_hash = GetS(d, "password_hash");
  t->created_ms = GetI(d, "created_ms");
  t->updated_ms = GetI(d, "updated_ms");
  if (d.HasMember("operation") && d["operation"].IsObject()) {
    const auto& o = d["operation"];
    t->op.id = GetS(o, "id");
    t->op.kind = GetS(o, "kind");
    t->op.state = GetS(o, "state");
    t->op.started_ms = GetI(o, "started_ms");
    t->op.finished_ms = GetI(o, "finished_ms");
    t->op.error = GetS(o, "error");
    if (o.HasMember("previous")) t->op.previous = ReadSpec(o["previous"]);
    t->op.purge = GetB(o, "purge");
  }
  return true;
}

std::string ApiJson(const Tenant& t, const std::string& advertise) {
  rapidjson::StringBuffer b;
  W w(b);
  w.StartObject();
  WriteIdentityAndState(w, t);
  Int(w, "port", t.Primary() ? t.Primary()->port : 0);
  w.Key("replica_ports");
  w.StartArray();
  for (const auto& m : t.members)
    if (m.index > 0) w.Int(m.port);
  w.EndArray();
  Str(w, "connection", ConnectionString(t, advertise));
  Int(w, "created_ms", t.created_ms);
  Int(w, "updated_ms", t.updated_ms);
  WriteOp(w, t.op, false);
  if (t.usage) {
    w.Key("usage");
    w.StartObject();
    Int(w, "used_memory", t.usage->used_memory);
    Int(w, "maxmemory", t.usage->maxmemory);
    Int(w, "connected_clients", t.usage->connected_clients);
    w.EndObject();
  }
  w.EndObject();
  return b.GetString();
}

}  // namespace fleet
