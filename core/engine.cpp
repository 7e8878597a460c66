#include "core/engine.hpp"

#include <spdlog/spdlog.h>

#include "core/delivery/delivery_service.hpp"
#include "core/flow/flow_run.hpp"
#include "core/generation.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

std::string source_text(const Message& msg) {
  std::string text;
  for (const char* key : {"kind", "remote", "method", "path"}) {
    if (const Value* v = msg.source.find(key); v && v->is_string()) {
      if (!text.empty()) text += ' ';
      text += v->as_string();
    }
  }
  return text;
}

// Decode, run the steps, build the reply and encode it; any failure is an Error.
boost::asio::awaitable<Expected<Reply>> run_flow(FlowRun& run) {
  const Flow& flow = run.flow;
  Message& msg = run.msg;
  if (!msg.body.is_null()) {
    // The source decoded it: its protocol wraps the payload (a SOAP envelope).
  } else if (flow.decode && msg.raw && !msg.raw->empty()) {
    auto body = flow.decode->decode(msg.raw);
    if (!body) co_return std::move(body).error();
    msg.body = std::move(*body);
  } else if (msg.raw && !msg.raw->empty()) {
    msg.body = Value(std::string(*msg.raw));
  }
  auto result = co_await run_steps(flow.steps, run);
  if (!result) co_return std::move(result).error();
  if (run.reply) co_return std::move(*run.reply);
  co_return co_await make_reply(flow.reply, run);
}

}  // namespace

boost::asio::awaitable<Outcome> Engine::process(std::shared_ptr<const Generation> generation, const Flow& flow,
                                                Message msg, const ErrorRenderer& errors) {
  msg.flow_id = flow.id;
  FlowStats* stats = flow.stats;
  if (stats) stats->in_flight.fetch_add(1, std::memory_order_relaxed);

  Outcome outcome;
  outcome.message_id = msg.id;
  FlowRun run(msg, flow, *generation);
  auto reply = co_await run_flow(run);
  if (reply) {
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
  } else {
    outcome.error = std::move(reply).error();
  }
  if (!outcome.error && !run.deliveries.empty()) {
    // The sender hears yes only once its message's deliveries are on disk.
    if (!deliveries_) {
      outcome.error = Error{ErrorKind::unavailable, "send with queue: persistent needs a store (store.url in qiao.yaml)"};
    } else if (auto stored = co_await deliveries_->enqueue(std::move(run.deliveries)); !stored) {
      outcome.error = std::move(stored).error();
    }
    if (outcome.error) outcome.headers = Object();
  }

  if (outcome.error) errors.render(*outcome.error, outcome);
  else errors.accepted(outcome);
  if (stats) {
    stats->in_flight.fetch_sub(1, std::memory_order_relaxed);
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - msg.started);
    stats->record(outcome.error ? &*outcome.error : nullptr, elapsed);
    if (outcome.error) stats->record_error_text(msg.id + ": " + outcome.error->message);
  }
  account(msg, outcome);
  co_return outcome;
}

void Engine::account(const Message& msg, const Outcome& outcome) {
  const int status = outcome.status;
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - msg.started);
  const std::string_view result = outcome.error ? error_kind_name(outcome.error->kind) : std::string_view("ok");
  log::business().info("flow={} id={} trace={} outcome={} status={} latency_us={} source=\"{}\"{}{}", msg.flow_id, msg.id,
                       msg.trace_id, result, status, elapsed.count(), source_text(msg),
                       outcome.error ? " error=" : "", outcome.error ? "\"" + outcome.error->message + "\"" : "");
  if (store_) {
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
    store_->journal(std::move(entry));
  }
}

Outcome Engine::reject(const Message& msg, Error error, const ErrorRenderer& errors) {
  Outcome outcome;
  outcome.message_id = msg.id;
  outcome.error = std::move(error);
  errors.render(*outcome.error, outcome);
  metrics_.count_unrouted(outcome.status);
  account(msg, outcome);
  return outcome;
}

}  // namespace qiao
