#include "net/api.hpp"

#include <algorithm>
#include <atomic>

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "actors/credentials.hpp"
#include "actors/job_view.hpp"
#include "config/error.hpp"
#include "net/admin_input.hpp"
#include "net/admin_output.hpp"
#include "net/batch_answer.hpp"
#include "net/http_errors.hpp"
#include "net/job_input.hpp"
#include "net/rate_limiter.hpp"
#include "net/router.hpp"
#include "net/template_routes.hpp"
#include "store/keys.hpp"

namespace ns::net {

namespace {

namespace json = boost::json;

response json_response(unsigned status, const json::object& body) {
  response res;
  res.status = status;
  res.body = json::serialize(body);
  return res;
}

response no_content() {
  response res;
  res.status = 204;
  res.content_type.clear();
  return res;
}

/// Who is calling.
enum class caller { nobody, admin, client, bad_token, bad_key };

struct identity {
  caller who = caller::nobody;
  std::shared_ptr<const registry_snapshot> snap;
  const client_record* client = nullptr;
};

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
      return false;
  return true;
}

/// The credentials of `Authorization: Bearer <token>` (scheme in any case).
std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (!iequals_prefix(header, scheme))
    return {};
  header.remove_prefix(scheme.size());
  while (!header.empty() && header.front() == ' ')
    header.remove_prefix(1);
  return header;
}

response unauthorized(std::string message) {
  auto res = error_response(ec::unauthorized, std::move(message));
  res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ns\"");
  return res;
}

identity identify(const api_context& ctx, const request& req) {
  identity id;
  id.snap = ctx.view->get();
  if (!req.authorization.empty()) {
    auto token = bearer_token(req.authorization);
    if (!token.empty()
        && credentials::equal_constant_time(token, ctx.admin_token))
      id.who = caller::admin;
    else
      id.who = caller::bad_token;
    return id;
  }
  if (!req.api_key.empty()) {
    id.client = id.snap->client_by_key(req.api_key);
    id.who = id.client != nullptr ? caller::client : caller::bad_key;
  }
  return id;
}

/// Admin endpoints: only the admin token passes. `also_client` names the
/// endpoints a client key may use too, for the hint in the 401.
std::optional<response> require_admin(const identity& id, bool also_client) {
  switch (id.who) {
    case caller::admin: return std::nullopt;
    case caller::client:
      return error_response(ec::forbidden,
                            "client keys cannot use admin endpoints; send "
                            "Authorization: Bearer <admin token>");
    case caller::bad_token: return unauthorized("wrong admin token");
    case caller::bad_key: return unauthorized("unknown API key");
    case caller::nobody: break;
  }
  return unauthorized(also_client
                        ? "missing credentials: send X-Api-Key: <client key> "
                          "or Authorization: Bearer <admin token>"
                        : "missing credentials: send Authorization: Bearer "
                          "<admin token>");
}

bool is_json(const std::string& content_type) {
  constexpr std::string_view want = "application/json";
  if (!iequals_prefix(content_type, want))
    return false;
  return content_type.size() == want.size() || content_type[want.size()] == ';'
    || content_type[want.size()] == ' ';
}

template <class T, class Render>
reply_fn<T> reply_with(respond_fn respond, unsigned status, Render render) {
  return [respond = std::move(respond), status,
          render = std::move(render)](caf::expected<T> res) {
    if (!res)
      respond(error_response(res.error()));
    else
      respond(json_response(status, render(*res)));
  };
}

/// Answers with the client as an admin sees it.
reply_fn<client_result> reply_client(respond_fn respond, unsigned status) {
  return reply_with<client_result>(std::move(respond), status,
                                   [](const client_result& x) {
                                     return client_json(x);
                                   });
}

/// Answers with the adapter as an admin sees it.
reply_fn<adapter_result> reply_adapter(respond_fn respond, unsigned status) {
  return reply_with<adapter_result>(std::move(respond), status,
                                    [](const adapter_result& x) {
                                      return adapter_admin_json(x);
                                    });
}

reply_fn<caf::unit_t> reply_no_content(respond_fn respond) {
  return [respond = std::move(respond)](caf::expected<caf::unit_t> res) {
    respond(res ? no_content() : error_response(res.error()));
  };
}

void list_adapters(const identity& id, respond_fn& respond) {
  json::array out;
  if (id.who == caller::admin) {
    for (auto& [name, a] : id.snap->adapters)
      out.push_back(adapter_admin_json(a->rec));
  } else {
    for (auto& [name, a] : id.snap->adapters)
      if (id.client->adapters.allows(name))
        out.push_back(adapter_client_json(a->rec));
  }
  respond(json_response(200, json::object{{"adapters", std::move(out)}}));
}

/// Client endpoints: only a valid, unblocked client key passes.
std::optional<response> require_client(const identity& id) {
  switch (id.who) {
    case caller::client:
      if (id.client->blocked)
        return error_response(ec::client_blocked,
                              "client '" + id.client->name + "' is blocked");
      return std::nullopt;
    case caller::admin:
      return error_response(ec::forbidden,
                            "the admin token cannot act as a client service; "
                            "send X-Api-Key: <client key>");
    case caller::bad_token: return unauthorized("wrong admin token");
    case caller::bad_key: return unauthorized("unknown API key");
    case caller::nobody: break;
  }
  return unauthorized("missing credentials: send X-Api-Key: <client key>");
}

/// Everything the job routes share: the node's context and the per-client
/// token buckets.
struct job_routes {
  const api_context& ctx;
  rate_limiter& limiter;

  /// Asks the job manager about one job of `client`.
  void query(job_query_kind kind, std::string id, const client_record& client,
             std::string url, reply_fn<job_record> reply) const {
    caf::anon_send(ctx.jobs,
                   job_query{kind, std::move(id), client.id, std::move(url),
                             std::move(reply)});
  }

  // Completions outlive this object: they capture handles, never `this`.

  /// Runs one submission; `done` gets the accepted job or the error.
  void submit(const client_record& client, job_submission sub,
              std::function<void(caf::expected<job_record>, bool)> done) const {
    ctx.ingest->submit(client, std::move(sub),
                       [jobs = ctx.jobs, client_id = client.id,
                        done](caf::expected<submit_outcome> res) {
                         if (!res)
                           return done(res.error(), false);
                         if (!res->duplicate)
                           return done(std::move(res->job), false);
                         // The first job of this Idempotency-Key, as it is now.
                         caf::anon_send(
                           jobs,
                           job_query{job_query_kind::get,
                                     res->job.id,
                                     client_id,
                                     {},
                                     [done](caf::expected<job_record> rec) {
                                       done(std::move(rec), true);
                                     }});
                       });
  }

  void submit_one(const client_record& client, request& req,
                  respond_fn respond) const {
    auto sub = parse_job(req.body, std::move(req.idempotency_key),
                         ctx.callback_policy);
    if (!sub)
      return respond(error_response(sub.error()));
    if (client.limit
        && limiter.take(client.id, *client.limit, 1, clock::now_ms()) == 0)
      return respond(rate_limited(*client.limit));
    submit(client, std::move(*sub),
           [respond](caf::expected<job_record> rec, bool duplicate) {
             if (!rec)
               return respond(error_response(rec.error()));
             response res;
             res.status = duplicate ? 200 : 202;
             res.body = accepted_body(*rec);
             respond(std::move(res));
           });
  }

  void submit_batch(const client_record& client, const request& req,
                    respond_fn respond) const {
    auto items = parse_job_batch(req.body, ctx.callback_policy);
    if (!items)
      return respond(error_response(items.error()));
    auto n = items->size();
    // Tokens pay for jobs that could be accepted, not for malformed items.
    auto valid = static_cast<uint32_t>(
      std::count_if(items->begin(), items->end(), [](auto& item) {
        return static_cast<bool>(item);
      }));
    auto allowed = client.limit
      ? limiter.take(client.id, *client.limit, valid, clock::now_ms())
      : valid;
    // Each item settles its own slot once, on whichever thread; the last one
    // writes the answer. Most settle on the commit thread, so per item this
    // is kept to a move and an atomic decrement.
    struct pending {
      std::vector<batch_result> results;
      std::atomic<size_t> left;
      respond_fn respond;
      job_manager_actor jobs;
      std::string client_id;
      void settle(size_t i, batch_result r) {
        results[i] = std::move(r);
        if (left.fetch_sub(1, std::memory_order_acq_rel) == 1)
          respond(
            response{200, batch_answer_body(results), {}, "application/json"});
      }
      void fail(size_t i, caf::error err) {
        batch_result r;
        r.error = std::move(err);
        settle(i, std::move(r));
      }
    };
    auto state = std::make_shared<pending>();
    state->results.resize(n);
    state->left = n;
    state->respond = std::move(respond);
    state->jobs = ctx.jobs;
    state->client_id = client.id;
    uint32_t granted = 0;
    for (size_t i = 0; i < n; ++i) {
      auto& item = (*items)[i];
      if (!item) {
        state->fail(i, std::move(item.error()));
        continue;
      }
      if (granted == allowed) {
        state->fail(
          i, make_error(ec::rate_limited, "over the client's rate limit"));
        continue;
      }
      ++granted;
      ctx.ingest->submit(
        client, std::move(*item),
        [state, i](caf::expected<submit_outcome> res) {
          if (!res)
            return state->fail(i, std::move(res.error()));
          if (!res->duplicate)
            return state->settle(i, batch_accepted(std::move(res->job)));
          // The first job of this Idempotency-Key, as it is now.
          caf::anon_send(state->jobs,
                         job_query{job_query_kind::get,
                                   res->job.id,
                                   state->client_id,
                                   {},
                                   [state, i](caf::expected<job_record> rec) {
                                     if (!rec)
                                       return state->fail(i, rec.error());
                                     state->settle(
                                       i, batch_accepted(std::move(*rec)));
                                   }});
        });
    }
  }

  static response rate_limited(const rate_limit& limit) {
    auto res = error_response(ec::rate_limited,
                              "over the client's rate limit of "
                                + std::to_string(limit.rps) + " jobs/s");
    auto secs = (rate_limiter::wait_ms(limit) + 999) / 1000;
    res.headers.emplace_back("Retry-After", std::to_string(secs));
    return res;
  }
};

void handle_job_route(const api_context& ctx, rate_limiter& limiter,
                      const route_result& r, request& req, const identity& id,
                      respond_fn respond) {
  job_routes routes{ctx, limiter};
  auto& client = *id.client;
  switch (r.ep) {
    case endpoint::submit_job:
      routes.submit_one(client, req, std::move(respond));
      return;
    case endpoint::submit_batch:
      routes.submit_batch(client, req, std::move(respond));
      return;
    case endpoint::get_job:
      routes.query(
        job_query_kind::get, r.param, client, {},
        [respond, jobs = ctx.jobs](caf::expected<job_record> rec) {
          if (!rec)
            return respond(error_response(rec.error()));
          // Ownership is checked: now its callbacks, from the same store.
          auto id = rec->id;
          caf::anon_send(
            jobs,
            callbacks_query{std::move(id),
                            [respond, shown = job_json(*rec)](
                              std::vector<callback_status> cbs) mutable {
                              shown["callbacks"] = callbacks_json(cbs);
                              respond(json_response(200, shown));
                            }});
        });
      return;
    case endpoint::cancel_job:
      routes.query(job_query_kind::cancel, r.param, client, {},
                   [respond](caf::expected<job_record> rec) {
                     if (!rec)
                       return respond(error_response(rec.error()));
                     auto done = rec->state == job_state::canceled;
                     respond(json_response(
                       done ? 200 : 202,
                       json::object{{"job_id", rec->id},
                                    {"state", to_string(rec->state)}}));
                   });
      return;
    case endpoint::subscribe: {
      auto sub = parse_notification(req.body, ctx.callback_policy);
      if (!sub)
        return respond(error_response(sub.error()));
      auto* commit = ctx.commit;
      routes.query(
        job_query_kind::subscribe, sub->job_id, client, sub->callback_url,
        [respond, commit,
         url = sub->callback_url](caf::expected<job_record> rec) {
          if (!rec)
            return respond(error_response(rec.error()));
          json::object body{{"job_id", rec->id}, {"callback_url", url}};
          // The manager recorded a final job's callback (or found it
          // subscribed already) before answering.
          if (is_final(rec->state))
            return respond(json_response(201, body));
          // Kept while the job runs: should nsd stop before the callback
          // is delivered, it is sent after the restart.
          store::write_batch batch;
          batch.put(store::cf::callbacks, store::keys::callback(rec->id, url),
                    {});
          auto ok = commit->submit(
            std::move(batch), [respond, body](const caf::error& err) {
              respond(err ? error_response(err) : json_response(201, body));
            });
          if (!ok)
            respond(error_response(ec::overloaded,
                                   "the store is not keeping up; try again"));
        });
      return;
    }
    default: respond(error_response(ec::internal, "unrouted job endpoint"));
  }
}

bool is_job_route(endpoint ep) {
  return ep == endpoint::submit_job || ep == endpoint::submit_batch
    || ep == endpoint::get_job || ep == endpoint::cancel_job
    || ep == endpoint::subscribe;
}

void handle(const api_context& ctx, rate_limiter& limiter, request&& req,
            respond_fn respond) {
  auto r = route(req.method, req.path);
  if (r.outcome == route_result::kind::not_found) {
    respond(error_response(ec::not_found,
                           "no such endpoint: " + req.method + " " + req.path));
    return;
  }
  if (r.outcome == route_result::kind::method_not_allowed) {
    auto res = error_response(ec::method_not_allowed,
                              req.method + " is not allowed on " + req.path
                                + "; allowed: " + r.allow);
    res.headers.emplace_back("Allow", r.allow);
    respond(std::move(res));
    return;
  }
  if (r.ep == endpoint::healthz) {
    respond(json_response(200, json::object{{"status", "ok"}}));
    return;
  }
  if (r.ep == endpoint::readyz) {
    if (!ctx.ready->load())
      respond(error_response(ec::not_ready,
                             "not ready: starting up or shutting down"));
    else if (ctx.commit != nullptr && !ctx.commit->writable())
      respond(error_response(ec::not_ready,
                             "not ready: the store cannot write (see nsd's "
                             "log); writes are refused until it can"));
    else
      respond(json_response(200, json::object{{"status", "ready"}}));
    return;
  }
  if (r.ep == endpoint::metrics) {
    // Open like the health checks: scrapers rarely carry a token, and the
    // text holds counts and adapter names, no secret (docs/operations.md).
    caf::anon_send(ctx.jobs, metrics_query{[respond](std::string text) {
                     response res;
                     res.body = std::move(text);
                     res.content_type = "text/plain; version=0.0.4; "
                                        "charset=utf-8";
                     respond(std::move(res));
                   }});
    return;
  }
  // Who asks comes before what is asked: a stranger learns nothing more
  // than 401, whatever the body.
  auto id = identify(ctx, req);
  if (is_job_route(r.ep)) {
    if (auto denied = require_client(id))
      return respond(std::move(*denied));
    if (!req.body.empty() && !is_json(req.content_type))
      return respond(error_response(ec::unsupported_media_type,
                                    "request bodies must be sent as "
                                    "Content-Type: application/json"));
    handle_job_route(ctx, limiter, r, req, id, std::move(respond));
    return;
  }
  auto client_may = r.ep == endpoint::list_adapters;
  if (client_may && id.who == caller::client) {
    if (id.client->blocked) {
      respond(error_response(ec::client_blocked,
                             "client '" + id.client->name + "' is blocked"));
      return;
    }
    list_adapters(id, respond);
    return;
  }
  if (auto denied = require_admin(id, client_may)) {
    respond(std::move(*denied));
    return;
  }
  if (!req.body.empty() && !is_json(req.content_type)) {
    respond(error_response(ec::unsupported_media_type,
                           "request bodies must be sent as Content-Type: "
                           "application/json"));
    return;
  }
  auto& snap = *id.snap;
  if (is_template_route(r.ep))
    return handle_template_route(ctx, snap, r, req, std::move(respond));
  switch (r.ep) {
    case endpoint::list_clients: {
      json::array out;
      for (auto& [cid, c] : snap.clients)
        out.push_back(client_json(*c));
      respond(json_response(200, json::object{{"clients", std::move(out)}}));
      return;
    }
    case endpoint::get_client: {
      if (auto* c = snap.client(r.param))
        respond(json_response(200, client_json(*c)));
      else
        respond(error_response(ec::not_found,
                               "client '" + r.param + "' does not exist"));
      return;
    }
    case endpoint::create_client: {
      auto spec = parse_client_spec(req.body);
      if (!spec)
        return respond(error_response(spec.error()));
      caf::anon_send(
        ctx.registry,
        create_client_request{std::move(*spec),
                              reply_client(std::move(respond), 201)});
      return;
    }
    case endpoint::patch_client: {
      auto patch = parse_client_patch(req.body);
      if (!patch)
        return respond(error_response(patch.error()));
      caf::anon_send(
        ctx.registry,
        patch_client_request{r.param, std::move(*patch),
                             reply_client(std::move(respond), 200)});
      return;
    }
    case endpoint::delete_client:
      caf::anon_send(
        ctx.registry,
        delete_client_request{r.param, reply_no_content(std::move(respond))});
      return;
    case endpoint::rotate_client_keys:
      caf::anon_send(ctx.registry,
                     rotate_client_keys_request{
                       r.param,
                       reply_with<client_result>(
                         std::move(respond), 200, [](const client_result& x) {
                           return json::object{
                             {"id", x.client.id},
                             {"api_key", x.api_key},
                             {"signing_secret", x.signing_secret}};
                         })});
      return;
    case endpoint::list_adapters: list_adapters(id, respond); return;
    case endpoint::get_adapter: {
      if (auto* a = snap.adapter(r.param)) {
        auto o = adapter_admin_json(a->rec);
        if (ctx.instances)
          o["instances"] = instances_json(ctx.instances->of(a->rec.name));
        respond(json_response(200, std::move(o)));
      } else
        respond(error_response(ec::not_found,
                               "adapter '" + r.param + "' does not exist"));
      return;
    }
    case endpoint::create_adapter: {
      auto spec = parse_adapter_spec(req.body);
      if (!spec)
        return respond(error_response(spec.error()));
      caf::anon_send(
        ctx.registry,
        create_adapter_request{std::move(*spec),
                               reply_adapter(std::move(respond), 201)});
      return;
    }
    case endpoint::patch_adapter: {
      auto patch = parse_adapter_patch(req.body);
      if (!patch)
        return respond(error_response(patch.error()));
      caf::anon_send(
        ctx.registry,
        patch_adapter_request{r.param, std::move(*patch),
                              reply_adapter(std::move(respond), 200)});
      return;
    }
    case endpoint::delete_adapter:
      caf::anon_send(
        ctx.registry,
        delete_adapter_request{r.param, reply_no_content(std::move(respond))});
      return;
    case endpoint::rotate_adapter_key:
      caf::anon_send(ctx.registry,
                     rotate_adapter_key_request{
                       r.param,
                       reply_with<adapter_result>(
                         std::move(respond), 200, [](const adapter_result& x) {
                           return json::object{{"name", x.adapter.name},
                                               {"api_key", x.api_key}};
                         })});
      return;
    case endpoint::stats:
      caf::anon_send(ctx.jobs, stats_query{[respond](std::string body) {
                       response res;
                       res.body = std::move(body);
                       respond(std::move(res));
                     }});
      return;
    default: break;
  }
  respond(error_response(ec::internal, "unrouted endpoint"));
}

} // namespace

handler_fn make_api(api_context ctx) {
  auto limiter = std::make_shared<rate_limiter>();
  return [ctx = std::move(ctx), limiter](request&& req, respond_fn respond) {
    handle(ctx, *limiter, std::move(req), std::move(respond));
  };
}

} // namespace ns::net
