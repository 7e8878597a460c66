#include "core/engine.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/delivery/delivery_service.hpp"
#include "core/delivery/stored_message.hpp"
#include "core/flow/flow_run.hpp"
#include "core/generation.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

std::string source_text(const Message& msg) {
  std::string text;
  for (const char* key : {"kind", "of", "remote", "method", "path"}) {  // "of": the message a replay runs again
    if (const Value* v = msg.source.find(key); v && v->is_string()) {
      if (!text.empty()) text += ' ';
      text += v->as_string();
    }
  }
  return text;
}

Status decode_body(Message& msg, const Flow& flow) {
  if (!msg.body.is_null()) {
    // The source decoded it: its protocol wraps the payload (a SOAP envelope).
  } else if (flow.decode && msg.raw && !msg.raw->empty()) {
    auto body = flow.decode->decode(msg.raw);
    if (!body) return std::move(body).error();
    msg.body = std::move(*body);
  } else if (msg.raw && !msg.raw->empty()) {
    msg.body = Value(std::string(*msg.raw));
  }
  return Ok{};
}

// Runs the steps and builds the reply; any failure is an Error.
boost::asio::awaitable<Expected<Reply>> run_flow(FlowRun& run, bool reply_is_sent) {
  auto result = co_await run_steps(run.flow.steps, run);
  if (!result) co_return std::move(result).error();
  if (run.reply) co_return std::move(*run.reply);
  if (!reply_is_sent && !run.flow.reply.lua) co_return Reply{};
  co_return co_await make_reply(run.flow.reply, run);
}

void take_reply(Expected<Reply> reply, const Message& msg, const Flow& flow, Outcome& outcome) {
  if (!reply) {
    outcome.error = std::move(reply).error();
    return;
  }
  const auto& codec = msg.reply_codec ? msg.reply_codec : reply->codec ? reply->codec : flow.encode;
  outcome.status = reply->status;
  outcome.headers = std::move(reply->headers);
  if (reply->body.is_null()) {
    // An empty reply is a valid answer (204-style); nothing to encode.
  } else if (reply->body.is_string() && !codec) {
    outcome.body = std::string(reply->body.as_string());
    outcome.content_type = "text/plain; charset=utf-8";
  } else if (codec) {
    auto encoded = codec->encode(reply->body);
    if (encoded) {
      outcome.body = std::move(*encoded);
      outcome.content_type = std::string(codec->content_type());
    } else {
      outcome.error = Error{ErrorKind::flow, "reply could not be encoded: " + encoded.error().message};
    }
  } else {
    outcome.error = Error{ErrorKind::flow, "reply has no codec to encode it"};
  }
}

}  // namespace

void ErrorRenderer::stored(Outcome& outcome) const {
  outcome.status = 202;
  outcome.content_type = "application/json";
  outcome.body = "{\"messageId\":" + json_quote(outcome.message_id) + ",\"status\":\"stored\"}";
}

boost::asio::awaitable<Outcome> Engine::accept_into_queue(std::shared_ptr<const Generation> generation,
                                                          const Flow& flow, Message msg, const ErrorRenderer& errors) {
  msg.flow_id = flow.id;
  Outcome outcome;
  outcome.message_id = msg.id;
  // A body the source decoded (a SOAP payload) is kept; one the flow's codec makes from the raw
  // bytes is made again when the flow runs.
  Value source_body = msg.body;
  FlowRun run(msg, flow, *generation);
  Status decoded = decode_body(msg, flow);
  if (!decoded) outcome.error = std::move(decoded).error();
  if (!outcome.error) {
    Expected<std::string> key = co_await flow.accept_stored->queue.order_key(run);
    if (!key) outcome.error = Error{key.error().kind, "accept: order_by: " + key.error().message};
    else flow.accept_stored->queue.stage(run, inbound_queue(flow.id), stored_message(msg, source_body), *key);
  }
  if (!outcome.error) {
    Status stored = co_await store_durably(std::move(run.deliveries), std::nullopt);
    if (!stored) outcome.error = std::move(stored).error();
  }
  if (outcome.error) {
    errors.render(*outcome.error, outcome);
    if (flow.stats) flow.stats->record(&*outcome.error, std::chrono::microseconds(0));
  } else {
    errors.stored(outcome);
  }
  // The journal row says "stored" until the run from the queue replaces it with the outcome (and
  // the keys, which are evaluated once the flow ran).
  account(msg, outcome, {}, flow.journal.level, {});
  co_return outcome;
}

boost::asio::awaitable<Outcome> Engine::process(std::shared_ptr<const Generation> generation, const Flow& flow,
                                                Message msg, const ErrorRenderer& errors) {
  // Back-pressure: a message is taken in only while its row has room in the journal's queue.
  if (store_ && flow.journal.level != JournalLevel::none && !store_->journal_has_room())
    co_await wait_for_journal_room();
  if (flow.accept_stored && !msg.stored_on_arrival)
    co_return co_await accept_into_queue(std::move(generation), flow, std::move(msg), errors);
  msg.flow_id = flow.id;
  FlowStats* stats = flow.stats;
  std::string repeat_of;  // the message whose answer this one got again (idempotency)
  if (stats) stats->in_flight.fetch_add(1, std::memory_order_relaxed);

  Outcome outcome;
  outcome.message_id = msg.id;
  FlowRun run(msg, flow, *generation);
  std::optional<IdempotencyGuard::Admission> admission;
  Status body = decode_body(msg, flow);
  const bool decoded = body.has_value();
  if (!decoded) {
    outcome.error = std::move(body).error();
  } else if (flow.idempotency) {
    auto admitted = co_await idempotency_.admit(run, *flow.idempotency);
    if (!admitted) outcome.error = std::move(admitted).error();
    else admission = std::move(*admitted);
  }
  if (admission && admission->answer) {
    // A repeat: the first message's answer again, and nothing of the flow runs.
    IdempotencyGuard::give_again(*admission->answer, outcome);
    if (stats) stats->idempotent_repeats.fetch_add(1, std::memory_order_relaxed);
    repeat_of = admission->answer->message_id;
  } else {
    if (!outcome.error) {
      const bool reply_is_sent = errors.sends_flow_reply();
      auto reply = co_await run_flow(run, reply_is_sent);
      if (!reply) outcome.error = std::move(reply).error();
      else if (reply_is_sent) take_reply(std::move(reply), msg, flow, outcome);
    }
    if (outcome.error) errors.render(*outcome.error, outcome);
    else errors.accepted(outcome);
    co_await store_results(run, admission ? &admission->key : nullptr, outcome, errors);
  }
  // Keys come from the body, so a message that could not be decoded has none.
  std::vector<JournalKey> keys;
  if (decoded && flow.journal.level != JournalLevel::none && !flow.journal.keys.empty())
    keys = co_await journal_keys(run);

  if (stats) {
    stats->in_flight.fetch_sub(1, std::memory_order_relaxed);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - msg.started);
    stats->record(outcome.error ? &*outcome.error : nullptr, elapsed);
    if (outcome.error) stats->record_error_text(msg.id + ": " + outcome.error->message);
  }
  account(msg, outcome, repeat_of, flow.journal.level, std::move(keys), std::move(run.steps));
  co_return outcome;
}

boost::asio::awaitable<void> Engine::store_results(FlowRun& run, const std::string* claimed_key, Outcome& outcome,
                                                   const ErrorRenderer& errors) {
  std::vector<Delivery> deliveries;
  if (!outcome.error) deliveries = std::move(run.deliveries);
  std::optional<IdempotencySettle> settle;
  if (claimed_key) {
    settle.emplace();
    settle->flow_id = run.flow.id;
    settle->key = *claimed_key;
    settle->message_id = run.msg.id;
    settle->answer = IdempotencyGuard::answer_to_remember(outcome);
  }
  if (deliveries.empty() && !settle) co_return;
  // The sender hears yes only once its message's deliveries, and the answer a repeat will get,
  // are on disk.
  Status stored = co_await store_durably(std::move(deliveries), settle);
  if (settle) idempotency_.release(settle->flow_id, settle->key, stored ? settle->answer : std::nullopt);
  if (!stored && !outcome.error) {
    outcome.error = std::move(stored).error();
    outcome.headers = Object();
    errors.render(*outcome.error, outcome);
  } else if (!stored) {
    log::system().warn("flow={} id={}: {}", run.flow.id, run.msg.id, stored.error().message);
  }
}

boost::asio::awaitable<Status> Engine::store_durably(std::vector<Delivery> deliveries,
                                                     std::optional<IdempotencySettle> settle) {
  // A settlement needs a store, which its claim had; deliveries need the service that sends them.
  if (!deliveries.empty()) {
    if (!deliveries_)
      co_return Error{ErrorKind::unavailable,
                      "a durable queue (send, publish, accept: stored) needs a store (store.url in qiao.yaml)"};
    co_return co_await deliveries_->enqueue(std::move(deliveries), std::move(settle));
  }
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Status)>(
      [this, &settle](auto handler) {
        auto executor = boost::asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store_->settle(std::move(*settle), {}, [shared, executor](Expected<std::vector<Delivery>> result) {
          Status status = Ok{};
          if (!result)
            status = Error{ErrorKind::unavailable, "cannot store the idempotent answer: " + result.error().message};
          boost::asio::post(executor, [shared, status = std::move(status)]() mutable { (*shared)(std::move(status)); });
        });
      },
      boost::asio::use_awaitable);
}

boost::asio::awaitable<void> Engine::wait_for_journal_room() {
  const auto began = std::chrono::steady_clock::now();
  metrics_.journal_wait_begins();
  co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
      [this](auto handler) {
        auto executor = boost::asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // Called on the store's writer thread (or here, when room came meanwhile): the message
        // goes on on its own worker.
        store_->when_journal_has_room([shared, executor] {
          boost::asio::post(executor, [shared]() mutable {
            auto& resume = *shared;
            std::move(resume)();
          });
        });
      },
      boost::asio::use_awaitable);
  metrics_.journal_wait_ends(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began));
}

boost::asio::awaitable<std::vector<JournalKey>> Engine::journal_keys(FlowRun& run) {
  std::vector<JournalKey> keys;
  for (const JournalKeySpec& spec : run.flow.journal.keys) {
    auto evaluated = co_await run.lua(spec.expression);
    std::string problem;
    std::string text;
    if (!evaluated) {
      problem = evaluated.error().message;
    } else if (!evaluated->values.empty()) {
      const Value& value = evaluated->values[0];
      switch (value.type()) {
        case Value::Type::string:
        case Value::Type::integer:
        case Value::Type::decimal:
        case Value::Type::boolean: text = key_text(value); break;
        case Value::Type::null: break;
        default: problem = std::string(type_name(value.type())) + " is not a key (a string, an integer or a decimal)";
      }
      if (text.size() > max_journal_key_value)
        problem =
            "its " + std::to_string(text.size()) + " bytes are more than " + std::to_string(max_journal_key_value);
      else if (text.find('\0') != std::string::npos) problem = "it holds a NUL byte";
    }
    if (!problem.empty()) {
      // The message is done and answered; a key that cannot be had costs only its index entry.
      if (run.flow.stats) run.flow.stats->journal_key_errors.fetch_add(1, std::memory_order_relaxed);
      log::system().warn("flow={} id={}: journal key '{}' ({}) left out: {}", run.flow.id, run.msg.id, spec.name,
                         spec.source, problem);
    } else if (!text.empty()) {
      keys.push_back(JournalKey{spec.name, std::move(text)});
    }
  }
  co_return keys;
}

void Engine::account(const Message& msg, const Outcome& outcome, const std::string& repeat_of, JournalLevel journal,
                     std::vector<JournalKey> keys, std::vector<JournalStep> steps) {
  const int status = outcome.status;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - msg.started);
  const std::string_view result = outcome.error ? error_kind_name(outcome.error->kind) : std::string_view("ok");
  log::business().info("flow={} id={} trace={} outcome={} status={} latency_us={} source=\"{}\"{}{}{}{}", msg.flow_id,
                       msg.id, msg.trace_id, result, status, elapsed.count(), source_text(msg),
                       outcome.error ? " error=" : "", outcome.error ? "\"" + outcome.error->message + "\"" : "",
                       repeat_of.empty() ? "" : " repeat_of=", repeat_of);
  if (store_ && journal != JournalLevel::none) {
    JournalEntry entry;
    entry.message_id = msg.id;
    entry.trace_id = msg.trace_id;
    entry.flow_id = msg.flow_id.empty() ? "-" : msg.flow_id;
    entry.received_at = msg.received_at;
    entry.latency_us = elapsed.count();
    entry.outcome = std::string(result);
    entry.status = status;
    entry.source = source_text(msg);
    entry.error = outcome.error ? outcome.error->message : std::string();
    entry.request = msg.raw;
    entry.reply = outcome.body;
    // Anyone can send bytes the gateway refuses, at any rate: the journal keeps only their beginning.
    entry.rejected = outcome.error && is_sender_fault(outcome.error->kind);
    entry.keep_payloads = journal == JournalLevel::full;
    entry.keys = std::move(keys);
    entry.steps = std::move(steps);
    store_->journal(std::move(entry));
  }
}

Outcome Engine::reject(const Message& msg, Error error, const ErrorRenderer& errors) {
  Outcome outcome;
  outcome.message_id = msg.id;
  outcome.error = std::move(error);
  errors.render(*outcome.error, outcome);
  metrics_.count_unrouted(outcome.status);
  // No flow took it, so no flow's level applies: its row says what reached the gateway, and
  // is_sender_fault keeps only the first journal.max_rejected_bytes of it.
  account(msg, outcome, {}, JournalLevel::full, {});
  return outcome;
}

}  // namespace qiao
