#include "adapters/docker_engine.h"

#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fleet {
namespace {

constexpr const char* kApi = "/v1.41";

size_t Collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

std::string Escape(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

// The engine's own message ({"message": ...}) or the raw body.
std::string Message(const DockerEngine::Reply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString())
    return d["message"].GetString();
  return "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
}

EngineError FromReply(const DockerEngine::Reply& r) {
  if (r.status >= 200 && r.status < 300) return {};
  std::string m = Message(r);
  if (r.status == 404) return {EngineError::kNotFound, m};
  if (r.status == 409 || m.find("already in use") != std::string::npos) return {EngineError::kConflict, m};
  return {EngineError::kOther, m};
}

using W = rapidjson::Writer<rapidjson::StringBuffer>;
void S(W& w, const std::string& s) { w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size())); }

void Labels(W& w, const std::map<std::string, std::string>& labels) {
  w.Key("Labels");
  w.StartObject();
  for (const auto& [k, v] : labels) {
    S(w, k);
    S(w, v);
  }
  w.EndObject();
}

std::map<std::string, std::string> ReadLabels(const rapidjson::Value& v) {
  std::map<std::string, std::string> out;
  if (!v.IsObject()) return out;
  for (const auto& m : v.GetObject())
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  return out;
}

}  // namespace

DockerEngine::DockerEngine(std::string socket_path, long timeout_ms)
    : socket_(std::move(socket_path)), timeout_ms_(timeout_ms) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool DockerEngine::Call(const std::string& method, const std::string& path, const std::string& body,
                        Reply* r, std::string* error) {
  CURL* c = curl_easy_init();
  if (!c) return *error = "curl_easy_init failed", false;
  std::string url = "http://engine" + path;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  r->body.clear();
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    *error = socket_ + ": " + curl_easy_strerror(rc);
    r->status = 0;
    return false;
  }
  return true;
}

#define CALL(method, path, body)                                        \
  Reply r;                                                              \
  {                                                                     \
    std::string cerr;                                                   \
    if (!Call(method, path, body, &r, &cerr)) return {EngineError::kDown, cerr}; \
  }

EngineError DockerEngine::Ping() {
  CALL("GET", std::string(kApi) + "/_ping", "");
  return FromReply(r);
}

EngineError DockerEngine::CreateVolume(const std::string& name, const std::map<std::string, std::string>& labels) {
  rapidjson::StringBuffer b;
  W w(b);
  w.StartObject();
  w.Key("Name");
  S(w, name);
  Labels(w, labels);
  w.EndObject();
  CALL("POST", std::string(kApi) + "/volumes/create", b.GetString());
  return FromReply(r);
}

EngineError DockerEngine::VolumeExists(const std::string& name, bool* exists) {
  CALL("GET", std::string(kApi) + "/volumes/" + Escape(name), "");
  *exists = r.status == 200;
  if (r.status == 404) return {};
  return FromReply(r);
}

EngineError DockerEngine::RemoveVolume(const std::string& name) {
  CALL("DELETE", std::string(kApi) + "/volumes/" + Escape(name) + "?force=1", "");
  if (r.status == 404) return {};
  return FromReply(r);
}

EngineError DockerEngine::CreateContainer(const ContainerSpec& s, std::string* id) {
  rapidjson::StringBuffer b;
  W w(b);
  w.StartObject();
  w.Key("Image");
  S(w, s.image);
  w.Key("Env");
  w.StartArray();
  for (const auto& e : s.env) S(w, e);
  w.EndArray();
  w.Key("Cmd");
  w.StartArray();
  for (const auto& e : s.cmd) S(w, e);
  w.EndArray();
  Labels(w, s.labels);
  w.Key("HostConfig");
  w.StartObject();
  if (s.host_network) {
    w.Key("NetworkMode");
    w.String("host");
  }
  w.Key("Memory");
  w.Int64(s.memory_bytes);
  w.Key("MemorySwap");  // equal to Memory: no swap beyond the limit
  w.Int64(s.memory_bytes);
  w.Key("NanoCpus");
  w.Int64(s.nano_cpus);
  if (!s.volume.empty()) {
    w.Key("Binds");
    w.StartArray();
    S(w, s.volume + ":" + s.mount_path);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  CALL("POST", std::string(kApi) + "/containers/create?name=" + Escape(s.name), b.GetString());
  EngineError e = FromReply(r);
  if (!e.ok()) return e;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("Id") || !d["Id"].IsString())
    return {EngineError::kOther, "create reply without an Id: " + r.body.substr(0, 200)};
  *id = d["Id"].GetString();
  return {};
}

EngineError DockerEngine::StartContainer(const std::string& id) {
  CALL("POST", std::string(kApi) + "/containers/" + Escape(id) + "/start", "");
  if (r.status == 304) return {};  // already running
  return FromReply(r);
}

EngineError DockerEngine::StopContainer(const std::string& id, int timeout_s) {
  CALL("POST", std::string(kApi) + "/containers/" + Escape(id) + "/stop?t=" + std::to_string(timeout_s), "");
  if (r.status == 304) return {};
  return FromReply(r);
}

EngineError DockerEngine::RemoveContainer(const std::string& id) {
  CALL("DELETE", std::string(kApi) + "/containers/" + Escape(id) + "?force=1&v=0", "");
  if (r.status == 404) return {};
  return FromReply(r);
}

EngineError DockerEngine::InspectContainer(const std::string& id, ContainerInfo* out) {
  CALL("GET", std::string(kApi) + "/containers/" + Escape(id) + "/json", "");
  EngineError e = FromReply(r);
  if (!e.ok()) return e;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsObject()) return {EngineError::kOther, "inspect reply is not JSON"};
  out->id = d.HasMember("Id") && d["Id"].IsString() ? d["Id"].GetString() : "";
  out->name = d.HasMember("Name") && d["Name"].IsString() ? d["Name"].GetString() : "";
  if (!out->name.empty() && out->name[0] == '/') out->name.erase(0, 1);
  if (d.HasMember("State") && d["State"].IsObject()) {
    const auto& st = d["State"];
    out->status = st.HasMember("Status") && st["Status"].IsString() ? st["Status"].GetString() : "";
    out->running = st.HasMember("Running") && st["Running"].IsBool() && st["Running"].GetBool();
  }
  out->env.clear();
  if (d.HasMember("Config") && d["Config"].IsObject()) {
    const auto& c = d["Config"];
    if (c.HasMember("Env") && c["Env"].IsArray())
      for (const auto& v : c["Env"].GetArray())
        if (v.IsString()) out->env.push_back(v.GetString());
    if (c.HasMember("Labels")) out->labels = ReadLabels(c["Labels"]);
  }
  return {};
}

EngineError DockerEngine::UpdateContainer(const std::string& id, int64_t memory_bytes, int64_t nano_cpus) {
  std::string docker = "{\"Memory\":" + std::to_string(memory_bytes) + ",\"MemorySwap\":" +
                       std::to_string(memory_bytes) + ",\"NanoCpus\":" + std::to_string(nano_cpus) + "}";
  CALL("POST", std::string(kApi) + "/containers/" + Escape(id) + "/update", docker);
  if (r.status != 404 || r.body.find("no such container") != std::string::npos) return FromReply(r);
  // The route is missing (podman's compat layer): podman's native API.
  constexpr int64_t kPeriod = 100000;
  std::string libpod = "{\"memory\":{\"limit\":" + std::to_string(memory_bytes) + ",\"swap\":" +
                       std::to_string(memory_bytes) + "},\"cpu\":{\"quota\":" +
                       std::to_string(nano_cpus * kPeriod / 1000000000) + ",\"period\":" +
                       std::to_string(kPeriod) + "}}";
  Reply r2;
  std::string cerr;
  if (!Call("POST", "/v4.0.0/libpod/containers/" + Escape(id) + "/update", libpod, &r2, &cerr))
    return {EngineError::kDown, cerr};
  if (r2.status == 404 && r2.body.find("no such container") == std::string::npos)
    return {EngineError::kUnsupported, "the engine has no container update"};
  return FromReply(r2);
}

EngineError DockerEngine::ListContainers(const std::string& label_key, std::vector<ContainerInfo>* out) {
  std::string filters = "{\"label\":[\"" + label_key + "\"]}";
  CALL("GET", std::string(kApi) + "/containers/json?all=true&filters=" + Escape(filters), "");
  EngineError e = FromReply(r);
  if (!e.ok()) return e;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsArray()) return {EngineError::kOther, "list reply is not a JSON array"};
  out->clear();
  for (const auto& c : d.GetArray()) {
    if (!c.IsObject()) continue;
    ContainerInfo ci;
    ci.id = c.HasMember("Id") && c["Id"].IsString() ? c["Id"].GetString() : "";
    if (c.HasMember("Names") && c["Names"].IsArray() && !c["Names"].Empty() && c["Names"][0].IsString()) {
      ci.name = c["Names"][0].GetString();
      if (!ci.name.empty() && ci.name[0] == '/') ci.name.erase(0, 1);
    }
    ci.status = c.HasMember("State") && c["State"].IsString() ? c["State"].GetString() : "";
    ci.running = ci.status == "running";
    if (c.HasMember("Labels")) ci.labels = ReadLabels(c["Labels"]);
    if (ci.labels.count(label_key)) out->push_back(ci);
  }
  return {};
}

}  // namespace fleet
