#include "actors/job_ingest.hpp"

#include <optional>

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/callback_actor.hpp"
#include "actors/channels.hpp"
#include "actors/clock.hpp"
#include "config/error.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

caf::error field_error(std::string_view field, std::string message) {
  boost::json::object details{{"field", field}};
  return make_error(ec::invalid_field, std::move(message),
                    boost::json::serialize(details));
}

} // namespace

store::retention job_retention(uint64_t keep_ms) {
  store::retention out;
  out.jobs = [keep_ms](std::string_view, std::string_view value) {
    auto state = peek_state(value);
    auto finished = peek_finish_ms(value);
    return state && is_final(*state) && finished && *finished != 0
      && *finished + keep_ms < clock::now_ms();
  };
  out.idempotency = [](std::string_view, std::string_view value) {
    auto e = store::keys::parse_idempotency_value(value);
    return e
      && e->created_ms + job_ingest::idempotency_window_ms < clock::now_ms();
  };
  // A callback's outcome goes with its job: it ended no earlier. Pending
  // ones (empty) are kept until they end.
  out.callbacks = [keep_ms](std::string_view, std::string_view value) {
    if (value.empty())
      return false;
    auto done = read_callback({}, value).done_ms;
    return done != 0 && done + keep_ms < clock::now_ms();
  };
  return out;
}

job_ingest::job_ingest(store::group_commit& commit,
                       std::shared_ptr<registry_view> view,
                       job_manager_actor manager, std::string node_id,
                       std::shared_ptr<node_metrics> metrics)
  : commit_(commit), view_(std::move(view)), manager_(std::move(manager)),
    node_id_(std::move(node_id)), metrics_(std::move(metrics)) {
  commit_.on_commit_end([this] {
    hand_over();
  });
}

void job_ingest::observe_accept(std::chrono::steady_clock::time_point t0) {
  if (metrics_)
    metrics_->job_accept.observe(std::chrono::steady_clock::now() - t0);
}

job_ingest::~job_ingest() {
  commit_.on_commit_end(nullptr);
}

void job_ingest::durable(job_record job, answer_fn done) {
  durable_jobs_.push_back(std::move(job));
  durable_answers_.push_back(std::move(done));
}

void job_ingest::hand_over() {
  if (durable_jobs_.empty())
    return;
  // The manager takes the records themselves; the answers need only what a
  // 202 names, so params and the other strings are not copied.
  std::vector<submit_outcome> outcomes;
  outcomes.reserve(durable_jobs_.size());
  for (auto& job : durable_jobs_) {
    job_record answer;
    answer.id = job.id;
    answer.state = job.state;
    answer.priority = job.priority;
    answer.create_ms = job.create_ms;
    answer.expire_ms = job.expire_ms;
    answer.scheduled_ms = job.scheduled_ms;
    outcomes.push_back(submit_outcome{std::move(answer), false});
  }
  caf::anon_send(manager_, jobs_accepted{std::move(durable_jobs_)});
  durable_jobs_.clear();
  auto answers = std::move(durable_answers_);
  durable_answers_.clear();
  for (size_t i = 0; i < answers.size(); ++i)
    answers[i](std::move(outcomes[i]));
}

namespace {

/// The params as the channel will send them; a template's version is pinned
/// into the stored params so that every attempt renders the same text. Null
/// when they are the submitted params as they are (the common case: no copy).
caf::expected<std::optional<boost::json::value>>
prepare_params(const adapter_entry& entry, job_submission& sub) {
  if (!sub.params.is_object())
    return std::optional<boost::json::value>{};
  auto& params = sub.params.get_object();
  if (renders_templates(entry.rec.type) && uses_template(params)) {
    auto rendered = render_params(entry.rec, entry.templates.get(), params);
    if (!rendered)
      return rendered.error();
    params["template_version"] = rendered->version;
    sub.params_text = boost::json::serialize(params);
    if (auto err = check_channel_params(entry.rec, rendered->params))
      return err;
    return std::optional<boost::json::value>{std::move(rendered->params)};
  }
  if (auto err = check_channel_params(entry.rec, params))
    return err;
  return std::optional<boost::json::value>{};
}

} // namespace

void job_ingest::submit(
  const client_record& client, job_submission sub,
  std::function<void(caf::expected<submit_outcome>)> done) {
  auto t0 = std::chrono::steady_clock::now();
  auto snap = view_->get();
  auto* entry = snap->adapter(sub.adapter);
  if (entry == nullptr)
    return done(make_error(ec::not_found,
                           "adapter '" + sub.adapter + "' does not exist",
                           R"({"field":"adapter"})"));
  if (!client.adapters.allows(sub.adapter))
    return done(make_error(ec::adapter_not_allowed,
                           "client '" + client.name + "' may not use adapter '"
                             + sub.adapter + "'",
                           R"({"field":"adapter"})"));
  // Templates render here so that a bad one is a 422 now, and the schema
  // and the channel's own checks see the params that will be sent.
  auto prepared = prepare_params(*entry, sub);
  if (!prepared)
    return done(prepared.error());
  const auto& to_check = *prepared ? **prepared : sub.params;
  if (auto violations = entry->schema->check(to_check); !violations.empty()) {
    boost::json::array errors;
    for (auto& v : violations)
      errors.push_back(
        boost::json::object{{"path", v.path}, {"message", v.message}});
    boost::json::object details{{"errors", std::move(errors)}};
    return done(make_error(ec::invalid_params,
                           "params do not match the schema of adapter '"
                             + sub.adapter + "'",
                           boost::json::serialize(details)));
  }
  auto now = clock::now_ms();
  job_record job;
  if (sub.expire_ms) {
    if (*sub.expire_ms <= now)
      return done(field_error("expire_time", "expire_time is in the past"));
    job.expire_ms = *sub.expire_ms;
  } else if (sub.ttl_s) {
    job.expire_ms = now + *sub.ttl_s * 1000;
  } else {
    job.expire_ms = now + entry->rec.default_ttl_s * 1000;
  }
  job.state = job_state::queued;
  if (sub.scheduled_ms && *sub.scheduled_ms > now) {
    if (*sub.scheduled_ms >= job.expire_ms)
      return done(
        field_error("scheduled_at", "scheduled_at must be before expire_time"));
    job.scheduled_ms = *sub.scheduled_ms;
    job.state = job_state::scheduled;
  }
  job.id = new_job_id(node_id_);
  job.client_id = client.id;
  job.adapter = std::move(sub.adapter);
  job.params = std::move(sub.params_text);
  job.idempotency_key = std::move(sub.idempotency_key);
  job.callback_url = std::move(sub.callback_url);
  job.priority = sub.priority;
  job.create_ms = now;

  store::write_batch batch;
  batch.put(store::cf::jobs, store::keys::job(job.id), encode(job));
  batch.put(store::cf::active,
            store::keys::active(static_cast<uint8_t>(job.priority), job.id),
            {});
  batch.put(store::cf::due, store::keys::due(job.expire_ms, job.id), {});
  if (!job.callback_url.empty())
    batch.put(store::cf::callbacks,
              store::keys::callback(job.id, job.callback_url), {});
  auto overloaded = [] {
    return make_error(ec::overloaded,
                      "the store is not keeping up; nothing was accepted");
  };
  if (job.idempotency_key.empty()) {
    auto shared = std::make_shared<job_record>(std::move(job));
    auto ok
      = commit_.submit(std::move(batch),
                       [this, shared, done, t0](const caf::error& err) mutable {
                         if (err)
                           return done(err);
                         observe_accept(t0);
                         // Runs once: its copy of `done` moves on (`done`
                         // itself is still needed should the submit fail).
                         durable(std::move(*shared), std::move(done));
                       });
    if (!ok)
      done(overloaded());
    return;
  }
  auto key = store::keys::idempotency(job.client_id, job.idempotency_key);
  batch.put(store::cf::idempotency, key,
            store::keys::idempotency_value(now, job.id));
  store::group_commit::guard g{
    store::cf::idempotency, key, [now](std::string_view existing) {
      auto e = store::keys::parse_idempotency_value(existing);
      return e && e->created_ms + idempotency_window_ms > now;
    }};
  auto shared = std::make_shared<job_record>(std::move(job));
  auto ok = commit_.submit(
    std::move(batch), std::move(g),
    [this, shared, done, t0](const caf::error& err,
                             std::optional<std::string> existing) mutable {
      if (err)
        return done(err);
      observe_accept(t0);
      if (existing) {
        auto e = store::keys::parse_idempotency_value(*existing);
        job_record first;
        first.id = e ? std::string{e->job_id} : std::string{};
        return done(submit_outcome{std::move(first), true});
      }
      durable(std::move(*shared), std::move(done));
    });
  if (!ok)
    done(overloaded());
}

} // namespace ns
